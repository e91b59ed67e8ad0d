"""The user-editable policy file: windows, thresholds, pilot districts."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent.parent / "data" / "policy.yaml"


class PolicyError(ValueError):
    pass


def load_policy(path: str | Path | None = None) -> dict[str, Any]:
    """The default policy, overlaid with the file at `path` (or GONGKAI_POLICY) when given."""
    path = path or os.environ.get("GONGKAI_POLICY") or None
    policy = _read(DEFAULT_POLICY_PATH)
    if path is not None:
        policy = _overlay(policy, _read(Path(path)))
    from rules.policy_check import policy_problem

    problem = policy_problem(policy)
    if problem:
        raise PolicyError(f"{path or DEFAULT_POLICY_PATH}: 策略文件有误：{problem}")
    return policy


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: 策略文件不存在 (policy file not found)") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: 策略文件不是有效的 YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: 策略文件应为键值映射 (policy must be a mapping)")
    return data


def _overlay(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _overlay(out[key], value)
        else:
            out[key] = value
    return out
