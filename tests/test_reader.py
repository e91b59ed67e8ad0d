"""The reader (bytes → clean text) on the five real seeds and on copies derived from them.

Expected strings were read off the seed files by hand.
"""

from __future__ import annotations

import io
import random
import re
from functools import cache, lru_cache
from pathlib import Path

import opencc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from documents.model import DocumentError
from documents.reader import SourceText, read_bytes, read_document
from documents.text import (
    is_page_number_line,
    is_traditional,
    normalize_text,
    rejoin_wrapped_lines,
    remove_page_furniture,
    wrap_width,
)
from tests.derived import (
    HTML_FURNITURE,
    SAMPLES,
    SEEDS,
    docx_copy,
    gb18030_copy,
    html_copy,
    pdf_copy,
    traditional_copy,
    utf8_bom_copy,
    utf16_copy,
)

CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING_2026 = SAMPLES / "changning-2026-district-plan.txt"
CHANGNING_2025 = SAMPLES / "changning-2025-task-table.txt"
JINGAN = SAMPLES / "jingan-2025-work-points.txt"
BAOSHAN = SAMPLES / "baoshan-2023-work-points-with-table.txt"
RUNNING_TEXT = [CITY, CHANGNING_2026, JINGAN]

BAOSHAN_HEADER = "序号 工作重点 具体内容 责任单位 完成时间"


@cache
def seed(path: Path) -> SourceText:
    return read_document(path)


