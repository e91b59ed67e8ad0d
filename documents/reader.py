"""Read a document file (.txt, .docx, .pdf, .html) into text: bytes → decoded → normalised.

`read_document(path)` / `read_bytes(data, name)` return a `SourceText` holding both the text
as found (`original`) and the text every analysis step uses (`text`, see
`documents.text.normalize_text`). Every failure is a `DocumentError(path, problem)` with a
one-line problem statement; no other exception escapes.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from documents.model import DocumentError
from documents.text import cjk_count, is_traditional, normalize_text, split_lines, to_simplified

__all__ = ["SUPPORTED_EXTENSIONS", "SourceText", "read_bytes", "read_document"]

SUPPORTED_EXTENSIONS = {".txt": "txt", ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html"}
# Far above any real work plan; keeps a wrong file from exhausting memory.
MAX_BYTES = 100 * 1024 * 1024


@dataclass
class SourceText:
    """A document's text as read from its source file."""

    path: str
    format: str  # "txt" | "docx" | "pdf" | "html"
    encoding: str | None  # "utf-8", "utf-8-sig", "gb18030", "utf-16" …; None for docx/pdf
    original: str  # decoded text as found (traditional characters kept), one source line per line
    text: str  # simplified, normalised, page furniture removed, line structure kept
    traditional: bool  # the source was (mostly) in traditional characters


def read_document(path: str | Path) -> SourceText:
    """Read a document file; raises DocumentError on any problem."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise DocumentError(name, "是目录，不是文件 (is a directory, not a file)")
        if size > MAX_BYTES:
            raise DocumentError(name, f"文件过大 (file too large: {size} bytes, limit {MAX_BYTES})")
        data = p.read_bytes()
    except FileNotFoundError:
        raise DocumentError(name, "文件不存在 (file not found)") from None
    except PermissionError:
        raise DocumentError(name, "无权读取 (permission denied)") from None
    except OSError as exc:
        raise DocumentError(name, f"无法读取文件 (cannot read file: {exc.strerror or exc})") from None
    return read_bytes(data, name)


def read_bytes(data: bytes, name: str) -> SourceText:
    """Read a document from memory; `name` gives the extension and the path used in errors."""
    suffix = Path(name).suffix.lower()
    fmt = SUPPORTED_EXTENSIONS.get(suffix)
    if fmt is None:
        raise DocumentError(name, _unsupported(suffix))
    if len(data) > MAX_BYTES:
        raise DocumentError(name, f"文件过大 (file too large: {len(data)} bytes, limit {MAX_BYTES})")
    encoding: str | None = None
    if fmt == "txt":
        raw, encoding = _decode_text_file(data, name)
    elif fmt == "html":
        raw, encoding = _read_html(data, name)
    elif fmt == "docx":
        raw = _read_docx(data, name)
    else:
        raw = _read_pdf(data, name)
    original = "\n".join(split_lines(raw))
    if not original.strip():
        raise DocumentError(name, "文件为空，没有文字内容 (empty: no text)")
    text = normalize_text(original)
    if not text.strip():
        raise DocumentError(name, "文件为空，没有文字内容 (empty: no text after normalisation)")
    return SourceText(
        path=name,
        format=fmt,
        encoding=encoding,
        original=original,
        text=text,
        traditional=is_traditional(original),
    )


def _unsupported(suffix: str) -> str:
    supported = ", ".join(SUPPORTED_EXTENSIONS)
    if suffix == ".doc":
        return f"不支持旧版 Word .doc 文件，请另存为 .docx (legacy .doc is not supported; supported: {supported})"
    shown = f"'{suffix}'" if suffix else "none"
    return f"不支持的文件类型 (unsupported file type {shown}; supported: {supported})"


# --- plain text -----------------------------------------------------------------------------

_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_NOT_TEXT = "不是文本文件（含二进制内容） (not a text file: binary content)"
# Above this share of control / unassigned / replacement characters a decoding is garbage.
_MAX_GARBAGE = 0.05
# Below this share of common characters a non-UTF decoding (GB18030, Big5 …) is not believed.
_MIN_PLAUSIBLE = 0.75


def _decode_text_file(data: bytes, name: str) -> tuple[str, str]:
    if not data.strip():
        raise DocumentError(name, "文件为空 (empty file)")
    text, encoding = _decode(data, name)
    if not text.strip():
        raise DocumentError(name, "文件为空 (empty file)")
    return text, encoding


def _decode(data: bytes, name: str, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes of a text or HTML file; raises DocumentError when they are not text."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _decode_tolerant(data, codec)
            if text is None:
                raise DocumentError(name, f"{codec.upper()} 编码无效 (invalid {codec} text)")
            _check_garbage(text, name)
            return text, codec
    if b"\x00" in data:
        raise DocumentError(name, _NOT_TEXT)
    if declared:
        text = _decode_tolerant(data, declared)
        # Pages mislabel their charset (GBK served as iso-8859-1): check the result reads.
        if text is not None and _readable(text, strict=not declared.startswith("utf")):
            return text, declared
    text = _decode_tolerant(data, "utf-8")
    if text is not None:
        _check_garbage(text, name)
        return text, "utf-8"
    # GB18030 and Big5 both accept much of each other's byte patterns: keep the one that reads as
    # ordinary Chinese.
    candidates = []
    for codec in ("gb18030", "big5hkscs"):
        text = _decode_tolerant(data, codec)
        if text is not None:
            candidates.append((_plausibility(text), codec, text))
    if candidates:
        score, codec, text = max(candidates)
        if score >= _MIN_PLAUSIBLE and _garbage_share(text) <= _MAX_GARBAGE:
            return text, codec
    # A few damaged bytes in an otherwise good file: replace them rather than reject the file.
    for codec in ("utf-8", "gb18030"):
        text = data.decode(codec, errors="replace")
        if text.count("\ufffd") <= max(2, len(text) // 1000) and _readable(text, strict=codec != "utf-8"):
            return text, codec
    guess = _charset_normalizer_guess(data)
    if guess is not None and _readable(guess[0], strict=True):
        return guess
    raise DocumentError(name, "无法识别文字编码，或不是文本文件 (unknown text encoding or not a text file)")


def _decode_tolerant(data: bytes, codec: str) -> str | None:
    """Strict decode, except that a multibyte character cut off at the very end is dropped."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        # A file cut mid-character: only the last few bytes may be incomplete.
        if exc.end >= len(data) and len(data) - exc.start <= 3:
            try:
                return data[: exc.start].decode(codec)
            except UnicodeDecodeError:
                return None
        return None
    except LookupError:
        return None


