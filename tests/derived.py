"""Build derived test inputs from the seed documents at test time.

Every helper reads a UTF-8 seed (`src`) and writes a variant to `dst` (usually under pytest's
`tmp_path`): other encodings, traditional characters, .docx, .pdf and .html. Other test
modules use these too, so keep the signatures stable.

Each returns `dst` as a Path.
"""

from __future__ import annotations

import html
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
SEEDS = sorted(SAMPLES.glob("*.txt"))

# reportlab's built-in Adobe CID font for simplified Chinese: no font file needed.
PDF_FONT = "STSong-Light"


def _read(src: str | Path) -> str:
    return Path(src).read_text(encoding="utf-8")


def _lines(src: str | Path) -> list[str]:
    return _read(src).replace("\r\n", "\n").split("\n")


def gb18030_copy(src: str | Path, dst: str | Path) -> Path:
    """The seed encoded in GB18030 (as GBK/GB2312-era Windows tools write Chinese)."""
    Path(dst).write_bytes(_read(src).encode("gb18030"))
    return Path(dst)


def utf16_copy(src: str | Path, dst: str | Path) -> Path:
    """The seed in UTF-16 with a byte-order mark (Windows "Unicode")."""
    Path(dst).write_bytes(_read(src).encode("utf-16"))
    return Path(dst)


def utf8_bom_copy(src: str | Path, dst: str | Path) -> Path:
    """The seed in UTF-8 with a BOM (Windows Notepad)."""
    Path(dst).write_bytes(_read(src).encode("utf-8-sig"))
    return Path(dst)


def traditional_copy(src: str | Path, dst: str | Path) -> Path:
    """The seed converted to traditional characters (OpenCC s2t), UTF-8."""
    import opencc

    Path(dst).write_text(opencc.OpenCC("s2t").convert(_read(src)), encoding="utf-8")
    return Path(dst)


def docx_copy(src: str | Path, dst: str | Path) -> Path:
    """A Word document with one paragraph per source line (blank lines kept as empty paragraphs)."""
    import docx

    document = docx.Document()
    for line in _lines(src):
        document.add_paragraph(line)
    document.save(str(dst))
    return Path(dst)


