"""Document references are explicit: a path, `#id` for a stored document, or `--doc 文号`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from documents.model import DocumentError
from pipeline.checks import resolve_document
from pipeline.ingest import ingest_files

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
JINGAN = SAMPLES / "jingan-2025-work-points.txt"


def test_a_file_named_like_an_id_is_a_file(store, tmp_path, monkeypatch) -> None:
    stored = ingest_files(store, [CITY])[0]
    record_id = stored.result.record_id
    monkeypatch.chdir(tmp_path)
    shutil.copy(JINGAN, tmp_path / str(record_id))
    shutil.copy(JINGAN, tmp_path / f"{record_id}.txt")
    with store.transaction() as session:
        # read as the file it names (one without a known extension: refused as such)
        with pytest.raises(DocumentError, match="不支持的文件类型"):
            resolve_document(str(record_id), session)
        from_store, record = resolve_document(f"#{record_id}", session)
        assert record is not None and record.id == record_id and from_store.doc_number == "沪府办字〔2026〕5号"
        from_file, no_record = resolve_document(f"{record_id}.txt", session)
        assert no_record is None and from_file.doc_number == "静府办发〔2025〕4号"
        by_number, numbered = resolve_document("沪府办字〔2026〕5号", session, stored=True)
        assert numbered is not None and numbered.id == record_id


def test_cli_check_by_doc_number(tmp_path) -> None:
    db = str(tmp_path / "t.db")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(CITY), str(SAMPLES / "changning-2026-district-plan.txt"),
                               "--db", db]).exit_code == 0
    by_number = runner.invoke(app, ["check", "--doc", "长府办〔2026〕8号", "--json", "--db", db])
    assert by_number.exit_code in (0, 1), by_number.output
    assert '"doc_number": "沪府办字〔2026〕5号"' in by_number.stdout  # its stored parent was found
    assert runner.invoke(app, ["check", "--db", db]).exit_code == 2
    unknown = runner.invoke(app, ["check", "--doc", "长府办〔2026〕99号", "--db", db])
    assert unknown.exit_code == 2