def _garbage_share(text: str) -> float:
    sample = text[:200_000]
    if not sample:
        return 0.0
    bad = 0
    for ch in sample:
        if ch in "\t\n\r\f\v":
            continue
        if ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            bad += 1
    return bad / len(sample)


def _readable(text: str, *, strict: bool) -> bool:
    """Few control characters; with `strict`, also mostly ASCII or common Chinese characters
    (any byte string decodes in a single-byte or GB codec, so that alone proves nothing)."""
    if _garbage_share(text) > _MAX_GARBAGE:
        return False
    return not strict or _plausibility(text) >= _MIN_PLAUSIBLE


def _check_garbage(text: str, name: str) -> None:
    if _garbage_share(text) > _MAX_GARBAGE:
        raise DocumentError(name, _NOT_TEXT)


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    """Characters of GB2312 (common simplified hanzi, symbols, full-width forms)."""
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


def _plausibility(text: str) -> float:
    """Share of non-space characters that are ASCII or common Chinese (judged after t2s)."""
    sample = text[:20_000]
    common = _common_chars()
    simplified = to_simplified(sample)
    chars = [ch for ch in simplified if not ch.isspace()]
    if not chars:
        return 1.0
    good = sum(
        1 for ch in chars if (ch.isascii() and ch.isprintable()) or ch in common or "\u2000" <= ch <= "\u206f"
    )
    return good / len(chars)


def _charset_normalizer_guess(data: bytes) -> tuple[str, str] | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:1_000_000]).best()
        if best is None or not best.encoding:
            return None
        codec = best.encoding
        text = _decode_tolerant(data, codec)
        return (text, codec) if text is not None else None
    except Exception:  # the guesser is a last resort; any failure means "unknown"
        return None


# --- HTML -----------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "utf8": "utf-8",
}
# Not <form>: ASP.NET pages wrap the whole page, article included, in one.
_DROP_TAGS = [
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "iframe",
    "button", "select", "svg", "canvas", "object", "embed", "head",
]  # fmt: skip
# Content containers used by government CMSs (TRS, Hanweb, UCAP …) and generic sites, in order.
_CONTENT_SELECTORS = [
    "#zoom", "#Zoom", ".TRS_Editor", ".trs_editor", "#UCAP-CONTENT", ".Article_content",
    ".article-content", ".article_content", "#article", "article", ".article", "#content",
    ".content", ".main-content", "#mainText", ".detail", "#detail", "main",
]  # fmt: skip
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "blockquote", "body", "center", "dd", "div", "dl", "dt", "figcaption",
        "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "pre", "section",
        "table", "tbody", "thead", "tfoot", "tr", "ul", "caption", "html",
    }
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})
_WS = re.compile(r"[ \t\r\n\f]+")


