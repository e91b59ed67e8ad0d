"""Derived copies of the seeds parse the same; the store keeps one record per version; bad
input is refused with one line, exit code 2, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from documents.model import Document, DocumentError
from documents.parser import parse_bytes, parse_file
from store import open_store
from store.documents import DocumentRecord, ItemRecord
from tests import derived

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
SEEDS = sorted(SAMPLES.glob("*.txt"))


def essence(doc: Document) -> list[tuple]:
    """What must survive a change of format: items, their units and deadlines."""
    return [
        (
            item.number,
            [(u.name, u.role, u.collective) for u in item.units],
            [(d.phrase, d.kind, d.due, d.source) for d in item.deadlines],
            [(q.phrase, q.value) for q in item.quantities],
        )
        for item in doc.items
    ] + [(doc.doc_number, doc.issue_date, doc.title, doc.place)]


@pytest.fixture(scope="module")
def originals() -> dict[str, list[tuple]]:
    return {seed.name: essence(parse_file(seed)) for seed in SEEDS}


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
@pytest.mark.parametrize(
    ("maker", "suffix"),
    [
        (derived.gb18030_copy, ".txt"),
        (derived.utf16_copy, ".txt"),
        (derived.utf8_bom_copy, ".txt"),
        (derived.traditional_copy, ".txt"),
        (derived.docx_copy, ".docx"),
        (derived.pdf_copy, ".pdf"),
        (derived.html_copy, ".html"),
    ],
    ids=["gb18030", "utf16", "utf8bom", "traditional", "docx", "pdf", "html"],
)
def test_derived_copies_parse_the_same(tmp_path, originals, seed: Path, maker, suffix: str) -> None:
    copy = maker(seed, tmp_path / f"{seed.stem}{suffix}")
    assert essence(parse_file(copy)) == originals[seed.name]


def test_traditional_copy_is_flagged(tmp_path) -> None:
    copy = derived.traditional_copy(SEEDS[0], tmp_path / "t.txt")
    assert parse_file(copy).traditional


def count(store, model) -> int:
    with store.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_ingest_twice_keeps_one_record_and_changed_text_is_a_new_version(tmp_path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "store.db")
    first = runner.invoke(app, ["ingest", *map(str, SEEDS), "--db", db])
    assert first.exit_code == 0, first.output
    assert first.stdout.count("新入库") == 5
    again = runner.invoke(app, ["ingest", *map(str, SEEDS), "--db", db])
    assert again.stdout.count("已存在") == 5
    store = open_store(db)
    assert count(store, DocumentRecord) == 5
    assert count(store, ItemRecord) == 22 + 32 + 33 + 13 + 38
    changed = tmp_path / "changning-v2.txt"
    text = (SAMPLES / "changning-2026-district-plan.txt").read_text(encoding="utf-8")
    changed.write_text(text.replace("每年组织开展主题式", "每年组织开展两次主题式"), encoding="utf-8")
    third = runner.invoke(app, ["ingest", str(changed), "--db", db])
    assert "新版本 v2" in third.stdout
    with store.transaction() as session:
        versions = session.scalars(
            select(DocumentRecord.version).where(DocumentRecord.doc_key == "长府办〔2026〕8号")
        ).all()
    assert sorted(versions) == [1, 2]


def test_db_from_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GONGKAI_DB", str(tmp_path / "env.db"))
    result = CliRunner().invoke(app, ["ingest", str(SEEDS[0])])
    assert result.exit_code == 0
    assert (tmp_path / "env.db").exists()


def _bad_inputs(tmp_path: Path) -> dict[str, Path]:
    seed_text = (SAMPLES / "changning-2026-district-plan.txt").read_text(encoding="utf-8")
    files = {
        "empty": (tmp_path / "empty.txt", b""),
        "binary": (tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
        "extension": (tmp_path / "plan.xyz", seed_text.encode("utf-8")),
        "no items": (tmp_path / "notice.txt", "关于做好政务公开工作的通知\n\n各单位：\n\n请认真做好相关工作。\n".encode()),
        "truncated": (tmp_path / "cut.txt", seed_text[: seed_text.index("实现全区各级行政机关")].encode("utf-8")),
        "corrupt docx": (tmp_path / "broken.docx", b"PK\x03\x04 not really a zip"),
        "truncated pdf": (tmp_path / "cut.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog"),
    }
    for path, data in files.values():
        path.write_bytes(data)
    return {k: v[0] for k, v in files.items()}


def test_bad_input_one_line_exit_2_nothing_written(tmp_path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "store.db")
    good = SAMPLES / "shanghai-2026-municipal-plan.txt"
    for kind, path in _bad_inputs(tmp_path).items():
        # a good file in the same call is not stored either: the call stores all or nothing
        result = runner.invoke(app, ["ingest", str(good), str(path), "--db", db])
        assert result.exit_code == 2, (kind, result.output)
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1, (kind, message)
        assert path.name in message, (kind, message)
        parse_result = runner.invoke(app, ["parse", str(path)])
        assert parse_result.exit_code == 2
    assert count(open_store(db), DocumentRecord) == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("一二三四、（）1234567890.。，：责任单位牵头各部门区府办全年月底前发布后天内\n 《》号〔〕年日")), max_size=400))
def test_parser_never_crashes_on_document_like_text(text: str) -> None:
    try:
        doc = parse_bytes(text.encode("utf-8"), "fuzz.txt")
    except DocumentError:
        return
    assert doc.items


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_parser_never_crashes_on_bytes(data: bytes) -> None:
    for name in ("x.txt", "x.docx", "x.pdf", "x.html"):
        try:
            parse_bytes(data, name)
        except DocumentError:
            pass


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_with_lines_dropped_or_cut_never_crashes(seed: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    lines = text.splitlines()
    variants = ["\n".join(line for i, line in enumerate(lines) if i % step) for step in range(2, 40, 3)]
    variants += [text[:cut] for cut in range(50, len(text), max(1, len(text) // 40))]
    for variant in variants:
        try:
            doc = parse_bytes(variant.encode("utf-8"), "mangled.txt")
        except DocumentError:
            continue
        assert doc.items


def test_markup_in_a_document_is_shown_literally(tmp_path) -> None:
    text = (SAMPLES / "changning-2026-district-plan.txt").read_text(encoding="utf-8")
    odd = tmp_path / "odd.txt"
    odd.write_text(text.replace("做好政务公开专栏维护", "做好[/x][bold]政务公开专栏维护"), encoding="utf-8")
    result = CliRunner().invoke(app, ["parse", str(odd)])
    assert result.exit_code == 0, result.output
    assert "[/x][bold]政务公开" in result.stdout.replace("\n", "")


def test_a_cited_document_number_is_not_the_plans_own(tmp_path) -> None:
    text = (SAMPLES / "jingan-2025-work-points.txt").read_text(encoding="utf-8")
    text = text.replace("静府办发〔2025〕4号\n", "").replace(
        "现印发给你们", "根据《上海市政务公开工作要点》（沪府办字〔2025〕9号）要求，现印发给你们"
    )
    plan = tmp_path / "no-number.txt"
    plan.write_text(text, encoding="utf-8")
    doc = parse_file(plan)
    assert doc.doc_number is None
    assert "未找到发文字号" in doc.warnings


def test_document_number_clash_is_refused(tmp_path) -> None:
    db = str(tmp_path / "store.db")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(SAMPLES / "changning-2026-district-plan.txt"), "--db", db]).exit_code == 0
    text = (SAMPLES / "jingan-2025-work-points.txt").read_text(encoding="utf-8")
    clash = tmp_path / "clash.txt"
    clash.write_text(text.replace("静府办发〔2025〕4号", "长府办〔2026〕8号"), encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(clash), "--db", db])
    assert result.exit_code == 2
    assert "长府办〔2026〕8号" in result.stderr
    assert count(open_store(db), DocumentRecord) == 1
