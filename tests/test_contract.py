"""The exit-code contract, tried as a new user would: bad input to a command is one line naming
the file or argument and the problem, exit code 2, nothing written, no server started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from store.db import open_store
from store.documents import DocumentRecord
from store.obligations import FilingRecord
from tests.drafts import make_draft

ROOT = Path(__file__).resolve().parent.parent
GONGKAI = Path(sys.executable).parent / "gongkai"
SAMPLES = ROOT / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING = SAMPLES / "changning-2026-district-plan.txt"
BAOSHAN = SAMPLES / "baoshan-2023-work-points-with-table.txt"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY", "GONGKAI_DB", "PREFECT_API_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GONGKAI_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("COLUMNS", "200")


def one_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def count(db: Path, table) -> int:
    store = open_store(str(db))
    try:
        with store.transaction() as session:
            return session.scalar(select(func.count()).select_from(table))
    finally:
        store.dispose()


def run_gongkai(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The installed command in a process of its own, with a private PREFECT_HOME and no server."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "GONGKAI_"))}
    environ.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                   GONGKAI_OUTBOX=str(tmp_path / "outbox"), COLUMNS="200", **(env or {}))
    return subprocess.run([str(GONGKAI), *args], cwd=tmp_path, env=environ, capture_output=True, text=True,
                          timeout=300)


def started_a_prefect_server(tmp_path: Path) -> bool:
    # A temporary Prefect server keeps its database under PREFECT_HOME.
    return any((tmp_path / "prefect-home").rglob("*.db"))


def test_submit_draft_of_an_empty_file(tmp_path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    db = tmp_path / "g.db"
    done = run_gongkai(tmp_path, "submit-draft", str(empty), "--db", str(db))
    assert done.returncode == 2, done.stdout + done.stderr
    line = one_line(done.stdout + done.stderr)
    assert "empty.txt" in line and "文件为空" in line and "Traceback" not in line
    assert not db.exists() and not started_a_prefect_server(tmp_path)


def test_submit_draft_without_a_server_checks_in_process(tmp_path, monkeypatch) -> None:
    from prefect.server.api.server import SubprocessASGIServer

    def no_server(*_args, **_kwargs):
        raise AssertionError("submit-draft started a temporary Prefect server")

    monkeypatch.setattr(SubprocessASGIServer, "start", no_server)
    draft = make_draft(CHANGNING, tmp_path / "changning-draft.txt", delete=(5, 9))
    db = tmp_path / "g.db"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(CITY), "--db", str(db)]).exit_code == 0
    done = runner.invoke(app, ["submit-draft", str(draft), "--as-of", "2026-11-22", "--db", str(db)])
    assert done.exit_code == 1, done.output  # the draft misses mandated items
    assert "MISSING_MANDATED_ITEM" in done.output
    assert count(db, DocumentRecord) == 2  # the city plan and the draft


def test_submit_with_bad_input_writes_nothing(tmp_path) -> None:
    runner = CliRunner()
    db = tmp_path / "g.db"
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n   \n", encoding="utf-8")
    directive = runner.invoke(app, ["submit-directive", str(blank), "--db", str(db)])
    assert directive.exit_code == 2 and "blank.txt" in one_line(directive.output)
    draft = make_draft(CHANGNING, tmp_path / "draft.txt", delete=(5,))
    against = runner.invoke(app, ["submit-draft", str(draft), "--against", "沪府办字〔2099〕1号", "--db", str(db)])
    assert against.exit_code == 2
    assert "--against" in one_line(against.output) and "沪府办字〔2099〕1号" in against.output
    assert count(db, DocumentRecord) == 0


@pytest.mark.parametrize(("command", "option"), [("status", "--unit"), ("alerts", "--to")])
def test_unknown_office_is_exit_2_with_the_nearest_real_office(tmp_path, command, option) -> None:
    runner = CliRunner()
    db = tmp_path / "g.db"
    mars = runner.invoke(app, [command, option, "区火星局", "--db", str(db)])
    assert mars.exit_code == 2, mars.output
    assert option in one_line(mars.output) and "区火星局" in mars.output
    typo = runner.invoke(app, [command, option, "区教委", "--db", str(db)])
    assert typo.exit_code == 2
    assert "是否为“区教育局”" in one_line(typo.output)
    assert not db.exists()  # nothing opened, nothing written
    if command == "status":
        wrong_district = runner.invoke(app, [command, "--district", "长宁区", "--unit", "区教委", "--db", str(db)])
        assert wrong_district.exit_code == 2 and "长宁区" in one_line(wrong_district.output)


def test_known_office_names_still_work(tmp_path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "g.db")
    assert runner.invoke(app, ["ingest", str(BAOSHAN), "--db", db]).exit_code == 0
    for unit in ("区教育局", "区府办", "各街道（镇）"):
        result = runner.invoke(app, ["status", "--unit", unit, "--as-of", "2023-06-22", "--json", "--db", db])
        assert result.exit_code == 0, result.output
    dry = runner.invoke(app, ["alerts", "--to", "区教育局", "--dry-run", "--as-of", "2023-06-22", "--db", db])
    assert dry.exit_code == 0, dry.output


def test_filing_with_an_unknown_unit_writes_nothing(tmp_path) -> None:
    runner = CliRunner()
    db = tmp_path / "g.db"
    assert runner.invoke(app, ["ingest", str(BAOSHAN), "--db", str(db)]).exit_code == 0
    bad = runner.invoke(app, ["file", "plan", "--unit", "区火星局", "--for", "宝府办〔2023〕15号", "--db", str(db)])
    assert bad.exit_code == 2 and "区火星局" in one_line(bad.output)
    assert count(db, FilingRecord) == 0


@pytest.mark.parametrize(("content", "key"), [
    ("escalation_days: soon\n", "escalation_days"),
    ("coverage:\n  covered: 4\n", "coverage.covered"),
    ("alert_states: [overdue, late]\n", "alert_states"),
    ("severity:\n  UNKNOWN_UNIT: fatal\n", "severity"),
])
def test_a_policy_that_does_not_validate_names_the_key(tmp_path, monkeypatch, content, key) -> None:
    runner = CliRunner()
    policy = tmp_path / "policy.yaml"
    policy.write_text(content, encoding="utf-8")
    db = tmp_path / "g.db"
    for args in (["check", str(CHANGNING), "--against", str(CITY), "--policy", str(policy)],
                 ["status", "--policy", str(policy), "--db", str(db)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        line = one_line(result.output)
        assert key in line and "policy.yaml" in line
    monkeypatch.setenv("GONGKAI_POLICY", str(policy))
    draft = runner.invoke(app, ["submit-draft", str(CHANGNING), "--db", str(db)])
    assert draft.exit_code == 2 and key in one_line(draft.output)
    assert not db.exists() or count(db, DocumentRecord) == 0