def _read_html(data: bytes, name: str) -> tuple[str, str]:
    declared = None
    m = _META_CHARSET.search(data[:8192])
    if m:
        label = m.group(1).decode("ascii", "ignore").lower()
        declared = _CHARSET_ALIASES.get(label, label)
    html, encoding = _decode(data, name, declared)
    try:
        from selectolax.lexbor import LexborHTMLParser

        tree = LexborHTMLParser(html)
        root = tree.body or tree.root
        if root is None:
            raise DocumentError(name, "网页没有正文 (HTML page has no body)")
        tree.strip_tags(_DROP_TAGS)
        node = _content_node(tree, root)
        return "\n".join(_html_lines(node)), encoding
    except DocumentError:
        raise
    except Exception as exc:  # selectolax is a C extension: report any failure as unreadable
        raise DocumentError(name, f"无法解析网页 (cannot parse HTML: {type(exc).__name__})") from None


def _content_node(tree: Any, root: Any) -> Any:
    """The element holding the article.

    The tightest known content container that holds most of the article's paragraphs, else the
    element whose <p> children hold the most Chinese text, else the whole body.
    """
    scores: dict[int, tuple[int, Any]] = {}
    for p in tree.css("p"):
        parent = p.parent
        if parent is None:
            continue
        key = parent.mem_id
        scores[key] = (scores.get(key, (0, parent))[0] + cjk_count(p.text(deep=True)), parent)
    best_score, best = max(scores.values(), key=lambda v: v[0], default=(0, None))
    # The article is what the best <p> group holds; without <p>, half of the page's text.
    needed = 0.8 * best_score if best_score else 0.5 * cjk_count(root.text(deep=True))
    found: list[tuple[int, Any]] = []
    for selector in _CONTENT_SELECTORS:
        for node in tree.css(selector):
            count = cjk_count(node.text(deep=True))
            # A sidebar sharing the class holds too little; a page wrapper holds too much.
            if count and count >= needed:
                found.append((count, node))
    if found:
        return min(found, key=lambda v: v[0])[1]
    return best if best is not None and best_score > 0 else root


def _html_lines(node: Any) -> list[str]:
    """Text of an element, one line per paragraph / block / <br>; iterative (deep pages)."""
    lines: list[str] = []
    current: list[str] = []

    def flush(keep_empty: bool) -> None:
        text = "".join(current).strip(" ")
        if text or keep_empty:
            lines.append(text)
        current.clear()

    # Stack of (node, entering): children are pushed in reverse so they pop in order.
    stack = [(node, True)]
    pre_depth = 0
    while stack:
        n, entering = stack.pop()
        tag = n.tag
        if tag == "-text":
            text = n.text(deep=False) or ""
            current.append(text if pre_depth else _WS.sub(" ", text))
            continue
        if tag in ("-comment", "!doctype") or tag is None:
            continue
        if entering:
            if tag == "br":
                flush(keep_empty=True)
                continue
            if tag == "p" or tag in _BLOCK_TAGS:
                flush(keep_empty=False)
            elif tag in _CELL_TAGS and current and "".join(current).strip():
                current.append(" ")
            if tag == "pre":
                pre_depth += 1
            stack.append((n, False))
            children = []
            child = n.child
            while child is not None:
                children.append(child)
                child = child.next
            stack.extend((c, True) for c in reversed(children))
        else:
            if tag == "pre":
                pre_depth -= 1
            if tag == "p":
                # Every <p> is one line, an empty one included (spacing paragraphs).
                flush(keep_empty=True)
            elif tag in _BLOCK_TAGS:
                flush(keep_empty=False)
    flush(keep_empty=False)
    # Text inside <pre> keeps its own line breaks.
    return [part for line in lines for part in line.split("\n")]


# --- DOCX -----------------------------------------------------------------------------------


