"""The terminal for people: 80 columns, Chinese words only, `gongkai --version`."""

from __future__ import annotations

import re

from rich.cells import cell_len
from typer.testing import CliRunner

from cli.main import app
from tests.conftest import DEMO_AS_OF, SAMPLES

CHANGNING = SAMPLES / "changning-2026-district-plan.txt"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
ENGLISH_WORDS = re.compile(r"Show this message|Usage:|Options|Arguments|Commands|<bool>|<str>|list\[Path\]|\[required\]")
CODE_WORDS = ("running_text", "task_table", "district /", "·责任", "escalated", "due_soon", "pending")


def _run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"}, terminal_width=80)


def _fits(output: str) -> None:
    too_wide = [line for line in output.splitlines() if cell_len(line) > 80]
    assert not too_wide, too_wide[:3]


def test_version():
    from importlib.metadata import version

    result = _run("--version")
    assert result.exit_code == 0 and result.output.strip() == f"gongkai {version('gongkai')}"


def test_help_is_chinese_at_80_columns():
    for args in (("--help",), ("ingest", "--help"), ("status", "--help"), ("report", "--help"), ("serve", "--help")):
        result = _run(*args)
        assert result.exit_code == 0, result.output
        assert not ENGLISH_WORDS.search(result.output), (args, ENGLISH_WORDS.search(result.output))
        assert "用法" in result.output and "显示此帮助并退出" in result.output
        _fits(result.output)
    errors = _run("parse")  # its file argument is required
    assert errors.exit_code == 2 and "缺少参数" in errors.output and "Missing" not in errors.output


def test_status_fits_80_columns_without_code_words(demo_store):
    result = _run("status", "--db", demo_store.url, "--as-of", DEMO_AS_OF.isoformat(), "--district", "长宁区",
                  "--limit", "8")
    assert result.exit_code == 0, result.output
    _fits(result.output)
    assert not [w for w in CODE_WORDS if w in result.output]
    assert "单位 · 事项" in result.output and "年度计划" in result.output
    # No squeezed columns: the header row of the duties table has three readable headings.
    header = next(line for line in result.output.splitlines() if "单位 · 事项" in line)
    assert "灯 状态" in header and "到期日" in header


def test_parse_and_check_speak_chinese_and_show_item_text(tmp_path):
    parsed = _run("parse", str(CHANGNING))
    assert parsed.exit_code == 0
    assert "正文条目" in parsed.output and "区级 / 长宁区" in parsed.output
    assert not [w for w in CODE_WORDS if w in parsed.output]
    _fits(parsed.output)
    checked = _run("check", str(CHANGNING), "--against", str(CITY), "--db", str(tmp_path / "db.sqlite"))
    _fits(checked.output)
    # The coverage table carries each directive item's text next to its number.
    row = next(line for line in checked.output.splitlines() if re.match(r"│\s+12 │", line))
    assert "政策发布平台" in row
    assert "方案印发超期" in checked.output


def test_check_evidence_in_words_and_json_keeps_the_keys(tmp_path):
    from tests.drafts import make_draft

    draft = make_draft(CHANGNING, tmp_path / "draft.txt", delete=(2,))
    db = str(tmp_path / "db.sqlite")
    shown = _run("check", str(draft), "--against", str(CITY), "--db", db, "--evidence")
    assert shown.exit_code == 1, shown.output  # the deleted item is an error
    _fits(shown.output)
    assert "依据规则：上级任务缺失判定" in shown.output and "判定标准" in shown.output
    assert not [w for w in ("score", "plan_item", "gongkai_", "True", "False") if w in shown.output]
    import json

    raw = _run("check", str(draft), "--against", str(CITY), "--db", db, "--json")
    missing = next(f for f in json.loads(raw.output)["findings"] if f["code"] == "MISSING_MANDATED_ITEM")
    assert missing["evidence"]["rule"] == "gongkai_coverage.missing_mandated_item"
    assert {"score", "thresholds", "links"} <= set(missing["evidence"]["facts"])
