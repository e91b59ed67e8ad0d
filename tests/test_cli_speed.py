"""The command line loads heavy libraries only when a command needs them (timings are measured by
benchmarks/cli.py, never asserted): `--help`, and a check that rejects its input, import neither
scikit-learn, pandas, Prefect nor the rule engine; a rejected file not even SQLAlchemy, a check
answered from its kept result not SQLAlchemy's ORM."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
HEAVY = ("sklearn", "pandas", "prefect", "durable", "scipy")

PROBE = f"""
HEAVY = {HEAVY!r}
import json, sys
from typer.testing import CliRunner
from cli.main import app
result = CliRunner().invoke(app, sys.argv[1:])
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set(HEAVY))
store = sorted(m for m in ("sqlalchemy", "sqlalchemy.orm", "typer.rich_utils") if m in sys.modules)
print(json.dumps({{"exit": result.exit_code, "output": result.output, "heavy": heavy, "store": store}},
                 ensure_ascii=False))
"""


def run_cli(*args: str, cwd: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(cwd),
                               "COLUMNS": "200"}, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_loads_no_heavy_library(tmp_path) -> None:
    out = run_cli("--help", cwd=tmp_path)
    assert out["exit"] == 0 and "check" in out["output"] and "nightly" in out["output"]
    assert out["heavy"] == []
    # typer's help module, loaded only now, is in Chinese all the same (cli.views.localize_cli)
    assert "typer.rich_utils" in out["store"] and "选项" in out["output"] and "Options" not in out["output"]


def test_an_empty_plan_is_rejected_before_the_rules_load(tmp_path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = run_cli("check", str(empty), "--against", str(SAMPLES / "shanghai-2026-municipal-plan.txt"),
                  "--db", str(tmp_path / "g.db"), cwd=tmp_path)
    assert out["exit"] == 2 and "empty.txt" in out["output"]
    assert out["heavy"] == []
    assert out["store"] == []  # rejected before the store is opened (nor typer's help module loaded)
    assert not (tmp_path / "g.db").exists()


def test_a_kept_check_is_answered_without_the_rules(tmp_path) -> None:
    plan, city = SAMPLES / "changning-2026-district-plan.txt", SAMPLES / "shanghai-2026-municipal-plan.txt"
    db = str(tmp_path / "g.db")
    first = run_cli("check", str(plan), "--against", str(city), "--db", db, "--json", cwd=tmp_path)
    assert "durable" in first["heavy"] and "sklearn" in first["heavy"]  # the first check runs the rules
    second = run_cli("check", str(plan), "--against", str(city), "--db", db, "--json", cwd=tmp_path)
    assert second["exit"] == first["exit"]
    assert json.loads(second["output"]) == json.loads(first["output"])
    assert second["heavy"] == []
    assert second["store"] == ["sqlalchemy"]  # SQLAlchemy Core only
    third = run_cli("check", str(plan), "--against", str(city), "--db", db, cwd=tmp_path)  # the tables, too
    assert third["exit"] == first["exit"] and "检查结果" in third["output"] and third["store"] == ["sqlalchemy"]


def test_cli_constants_match_their_sources() -> None:
    from cli.alerts import STATUS_LABELS
    from cli.tracking import STATE_NAMES
    from rules.obligation_states import STATES
    from store.outbox import STATUSES

    assert tuple(STATE_NAMES) == tuple(STATES)
    assert set(STATUS_LABELS) == set(STATUSES)
