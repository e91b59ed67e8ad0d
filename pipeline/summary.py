"""One run's summary as a type: what the Markdown report, the Prefect artifacts and the CLI render.

A run (nightly, a draft check, a directive filing) hands its summary on as a JSON-ready dict (a
flow's result, stored and sent as such); `RunSummary.from_dict` reads it back and `to_dict` writes
it, so every renderer works on the same fields instead of reading keys with its own defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

SEVERITIES = ("error", "warning", "info")
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
# States worth a line among "the most urgent items"; done and info-only entries are not urgent.
URGENT_STATES = ("escalated", "overdue", "due_soon", "pending", "error", "warning")


@dataclass
class FindingRow:
    """One finding of one checked plan, flat (a report line, a table row)."""

    district: str = ""
    doc_number: str = ""
    title: str = ""
    level: str = ""
    code: str = ""
    severity: str = ""
    directive_item: int | None = None
    plan_item: int | None = None
    units: list[str] = field(default_factory=list)
    message: str = ""
    closed: bool = False  # the plan's year has closed: history, kept in the report and marked

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, self.severity)


@dataclass
class PlanResult:
    """One plan checked in a run."""

    run_id: int | None = None
    key: str = ""  # the store's key (store.names.document_key): not for reading
    title: str | None = None
    doc_number: str | None = None
    level: str | None = None
    directive: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class DistrictResult:
    """One district of a run: its plans, findings by severity, obligations by state."""

    district: str
    plans: list[PlanResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[FindingRow] = field(default_factory=list)
    obligations: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DistrictResult:
        return cls(
            district=data.get("district", ""),
            plans=[PlanResult(**_known(PlanResult, p)) for p in data.get("plans", [])],
            counts=dict(data.get("counts", {})),
            findings=[FindingRow(**_known(FindingRow, r)) for r in data.get("findings", [])],
            obligations=dict(data.get("obligations", {})),
            seconds=data.get("seconds"),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.seconds is None:
            del data["seconds"]
        return data


@dataclass
class AlertSummary:
    """The alert part of a run: what was found, sent, and where it went."""

    entries: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    alertable: int = 0
    digests: int = 0
    recipients: list[str] = field(default_factory=list)
    skipped_duplicates: int = 0
    sent: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    remaining: int = 0
    aborted: Any = None
    errors: list[str] = field(default_factory=list)
    destination: str = ""
    outbox_dir: str | None = None
    dry_run: bool = False
    urgent: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertSummary:
        return cls(**_known(cls, data))


@dataclass
class RunSummary:
    """A run: counts by severity overall and per district, failures, obligations, alerts.

    `extra` holds what one kind of run adds (a draft check: path, plan, directive, run_id,
    alerted, has_errors, warnings; a directive filing: the directive and the request id)."""

    kind: str
    as_of: str
    districts: dict[str, DistrictResult] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    plans: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    obligations: dict[str, int] = field(default_factory=dict)
    obligations_note: str | None = None
    obligations_warnings: list[str] = field(default_factory=list)
    alerts: dict[str, Any] = field(default_factory=dict)
    urgent: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | RunSummary) -> RunSummary:
        if isinstance(data, RunSummary):
            return data
        known = {f.name for f in fields(cls)} - {"extra", "districts"}
        return cls(
            districts={d: DistrictResult.from_dict(r) for d, r in (data.get("districts") or {}).items()},
            extra={k: v for k, v in data.items() if k not in known and k != "districts"},
            **{k: v for k, v in data.items() if k in known and v is not None or k == "obligations_note"},
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "as_of": self.as_of,
            "districts": {d: r.to_dict() for d, r in self.districts.items()},
            "failed": dict(self.failed),
            "plans": self.plans,
            "counts": dict(self.counts),
            "obligations": dict(self.obligations),
            "obligations_note": self.obligations_note,
            "obligations_warnings": list(self.obligations_warnings),
            "alerts": self.alerts,
            "urgent": self.urgent,
            "seconds": dict(self.seconds),
        }
        data.update(self.extra)
        return data

    @property
    def alert_summary(self) -> AlertSummary:
        return AlertSummary.from_dict(self.alerts or {})

    @property
    def findings(self) -> list[FindingRow]:
        return [row for result in self.districts.values() for row in result.findings]

    @property
    def has_errors(self) -> bool:
        return bool(self.extra.get("has_errors"))

    def obligation_states(self, order: tuple[str, ...] = ()) -> list[str]:
        """The obligation states any district has, in `order` (others after, alphabetically)."""
        states = {s for r in self.districts.values() for s in r.obligations}
        return sorted(states, key=lambda s: (order.index(s) if s in order else len(order), s))


def _known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of `data` that are fields of the dataclass `cls`."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def urgent_what(row: Mapping[str, Any]) -> str:
    """What a row of the most urgent is about: an item's text, a finding's message, else a
    plan-wide duty's action (制订并报送本单位年度政务公开工作计划, not the plan's title again)."""
    if row.get("item") or row.get("kind") == "finding":
        return row.get("summary") or row.get("message") or ""
    return row.get("action") or row.get("summary") or ""