def pdf_copy(
    src: str | Path,
    dst: str | Path,
    *,
    wrap: int | None = None,
    font_size: float = 10.5,
    lines_per_page: int = 40,
) -> Path:
    """A real PDF with a text layer (reportlab, built-in CID font STSong-Light, no font file).

    Each non-blank source line is drawn as one line of text; blank lines are not drawn (text
    extraction cannot return them anyway). Pages are A4 high; the page is made wide enough for
    the longest line so nothing wraps, unless `wrap` is given: then lines wider than `wrap`
    full-width characters are broken as a page that narrow would break them (the text then
    differs by line breaks, and by the space lost where a line breaks at one; the parser
    rejoins running text with `rejoin_wrapped_lines`).
    A centred page number `- N -` sits at the foot of every page.
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    drawn: list[str] = []
    for line in _lines(src):
        # STSong-Light's CMap has no U+00B7; U+30FB draws the same dot and extracts as U+00B7.
        text = line.strip().replace("\u00b7", "\u30fb")
        if not text:
            continue
        drawn.extend(_wrap(text, wrap) if wrap else [text])
    margin = 72.0
    leading = font_size * 1.6
    widest = max((pdfmetrics.stringWidth(t, PDF_FONT, font_size) for t in drawn), default=0.0)
    width = max(595.0, widest + 2 * margin)
    height = 842.0
    pdf = canvas.Canvas(str(dst), pagesize=(width, height))
    pdf.setTitle(Path(src).stem)
    pages = [drawn[i : i + lines_per_page] for i in range(0, len(drawn), lines_per_page)] or [[]]
    for number, page in enumerate(pages, start=1):
        pdf.setFont(PDF_FONT, font_size)
        y = height - margin
        for text in page:
            pdf.drawString(margin, y, text)
            y -= leading
        pdf.setFont(PDF_FONT, 12)
        pdf.drawCentredString(width / 2, margin / 2, f"- {number} -")
        pdf.showPage()
    pdf.save()
    return Path(dst)


def _wrap(text: str, width: int) -> list[str]:
    """Break a line as a page `width` full-width characters wide would: CJK characters take a
    full cell, Latin letters, digits and spaces half of one; Latin/digit runs are not split."""
    import re

    out: list[str] = []
    line = ""
    used = 0.0
    for token in re.findall(r"[A-Za-z0-9.%+\-]+|.", text):
        size = sum(1.0 if ord(ch) > 0x2000 else 0.5 for ch in token)
        if line and used + size > width:
            out.append(line.rstrip())
            line, used = "", 0.0
            token = token.lstrip()
            size = sum(1.0 if ord(ch) > 0x2000 else 0.5 for ch in token)
        line += token
        used += size
    if line.strip():
        out.append(line.rstrip())
    return out


_NAV = ["首页", "政务公开", "政务服务", "互动交流", "走进本区"]
_SIDEBAR = ["政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报", "依申请公开"]
_FOOTER = [
    "主办：上海市某区人民政府办公室",
    "版权所有 © 2025 上海市某区人民政府 沪ICP备00000000号",
    "网站标识码：3100000000 沪公网安备 31000002000000号",
]
# Text of the page around the article, none of which occurs in the seeds: a reader that takes
# the article only must not return any of it.
HTML_FURNITURE = [
    "走进本区", "互动交流", "请输入关键字", "当前位置", "规划计划", "政府信息公开指南", "法定主动公开内容",
    "相关链接", "发布日期", "打印本页", "关闭窗口", "版权所有", "网站标识码", "沪公网安备", "统计代码",
]  # fmt: skip


def html_copy(src: str | Path, dst: str | Path, *, encoding: str = "utf-8") -> Path:
    """A realistic government web page with the seed as its article.

    Header navigation, breadcrumb, sidebar and a footer with copyright surround the document,
    which sits in `<div class="article"><div id="zoom" class="TRS_Editor">` as one `<p>` per
    source line (blank lines as `<p>&nbsp;</p>`, as CMS editors write them). `encoding` is
    declared in a meta tag (`gb18030` pages say `gb2312`, as real ones do).
    """
    lines = _lines(src)
    title = next((t.strip() for t in lines if t.strip()), Path(src).stem)
    body = "\n".join(
        f'<p style="text-indent:2em">{html.escape(t)}</p>' if t.strip() else "<p>&nbsp;</p>" for t in lines
    )
    nav = "".join(f'<li><a href="/{i}/">{html.escape(t)}</a></li>' for i, t in enumerate(_NAV))
    side = "".join(f'<li><a href="/xxgk/{i}.html">{html.escape(t)}</a></li>' for i, t in enumerate(_SIDEBAR))
    foot = "".join(f"<p>{html.escape(t)}</p>" for t in _FOOTER)
    declared = "gb2312" if encoding.lower() in ("gb18030", "gbk", "gb2312") else encoding
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={declared}">
<title>{html.escape(title)}_政务公开</title>
<link rel="stylesheet" href="/css/style.css">
<script>var _hmt = _hmt || []; document.write("统计代码");</script>
<style>.article p {{ line-height: 2; }}</style>
</head>
<body>
<div class="header">
  <div class="logo"><a href="/"><img src="/images/logo.png" alt="上海市某区人民政府"></a></div>
  <div class="search"><form action="/search"><input name="q" placeholder="请输入关键字"><button>搜索</button></form></div>
  <div class="nav"><ul>{nav}</ul></div>
</div>
<div class="main">
  <div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <span>规划计划</span></div>
  <div class="left sidebar"><h3>信息公开</h3><ul>{side}</ul><p>相关链接</p></div>
  <div class="right">
    <div class="title"><h1>{html.escape(title)}</h1>
      <div class="info"><span>发布日期：2025-05-14</span> <span>来源：区政府办公室</span></div></div>
    <div class="article">
      <div id="zoom" class="TRS_Editor">
{body}
      </div>
    </div>
    <div class="tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
  </div>
</div>
<div class="footer">{foot}</div>
<script src="/js/jquery.min.js"></script>
</body>
</html>
"""
    Path(dst).write_bytes(page.encode(encoding))
    return Path(dst)