def _read_docx(data: bytes, name: str) -> str:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentError(name, "这是旧版 Word .doc 文件，请另存为 .docx (legacy .doc saved as .docx)")
    if not data.startswith(b"PK"):
        raise DocumentError(
            name, "不是有效的 .docx 文件（不是 zip 包） (not a valid .docx: not a zip archive)"
        )
    try:
        import docx
        from docx.oxml.ns import qn

        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        lines: list[str] = []
        _docx_block(body, lines, qn)
        return "\n".join(lines)
    except zipfile.BadZipFile:
        raise DocumentError(
            name, "不是有效的 .docx 文件（zip 包损坏） (corrupt .docx: bad zip archive)"
        ) from None
    except Exception as exc:  # python-docx/lxml raise many types for damaged packages
        raise DocumentError(
            name, f"无法读取 .docx 文件 (corrupt or unsupported .docx: {type(exc).__name__})"
        ) from None


def _docx_paragraph_text(p: Any) -> str:
    """Text of a w:p in order, including runs inside insertions, hyperlinks, fields and content
    controls (python-docx's Paragraph.text only sees direct runs and hyperlinks)."""
    from docx.oxml.ns import qn

    t, tab, br, cr, hyphen = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:noBreakHyphen")
    parts: list[str] = []
    for el in p.iter(t, tab, br, cr, hyphen):
        if el.tag == t:
            parts.append(el.text or "")
        elif el.tag == tab:
            # w:tab also appears in w:tabs (paragraph tab stops), which is not text.
            if el.getparent() is not None and el.getparent().tag == qn("w:r"):
                parts.append("\t")
        elif el.tag == hyphen:
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _docx_block(parent: Any, lines: list[str], qn: Any) -> None:
    """Paragraphs and table rows of a body-like element, in document order."""
    for child in parent.iterchildren():
        if child.tag == qn("w:p"):
            lines.extend(_docx_paragraph_text(child).split("\n"))
        elif child.tag == qn("w:tbl"):
            for tr in child.iterchildren(qn("w:tr")):
                cells = [_docx_cell_text(tc, qn) for tc in tr.iterchildren(qn("w:tc"))]
                lines.append(" ".join(c for c in cells if c))
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                _docx_block(content, lines, qn)


def _docx_cell_text(tc: Any, qn: Any) -> str:
    tc_pr = tc.find(qn("w:tcPr"))
    if tc_pr is not None:
        v_merge = tc_pr.find(qn("w:vMerge"))
        # A vertically merged continuation cell: its text belongs to the cell above.
        if v_merge is not None and v_merge.get(qn("w:val")) in (None, "continue"):
            return ""
    parts = [_docx_paragraph_text(p).replace("\n", " ").strip() for p in tc.iter(qn("w:p"))]
    text = ""
    for part in parts:
        if not part:
            continue
        # Paragraphs of one cell continue each other; a space only between Latin/digit runs.
        if text and text[-1].isascii() and text[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            text += " "
        text += part
    return text


# --- PDF ------------------------------------------------------------------------------------

_CID = re.compile(r"\(cid:\d+\)")


# pdfminer logs a warning for every small defect of a real-world PDF; the result is what counts.
# Set once at import (child loggers inherit it), not switched around each read: Prefect may
# read documents in several threads at once.
logging.getLogger("pdfminer").setLevel(logging.ERROR)


def _read_pdf(data: bytes, name: str) -> str:
    if b"%PDF-" not in data[:1024]:
        raise DocumentError(name, "不是有效的 PDF 文件 (not a PDF: no %PDF header)")
    try:
        import pdfplumber

        pages: list[str] = []
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if not pdf.pages:
                raise DocumentError(name, "PDF 没有页面 (PDF has no pages)")
            for page in pdf.pages:
                pages.append(page.extract_text() or "")
                page.close()  # release the page's parsed objects as we go
    except DocumentError:
        raise
    except Exception as exc:  # pdfminer raises many types for damaged or encrypted files
        detail = f"{type(exc).__name__} {exc}".lower()
        if "encrypt" in detail or "password" in detail:
            raise DocumentError(name, "PDF 已加密 (PDF is encrypted)") from None
        raise DocumentError(name, f"PDF 文件损坏或无法解析 (corrupt PDF: {type(exc).__name__})") from None
    text = "\n".join(pages)
    if not text.strip():
        raise DocumentError(
            name, "PDF 没有文字层（可能是扫描件，需要先做 OCR） (PDF has no text layer: scanned image?)"
        )
    if len(_CID.findall(text)) * 8 > len(text) // 2:
        raise DocumentError(
            name, "PDF 文字层无法解码（字体缺少 Unicode 映射） (PDF text layer has no Unicode mapping)"
        )
    return text
