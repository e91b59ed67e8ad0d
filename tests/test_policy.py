"""The policy file: one typed, frozen Policy, validated once; a bad file names the key (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from cli.main import app
from notifications.entries import alert_policy
from rules.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def test_defaults_are_the_yaml_file() -> None:
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    policy = load_policy()
    assert policy.coverage.covered == raw["coverage"]["covered"]
    assert policy.coverage.weak == raw["coverage"]["weak"]
    assert policy.escalation_days == raw["escalation_days"]
    assert policy.pilot_districts == tuple(raw["pilot_districts"])
    assert alert_policy(policy).repeat_interval_days == raw["repeat_interval_days"]


def test_policy_is_frozen() -> None:
    with pytest.raises(ValidationError):
        load_policy().grace_days = 5  # type: ignore[misc]


def test_overlay_merges_sections(tmp_path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("coverage:\n  covered: 0.5\nalerts:\n  repeat_interval_days: 3\n", encoding="utf-8")
    policy = load_policy(path)
    assert policy.coverage.covered == 0.5
    assert policy.coverage.weak == load_policy().coverage.weak
    assert policy.repeat_interval_days == 3


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("escalation_days: soon\n", "escalation_days"),
        ("coverage:\n  weak: -1\n", "coverage.weak"),
        ("severity:\n  NO_SUCH_CODE: error\n", "severity"),
        ("severity:\n  UNKNOWN_UNIT: fatal\n", "severity.UNKNOWN_UNIT"),
        ("escalaton_days: 3\n", "escalaton_days"),
        ("repeat_interval_days: 0\n", "repeat_interval_days"),
    ],
)
def test_bad_policy_names_file_and_key(tmp_path, text: str, key: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and f"策略项 {key} " in message


def test_cli_bad_policy_exits_2(tmp_path, monkeypatch) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("grace_days: [1]\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["check", str(SAMPLES / "changning-2026-district-plan.txt"), "--policy", str(path), "--db", str(tmp_path / "t.db")]
    )
    assert result.exit_code == 2
    assert "grace_days" in result.output
    monkeypatch.setenv("GONGKAI_POLICY", str(path))
    with pytest.raises(PolicyError, match="grace_days"):
        load_policy()
