"""The policy: windows, thresholds, pilot districts, severities and alert settings.

`data/policy.yaml` is the one place the defaults live; `load_policy(path)` reads it, overlays the
file at `path` (or $GONGKAI_POLICY) and validates the result once into a frozen `Policy`. Code reads
attributes (`policy.coverage.covered`, `policy.escalation_days`), never a dict with its own default.

To add a key: add it to data/policy.yaml (with a comment) and as a typed field to `Policy` (or
`CoveragePolicy`) below, without a default (the yaml file is the default).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from offices.names import YAML_LOADER

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent.parent / "data" / "policy.yaml"

SeverityName = Literal["error", "warning", "info"]
# What an alert can be about: a duty's state or a finding's severity.
AlertStateName = Literal["pending", "due_soon", "overdue", "escalated", "resolved", "error", "warning", "info"]


class PolicyError(ValueError):
    """A policy file that cannot be used: the message names the file and the key."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CoveragePolicy(_Frozen):
    """Coverage scoring thresholds (see data/policy.yaml's `coverage:` comments)."""

    covered: float = Field(ge=0, le=2)
    weak: float = Field(ge=0, le=2)
    link: float = Field(ge=0, le=2)
    dedicated_copy: float = Field(ge=0, le=2)
    copy_discount: float = Field(ge=0, le=1)
    key_phrase_bonus: float = Field(ge=0, le=1)
    ngram_range: tuple[int, int]
    lexicon: str | None  # under data/, or a path; null: none
    # Outline alignment (rules/alignment.py): evidence = text score + these bonuses.
    align_covered: float = Field(ge=0, le=2)
    align_weak: float = Field(ge=0, le=2)
    align_floor: float = Field(ge=0, le=2)
    heading_same: float = Field(ge=0, le=1)
    heading_bonus: float = Field(ge=0, le=1)
    place_bonus: float = Field(ge=0, le=1)
    unit_bonus: float = Field(ge=0, le=1)
    phrase_bonus: float = Field(ge=0, le=1)
    phrase_common_share: float = Field(ge=0, le=1)


class Policy(_Frozen):
    """Every setting the rules, the pipeline and the alerts read; built only by `load_policy`."""

    plan_submission_days: int = Field(ge=0)
    unit_plan_days: int = Field(ge=0)
    quarterly_report_working_days: int = Field(ge=0)
    reminder_lead_days: int = Field(ge=0)
    escalation_days: int = Field(ge=0)
    grace_days: int = Field(ge=0)
    default_item_due: Literal["year_end", "none"]
    plan_close: Literal["next_year_q1_report", "never"]
    coverage: CoveragePolicy
    pilot_districts: tuple[str, ...]
    severity: dict[str, SeverityName]
    drafts_alert: bool
    alert_states: tuple[AlertStateName, ...]
    repeat_interval_days: int = Field(ge=1)
    alert_max_overdue_days: int = Field(ge=0)
    digest_max_per_section: int = Field(ge=1)
    max_send_attempts: int = Field(ge=1)
    retry_backoff_seconds: tuple[Annotated[float, Field(ge=0)], ...]
    sending_lease_seconds: float = Field(ge=0)
    max_refusals: int = Field(ge=1)

    @field_validator("severity")
    @classmethod
    def _known_codes(cls, value: dict[str, SeverityName]) -> dict[str, SeverityName]:
        from rules.findings import CODES

        unknown = sorted(set(value) - set(CODES))
        if unknown:
            raise ValueError(f"未知的问题代码 {', '.join(unknown)}")
        return value

    @field_validator("retry_backoff_seconds", mode="before")
    @classmethod
    def _one_backoff(cls, value: Any) -> Any:
        # a single number is one step that repeats
        return [value] if isinstance(value, int | float) else value

    def windows(self) -> dict[str, int]:
        """The three windows that turn a due date into a light (shown in `gongkai status`)."""
        return {
            "reminder_lead_days": self.reminder_lead_days,
            "escalation_days": self.escalation_days,
            "grace_days": self.grace_days,
        }

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "策略") -> Policy:
        """This policy with `overrides` laid over it (nested sections merge), validated again."""
        return _validate(_overlay(self.model_dump(), _flatten(dict(overrides))), source, set(overrides))


def load_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    """data/policy.yaml, overlaid with the file at `path` (or $GONGKAI_POLICY) when given."""
    path = path or os.environ.get("GONGKAI_POLICY") or None
    if path is None:
        return default_policy()
    overlay = _flatten(_read(Path(path)))
    return _validate(_overlay(_default_mapping(), overlay), str(path), set(overlay))


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """data/policy.yaml alone (read and validated once per process; a Policy is frozen)."""
    return _validate(_default_mapping(), str(DEFAULT_POLICY_PATH), set())


def as_policy(policy: Policy | Mapping[str, Any] | None) -> Policy:
    """A `Policy` for callers that hold a partial mapping of overrides (or nothing: the defaults)."""
    if isinstance(policy, Policy):
        return policy
    return default_policy().with_overrides(policy or {})


def _default_mapping() -> dict[str, Any]:
    return _flatten(_read(DEFAULT_POLICY_PATH))


def _validate(data: dict[str, Any], source: str, overridden: set[str]) -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "(根)"
        where = source if str(error["loc"][0]) in overridden or not overridden else str(DEFAULT_POLICY_PATH)
        if error["type"] == "extra_forbidden":
            problem = "不是已知的策略项"
        elif error["type"] == "missing":
            problem = "缺少此策略项"
        else:
            problem = f"取值无效（{error['msg']}）"
        raise PolicyError(f"{where}: 策略项 {key} {problem}") from None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: 策略文件不存在 (policy file not found)") from exc
    except IsADirectoryError as exc:
        raise PolicyError(f"{path}: 策略文件不存在 (policy file not found)") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: 策略文件不是有效的 YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: 策略文件应为键值映射 (policy must be a mapping)")
    return data


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    # A policy file may keep the alert keys under an `alerts:` section next to the rules' settings.
    if isinstance(data.get("alerts"), dict):
        data = {**{k: v for k, v in data.items() if k != "alerts"}, **data["alerts"]}
    return {k: v for k, v in data.items() if v is not None}


def _overlay(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _overlay(out[key], value)
        else:
            out[key] = value
    return out