def nonblank(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


# --- the seeds ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
def test_seed_reads(path: Path) -> None:
    src = seed(path)
    assert (src.format, src.encoding, src.traditional) == ("txt", "utf-8", False)
    assert src.path == str(path)
    assert src.original == path.read_text(encoding="utf-8")
    assert len(nonblank(src.text)) > 30
    # .text is a fixed point: normalising it again changes nothing.
    assert normalize_text(src.text) == src.text


@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
def test_seed_text_has_no_page_numbers(path: Path) -> None:
    lines = seed(path).text.split("\n")
    assert not [line for line in lines if is_page_number_line(line)]
    # The split form (`-` / `22` / `-`) leaves no lone dash behind.
    assert not [line for line in lines if re.fullmatch(r"[-—－]+", line)]
    assert all(line == line.strip() for line in lines)


def test_page_numbers_are_kept_in_original() -> None:
    original = seed(BAOSHAN).original
    assert "\n- 14 -\n" in original
    assert re.search(r"\n-\n22\n\n-\n", original) and re.search(r"\n-\n25\n\n-\n", original)
    text = seed(BAOSHAN).text
    assert "- 14 -" not in text
    assert not re.search(r"^(22|25)$", text, re.MULTILINE)  # no row 22/25 stands alone in Baoshan


def test_baoshan_repeated_table_header_appears_once() -> None:
    assert seed(BAOSHAN).original.count(BAOSHAN_HEADER) == 10
    assert seed(BAOSHAN).text.count(BAOSHAN_HEADER) == 1
    # The one kept is the first, right under the table title.
    lines = nonblank(seed(BAOSHAN).text)
    title = lines.index("2023年宝山区政务公开工作要点任务分解表")
    assert lines[title + 1] == BAOSHAN_HEADER


def test_changning_2025_header_block_appears_once() -> None:
    original = nonblank(seed(CHANGNING_2025).original)
    text = nonblank(seed(CHANGNING_2025).text)
    assert original.count("序号 任务内容 责任单位") == 5
    for header_line in ("领域", "序号 任务内容 责任单位", "完成", "时限"):
        assert text.count(header_line) == 1, header_line
    start = text.index("领域")
    assert text[start : start + 5] == ["领域", "序号 任务内容 责任单位", "完成", "时限", "一、依法"]


def test_changning_2025_rows_survive_furniture_removal() -> None:
    # Row numbers stand alone on a line or start one: a bare number is not a page number.
    lines = nonblank(seed(CHANGNING_2025).text)
    for number in range(1, 34):
        assert any(line == str(number) or line.startswith(f"{number} ") for line in lines), number
    assert "2" in lines and "33" in lines
    # The section column text around the removed header blocks is intact.
    for cell in ("二、发挥", "以公开促", "三、持续", "四、不断", "提升政务", "公开质效"):
        assert cell in lines
    # Content lines that look a little like header words are kept.
    original = nonblank(seed(CHANGNING_2025).original)
    for cell in ("全年", "配合", "落实", "10月"):
        assert lines.count(cell) == original.count(cell) > 0, cell
    assert len(lines) == len(original) - 4 * 4  # exactly the four repeated 4-line header blocks went


def test_normalised_punctuation_and_numbers_in_seeds() -> None:
    city = seed(CITY).text
    assert "(责任单位:" not in city and "（责任单位：市发展改革委" in city
    assert "（一）聚焦“十五五”开局做好政府信息公开" in city
    assert "聚焦 G60 科创走廊" in city  # Latin/digit words keep their spaces
    changning = seed(CHANGNING_2025).text
    assert "长府办〔2025〕12号" in changning
    assert "2025年4月25日区政府第104次常务会议" in changning
    assert "不低于50%" in changning
    baoshan = seed(BAOSHAN).text
    for phrase in (
        "发布后30天内",
        "不少于4次",
        "至少1次",
        "3月31日前",
        "10个工作日内",
        "不低于4%",
        "2023年5月22日",
    ):
        assert phrase in baoshan, phrase
    # A table row: number column, space, text column - the space stays.
    assert "4 扩大有效投资信息公开 依法依规做好" in baoshan
    assert "35 加强组织领导和工作保" in baoshan


# --- derived copies -----------------------------------------------------------------------

ENCODED = [
    (gb18030_copy, "gb18030"),
    (utf16_copy, "utf-16"),
    (utf8_bom_copy, "utf-8-sig"),
]


@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
@pytest.mark.parametrize(("make", "encoding"), ENCODED, ids=[e for _, e in ENCODED])
def test_encoded_copies_read_the_same(tmp_path: Path, path: Path, make, encoding: str) -> None:
    src = read_document(make(path, tmp_path / f"{path.stem}.txt"))
    assert (src.format, src.encoding, src.traditional) == ("txt", encoding, False)
    assert src.original == seed(path).original
    assert src.text == seed(path).text


@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
def test_traditional_copy_reads_the_same(tmp_path: Path, path: Path) -> None:
    src = read_document(traditional_copy(path, tmp_path / f"{path.stem}.txt"))
    assert src.traditional is True
    assert src.original != seed(path).original and "政務公開" in src.original  # kept as found
    # s2t then t2s is the identity on every character of the seeds (checked here), so the
    # analysis text equals the seed's exactly.
    original = path.read_text(encoding="utf-8")
    assert opencc.OpenCC("t2s").convert(opencc.OpenCC("s2t").convert(original)) == original
    assert src.text == seed(path).text


@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
def test_big5_taiwan_copy_reads_as_traditional(path: Path) -> None:
    # Taiwan-standard characters in Big5, as a mirror site would serve them. s2tw turns 着 into
    # 著, which t2s leaves as 著 (also a simplified character): compare after the same round trip.
    original = path.read_text(encoding="utf-8")
    taiwan = opencc.OpenCC("s2tw").convert(original)
    src = read_bytes(taiwan.encode("big5hkscs"), f"{path.stem}.txt")
    assert (src.encoding, src.traditional) == ("big5hkscs", True)
    assert src.text == normalize_text(opencc.OpenCC("t2s").convert(taiwan))
    differing = {(a, b) for a, b in zip(seed(path).text, src.text, strict=True) if a != b}
    assert differing <= {("着", "著")}


@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
def test_docx_copy_reads_the_same(tmp_path: Path, path: Path) -> None:
    src = read_document(docx_copy(path, tmp_path / f"{path.stem}.docx"))
    assert (src.format, src.encoding, src.traditional) == ("docx", None, False)
    assert src.text == seed(path).text


@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
def test_pdf_copy_reads_the_same_nonblank_lines(tmp_path: Path, path: Path) -> None:
    # Text extraction returns no blank lines, so equality is on the non-blank lines.
    src = read_document(pdf_copy(path, tmp_path / f"{path.stem}.pdf"))
    assert (src.format, src.encoding, src.traditional) == ("pdf", None, False)
    assert re.search(r"^- 1 -$", src.original, re.MULTILINE)  # the page furniture was there
    assert nonblank(src.text) == nonblank(seed(path).text)


@pytest.mark.parametrize("path", [*RUNNING_TEXT, BAOSHAN], ids=ids([*RUNNING_TEXT, BAOSHAN]))
def test_wrapped_pdf_copy_rejoins_to_the_same_paragraphs(tmp_path: Path, path: Path) -> None:
    src = read_document(pdf_copy(path, tmp_path / f"{path.stem}.pdf", wrap=33))
    base = seed(path).text
    assert "".join(src.text.split()) == "".join(base.split())
    assert wrap_width(src.text.split("\n")) is not None
    body = _running_text(base)
    wrapped_body = _running_text(src.text)
    # A break at a line end loses the space before a Latin word (`聚焦 G60`): compare without spaces.
    assert [p.replace(" ", "") for p in rejoin_wrapped_lines(wrapped_body)] == [
        p.replace(" ", "") for p in rejoin_wrapped_lines(body)
    ]


def _comparable(path: Path) -> dict:
    """A parsed document without what depends on the source file; spaces in item text dropped (a
    line break in a PDF swallows the space before a Latin word: `聚焦 G60` → `聚焦G60`)."""
    from documents.parser import parse_file

    data = parse_file(path).to_dict()
    for key in ("source_path", "source_format", "encoding", "traditional", "content_hash"):
        data.pop(key)
    for item in data["items"]:
        for key in ("text", "original_text", "title"):
            item[key] = "".join(item[key].split())
    return data


@pytest.mark.parametrize("wrap", [None, 40])
@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
def test_pdf_copy_parses_like_the_seed(tmp_path: Path, path: Path, wrap: int | None) -> None:
    pdf = pdf_copy(path, tmp_path / f"{path.stem}.pdf", wrap=wrap)
    assert _comparable(pdf) == _comparable(path)


def _running_text(text: str) -> list[str]:
    lines = text.split("\n")
    end = next((i for i, line in enumerate(lines) if line.startswith("附件：")), len(lines))
    return lines[:end]


@pytest.mark.parametrize("path", SEEDS, ids=ids(SEEDS))
def test_html_copy_reads_the_article_only(tmp_path: Path, path: Path) -> None:
    src = read_document(html_copy(path, tmp_path / f"{path.stem}.html"))
    assert (src.format, src.encoding, src.traditional) == ("html", "utf-8", False)
    assert src.text == seed(path).text
    for furniture in HTML_FURNITURE:
        assert furniture not in src.original, furniture


@pytest.mark.parametrize("path", [CHANGNING_2026, BAOSHAN], ids=ids([CHANGNING_2026, BAOSHAN]))
def test_gb2312_labelled_html_copy(tmp_path: Path, path: Path) -> None:
    src = read_document(html_copy(path, tmp_path / f"{path.stem}.htm", encoding="gb18030"))
    assert (src.format, src.encoding) == ("html", "gb18030")
    assert src.text == seed(path).text


def test_html_without_known_container_uses_the_paragraph_richest_element() -> None:
    article = "".join(f"<p>{line}</p>" for line in nonblank(seed(JINGAN).original))
    page = f"""<html><head><meta charset="utf-8"><title>静安区</title></head><body>
    <div class="top"><a href="/">首页</a><a href="/x">政务公开</a><a href="/y">互动交流</a></div>
    <div class="wrap"><div class="l"><p>热点专题</p><p>网站地图</p></div>
    <div class="r"><div class="doc-body">{article}</div></div></div>
    <div class="bottom"><p>版权所有：上海市静安区人民政府</p><p>联系我们</p></div></body></html>"""
    src = read_bytes(page.encode("utf-8"), "jingan.html")
    assert nonblank(src.text) == nonblank(seed(JINGAN).text)
    assert "版权所有" not in src.text and "热点专题" not in src.text


def test_html_breaks_and_table_rows_become_lines() -> None:
    page = """<html><body><div id="zoom">
    <p>一、总体要求<br>二、主要任务</p>
    <table><tr><th>序号</th><th>任务内容</th><th>责任单位</th></tr>
    <tr><td>1</td><td>做好政务公开</td><td>区府办</td></tr></table>
    <p>三、保障措施</p><script>document.write("统计")</script></div></body></html>"""
    src = read_bytes(page.encode(), "p.htm")
    assert nonblank(src.text) == [
        "一、总体要求",
        "二、主要任务",
        "序号 任务内容 责任单位",
        "1 做好政务公开 区府办",
        "三、保障措施",
    ]


def test_docx_tables_come_in_document_order(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("2025年某区政务公开工作任务分解表")
    table = document.add_table(rows=3, cols=4)
    for cell, text in zip(table.rows[0].cells, ["序号", "任务内容", "责任单位", "完成时限"], strict=True):
        cell.text = text
    for cell, text in zip(
        table.rows[1].cells, ["1", "做好政务公开专栏维护。", "各部门、", "全年"], strict=True
    ):
        cell.text = text
    table.rows[1].cells[2].add_paragraph("各街道（镇）")
    table.rows[2].cells[0].text = "2"
    table.rows[2].cells[1].text = "依法公开预决算。"
    table.rows[2].cells[2].text = "区财政局"
    table.cell(1, 3).merge(table.cell(2, 3))  # one deadline cell spanning two rows
    document.add_paragraph("特此通知。")
    path = tmp_path / "table.docx"
    document.save(str(path))
    assert nonblank(read_document(path).text) == [
        "2025年某区政务公开工作任务分解表",
        "序号 任务内容 责任单位 完成时限",
        "1 做好政务公开专栏维护。 各部门、各街道（镇） 全年",
        "2 依法公开预决算。 区财政局",
        "特此通知。",
    ]


# --- cut and damaged text files -----------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-8", "gb18030"])
def test_file_cut_mid_character_reads_up_to_the_cut(codec: str) -> None:
    data = CHANGNING_2026.read_text(encoding="utf-8").encode(codec)
    cut = data[: data.index("特此通知".encode(codec)) + 1]  # one byte into 特
    src = read_bytes(cut, "cut.txt")
    assert src.encoding == codec
    assert src.original.endswith("请认真按照执行。\n\n")


def test_file_cut_in_half_is_still_text() -> None:
    data = BAOSHAN.read_bytes()
    src = read_bytes(data[: len(data) // 2], "half.txt")
    assert src.text.startswith("宝府办〔2023〕15号")
    assert "2023年宝山区政务公开工作要点" in src.text


def test_utf16_cut_mid_code_unit() -> None:
    data = CHANGNING_2026.read_text(encoding="utf-8").encode("utf-16")
    src = read_bytes(data[:-1], "cut.txt")
    assert src.encoding == "utf-16" and src.text.endswith("跟踪指导和督促落实")


def test_gb18030_file_with_a_damaged_byte_still_reads() -> None:
    data = bytearray(JINGAN.read_text(encoding="utf-8").encode("gb18030"))
    data[data.index("提升政策解读质量".encode("gb18030"))] = 0xFF  # never valid in GB18030
    src = read_bytes(bytes(data), "damaged.txt")
    assert src.encoding == "gb18030"
    assert "\ufffd" in src.original and "2025年静安区政务公开工作要点" in src.text


def test_traditional_text_in_gb18030() -> None:
    taiwan = opencc.OpenCC("s2tw").convert(JINGAN.read_text(encoding="utf-8"))
    src = read_bytes(taiwan.encode("gb18030"), "trad-gbk.txt")
    assert (src.encoding, src.traditional) == ("gb18030", True)
    assert src.text == seed(JINGAN).text


def test_html_with_wrong_charset_label() -> None:
    page = f"<html><head><meta charset=iso-8859-1></head><body><div id=zoom><p>{seed(JINGAN).original}</p></div></body></html>"
    src = read_bytes(page.encode("gb18030"), "mislabelled.html")
    assert src.encoding == "gb18030"
    assert "2025年静安区政务公开工作要点" in src.text


def test_docx_tracked_insertions_and_tabs_are_text(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    paragraph = document.add_paragraph("1.做好政务公开")
    paragraph._p.append(
        parse_xml(f'<w:ins {nsdecls("w")} w:id="1" w:author="a"><w:r><w:t>专栏维护</w:t></w:r></w:ins>')
    )
    paragraph._p.append(parse_xml(f"<w:r {nsdecls('w')}><w:tab/><w:t>全年</w:t></w:r>"))
    paragraph._p.append(
        parse_xml(
            f'<w:del {nsdecls("w")} w:id="2" w:author="a"><w:r><w:delText>删去</w:delText></w:r></w:del>'
        )
    )
    path = tmp_path / "tracked.docx"
    document.save(str(path))
    assert read_document(path).text == "1.做好政务公开专栏维护 全年"


# --- errors -------------------------------------------------------------------------------


def _error(data: bytes, name: str) -> str:
    with pytest.raises(DocumentError) as info:
        read_bytes(data, name)
    message = str(info.value)
    assert message.startswith(f"{name}: ") and "\n" not in message
    assert info.value.path == name
    return message


@pytest.mark.parametrize(
    "data", [b"", b"   \n\n\t  \r\n", "\ufeff".encode("utf-8-sig"), "\n\n".encode("utf-16")]
)
def test_empty_file(data: bytes) -> None:
    assert "empty" in _error(data, "plans/empty.txt")


def test_empty_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(DocumentError) as info:
        read_document(path)
    assert str(info.value).startswith(f"{path}: ") and "empty" in str(info.value)


def test_random_bytes_are_binary() -> None:
    data = random.Random(20260508).randbytes(4096)
    message = _error(data, "random.txt")
    assert "不是文本文件" in message and "not a text file" in message


def test_random_bytes_without_nul_are_not_text() -> None:
    data = random.Random(7).randbytes(4096).replace(b"\x00", b"\x80")
    message = _error(data, "random.txt")
    assert "not a text file" in message or "unknown text encoding" in message


def test_png_is_binary(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"
    path = tmp_path / "scan.txt"
    path.write_bytes(png + bytes(range(256)) * 4)
    with pytest.raises(DocumentError, match=r"not a text file") as info:
        read_document(path)
    assert str(path) in str(info.value)


def test_control_characters_are_binary() -> None:
    data = bytes(b % 32 for b in range(2000)).replace(b"\x00", b"\x01")
    assert "not a text file" in _error(data, "ctl.txt")


@pytest.mark.parametrize("name", ["plan.xyz", "setup.exe", "README", "plan.doc", "plan.txt.bak"])
def test_unknown_extension(name: str) -> None:
    message = _error(b"hello", name)
    assert "supported: .txt, .docx, .pdf, .html, .htm" in message
    suffix = Path(name).suffix
    assert (f"'{suffix}'" in message) if suffix and suffix != ".doc" else True


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.txt"
    with pytest.raises(DocumentError, match="file not found") as info:
        read_document(path)
    assert str(info.value).startswith(str(path))


def test_corrupt_docx(tmp_path: Path) -> None:
    good = docx_copy(JINGAN, tmp_path / "good.docx").read_bytes()
    assert "corrupt .docx" in _error(good[: len(good) // 2], "half.docx")
    assert "not a valid .docx" in _error(b"this is not a zip file", "text.docx")
    assert "legacy .doc" in _error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.docx")
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a word document")
    assert "corrupt or unsupported .docx" in _error(buf.getvalue(), "zip.docx")


def _pdf_without_text(path: Path) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    pdf.rect(72, 72, 400, 600, fill=1)  # a "scanned" page: graphics, no text
    pdf.showPage()
    pdf.save()
    return path


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    path = _pdf_without_text(tmp_path / "scan.pdf")
    with pytest.raises(DocumentError, match="no text layer") as info:
        read_document(path)
    assert str(info.value).startswith(f"{path}: ")


def test_corrupt_pdf(tmp_path: Path) -> None:
    assert "not a PDF" in _error(b"<html>not a pdf</html>", "x.pdf")
    message = _error(
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n", "broken.pdf"
    )
    assert "PDF" in message


# --- normalize_text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(责任单位:区府办;区数据局)", "（责任单位：区府办；区数据局）"),
        ("１２．ＡＢｃ　ｄ％", "12.ABc d%"),
        ("\u3000\u30001．加强政务公开\u00a0", "1.加强政务公开"),
        ("2023 年宝山区", "2023年宝山区"),
        ("并于 3 月 31 日前向社会公开", "并于3月31日前向社会公开"),
        ("2023年 5月 22日", "2023年5月22日"),
        ("已经 2025 年 4 月 25 日区政府第 104 次常务会议", "已经 2025年4月25日区政府第104次常务会议"),
        ("不少于 4次", "不少于4次"),
        ("发布后 30 天内", "发布后30天内"),
        ("长府办〔2025〕12 号", "长府办〔2025〕12号"),
        ("不低于 50 %", "不低于50%"),
        ("10 个工作日内，向社会公开", "10个工作日内，向社会公开"),
        ("4 扩大有效投资信息公开", "4 扩大有效投资信息公开"),  # row number column
        ("12 项目建设信息公开", "12 项目建设信息公开"),
        ("3 日常监管", "3 日常监管"),
        ("区府办 全年", "区府办 全年"),  # table columns
        ("做好 12345热线", "做好 12345热线"),
        (
            "预算1,000万元，9:30开始，见http://www.shanghai.gov.cn",
            "预算1,000万元，9:30开始，见http://www.shanghai.gov.cn",
        ),
        ("a  b\t\tc", "a b c"),
        ("宝府办﹝2023﹞15号", "宝府办〔2023〕15号"),
    ],
)
def test_normalize_line_cases(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_colon_between_digits_is_kept() -> None:
    assert normalize_text("9:30") == "9:30"


def test_normalize_keeps_line_structure() -> None:
    raw = "一、总则\r\n\r\n  1. 第一条  \r（二）第二条\f第三页\u2028末行\n"
    assert normalize_text(raw) == "一、总则\n\n1. 第一条\n（二）第二条\n第三页\n末行\n"


def test_page_furniture_forms() -> None:
    lines = [
        "甲",
        "- 14 -",
        "乙",
        "— 15 —",
        "丙",
        "-16-",
        "丁",
        "-",
        "",
        "22",
        "",
        "-",
        "戊",
        "第 3 页",
        "己",
        "18",
        "庚",
    ]
    assert remove_page_furniture(lines) == ["甲", "乙", "丙", "丁", "", "", "戊", "己", "18", "庚"]
    # A lone dash or number that is not part of a page number stays.
    assert remove_page_furniture(["-", "内容", "22"]) == ["-", "内容", "22"]


def test_repeated_header_split_by_a_page_number_is_dropped() -> None:
    lines = ["领域", "序号 任务内容 责任单位", "完成", "时限", "1", "做好工作。", "领域", "序号 任务内容 责任单位",
             "- 3 -", "完成", "时限", "2", "依法公开。"]  # fmt: skip
    assert remove_page_furniture(lines) == lines[:6] + ["2", "依法公开。"]


def test_single_header_words_are_content() -> None:
    # Only blocks with a strong header word (序号, 责任单位 …) count as table headers.
    lines = ["完成", "时限", "内容", "完成", "时限"]
    assert remove_page_furniture(lines) == lines


def test_traditional_text_is_converted() -> None:
    assert normalize_text("二〇二五年靜安區政務公開工作要點") == "二〇二五年静安区政务公开工作要点"
    assert is_traditional("政務公開") and not is_traditional("政务公开")


def test_simplified_text_is_not_touched_by_t2s() -> None:
    # t2s would turn the surname 於 into 于: simplified text must be left alone.
    text = seed(JINGAN).original + "\n联系人：於梅，昇平路。"
    assert not is_traditional(text)
    assert "於梅，昇平路。" in normalize_text(text)


# --- rejoin_wrapped_lines -----------------------------------------------------------------


def _paragraph(paragraphs: list[str], start: str) -> str:
    found = [p for p in paragraphs if p.startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def test_rejoin_changning_2026_item_3() -> None:
    paragraphs = rejoin_wrapped_lines(seed(CHANGNING_2026).text.split("\n"))
    item = _paragraph(paragraphs, "3. ")
    assert "为申请人依法获取政府信息提供最大便利。" in item
    assert item.endswith("（责任单位：区府办牵头，各部门、各街道（镇）落实）")
    assert _paragraph(paragraphs, "8. ").endswith("各街道（镇）落实）")
    assert _paragraph(paragraphs, "13. ").endswith("各街道（镇）落实）")
    numbered = [p for p in paragraphs if re.match(r"\d+\. ", p)]
    assert [int(p.split(".")[0]) for p in numbered] == list(range(1, 23))
    assert paragraphs[-1].startswith("各部门、各街道（镇）要主动作为")


def test_rejoin_jingan() -> None:
    paragraphs = rejoin_wrapped_lines(seed(JINGAN).text.split("\n"))
    assert "加大《上海市行政机关政策解读工作指南》的推广运用和辅导。" in _paragraph(paragraphs, "3. ")
    item13 = _paragraph(paragraphs, "13. ")
    assert item13.endswith("完善依申请公开智能办理。")
    closing = _paragraph(paragraphs, "各单位要高度重视")
    assert closing.endswith("予以公开。")
    assert paragraphs.index(closing) == paragraphs.index(item13) + 1
    assert "范涉企行政检查有关要求" in _paragraph(paragraphs, "7. ")
    assert "理和常态化监管工作" in _paragraph(paragraphs, "11. ")


def test_rejoin_baoshan_body() -> None:
    lines = _running_text(seed(BAOSHAN).text)
    assert wrap_width(lines) == 56
    paragraphs = rejoin_wrapped_lines(lines)
    preamble = _paragraph(paragraphs, "2023年宝山区政务公开工作的总体要求是")
    assert preamble.endswith("努力打造透明度最高、营商环境最优城市。")
    assert "以习近平新时代中国特色社会主义思想为指导" in preamble
    assert "2023年宝山区政务公开工作要点" in paragraphs  # the title stays its own paragraph
    items = [p for p in paragraphs if re.match(r"\d+\.", p)]
    assert [int(p.split(".")[0]) for p in items] == list(range(1, 39))
    for item in items:
        assert item.endswith("）"), item[-30:]
    # Items whose lines crossed a page break (line with a leading space, no blank line before).
    assert "上海国际邮轮旅游度假区" in _paragraph(paragraphs, "2.")
    assert "证明等制度措施精准推介" in _paragraph(paragraphs, "5.")
    assert "区人力资源社会保障局、区医保局）" in _paragraph(paragraphs, "8.")
    assert "推动申请人合理诉求的实质性解决。" in _paragraph(paragraphs, "33.")
    assert _paragraph(paragraphs, "12.").startswith("12.财政和审计整改信息公开。")


def test_rejoin_without_blank_lines_and_markers() -> None:
    lines = [
        "一、总体要求",
        "（一）基本原则",
        "1.坚持依法公开，",
        "规范有序。",
        "2、加强统筹。",
        "附件：任务表",
    ]
    assert rejoin_wrapped_lines(lines) == [
        "一、总体要求",
        "（一）基本原则",
        "1.坚持依法公开，规范有序。",
        "2、加强统筹。",
        "附件：任务表",
    ]
    # 一 starting a wrapped line is not a section marker after a line that runs on.
    assert rejoin_wrapped_lines(["建设全市统", "一、权威的政策发布平台。"]) == [
        "建设全市统一、权威的政策发布平台。"
    ]
    assert rejoin_wrapped_lines(["based on the G", "60 corridor"]) == ["based on the G 60 corridor"]
    assert rejoin_wrapped_lines([]) == [] and rejoin_wrapped_lines(["", "  "]) == []


# --- properties ---------------------------------------------------------------------------

NAMES = ["a.txt", "a.html", "a.htm", "a.docx", "a.pdf"]
PREFIXES = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"PK\x03\x04", b"%PDF-1.4\n", b"<html><body><p>",
            b"\x89PNG\r\n\x1a\n", "政务公开".encode(), "政务公开".encode("gb18030")]  # fmt: skip


def _outcome(data: bytes, name: str) -> None:
    try:
        result = read_bytes(data, name)
    except DocumentError as exc:
        assert str(exc).startswith(f"{name}: ") and "\n" not in str(exc)
    else:
        assert isinstance(result, SourceText) and result.text.strip()
        assert normalize_text(result.text) == result.text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(PREFIXES), data=st.binary(max_size=600), name=st.sampled_from(NAMES))
def test_read_bytes_never_crashes(prefix: bytes, data: bytes, name: str) -> None:
    _outcome(prefix + data, name)


@lru_cache(maxsize=1)
def _real_files() -> dict[str, bytes]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        return {
            "a.docx": docx_copy(JINGAN, d / "a.docx").read_bytes(),
            "a.pdf": pdf_copy(JINGAN, d / "a.pdf").read_bytes(),
            "a.html": html_copy(JINGAN, d / "a.html").read_bytes(),
            "a.txt": gb18030_copy(JINGAN, d / "a.txt").read_bytes(),
        }


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["a.docx", "a.pdf", "a.html", "a.txt"]),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=8),
)
def test_damaged_real_files_never_crash(name: str, cut: float, flips: list[tuple[float, int]]) -> None:
    data = bytearray(_real_files()[name])
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    _outcome(bytes(data[: max(1, int(cut * len(data)))]) if cut < 1.0 else bytes(data), name)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_normalize_text_never_crashes(text: str) -> None:
    out = normalize_text(text)
    assert all(line == line.strip() for line in out.split("\n"))
    assert normalize_text(out) == out


_CJKISH = st.text(
    alphabet=st.sampled_from(
        list("政务公开一二三十（）()、。，；：“”《》0123456789.- \u3000年月日号次个天%序号责任单位完成时限")
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_CJKISH, st.text(max_size=40)), max_size=30))
def test_rejoin_and_normalise_never_crash(lines: list[str]) -> None:
    paragraphs = rejoin_wrapped_lines(lines)
    assert all(p and p == p.strip() for p in paragraphs)
    # Joining never loses or invents non-space characters.
    assert "".join("".join(paragraphs).split()) == "".join("".join(lines).split())
    assert isinstance(normalize_text("\n".join(lines)), str)
