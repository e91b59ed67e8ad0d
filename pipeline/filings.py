"""Filings between nightly runs: a draft plan checked on demand, a directive stored and the plans
under it found. Each returns a run summary (`pipeline.summary.RunSummary` as a dict) like the
nightly run's, so the same report, artifacts and CLI tables render it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from pipeline import UNKNOWN_DISTRICT
from pipeline.alerts import finding_entries
from pipeline.checks import run_check
from pipeline.ingest import ingest_files
from pipeline.nightly import alert_summary, build_summary, finding_rows, most_urgent, send_run_alerts
from pipeline.summary import SEVERITIES
from rules.policy import Policy
from store.db import Store
from store.documents import find_parent, stored_plans


def plans_under(store: Store, directive_key: str) -> dict[str, list[int]]:
    """Stored plans whose parent is the directive `directive_key`, by district (plan ids)."""
    out: dict[str, list[int]] = {}
    with store.transaction() as session:
        for record in stored_plans(session):
            parent = find_parent(session, record)
            if parent is not None and parent.doc_key == directive_key:
                out.setdefault(record.place or UNKNOWN_DISTRICT, []).append(record.id)
    return dict(sorted(out.items()))


def ingest_directive_file(store: Store, path: str | Path) -> dict[str, Any]:
    """Store a filed directive; say what it is and which stored plans it governs."""
    summary = ingest_files(store, [Path(path)])[0]
    doc = summary.document
    return {
        "path": str(path),
        "doc_key": summary.result.doc_key,
        "doc_number": doc.doc_number,
        "title": doc.title,
        "level": doc.level,
        "place": doc.place,
        "year": doc.year,
        "status": summary.result.status,
        "version": summary.result.version,
        "plans": plans_under(store, summary.result.doc_key),
    }


def check_filing(
    store: Store,
    path: str | Path,
    as_of: date,
    policy: Policy,
    *,
    against: str | None = None,
    alert: bool | None = None,
    transport: Any = None,
) -> dict[str, Any]:
    """The on-demand check of a filed draft: store it as a draft, check it against `against` (a
    file or 发文字号) or its stored parent, store the findings, and alert the offices concerned
    only when `alert` (default: the policy's `drafts_alert`) is true."""
    started = time.perf_counter()
    ingested = ingest_files(store, [Path(path)], is_draft=True)[0]
    record_id = ingested.result.record_id
    result, run_id = run_check(f"#{record_id}", against or None, policy=policy, store=store, kind="draft",
                               as_of=as_of)
    data = result.to_dict()
    district = data["plan"].get("place") or UNKNOWN_DISTRICT
    checked = time.perf_counter()
    district_result = {
        "district": district,
        "plans": [
            {
                "run_id": run_id,
                "key": ingested.result.doc_key,
                "title": data["plan"].get("title"),
                "doc_number": data["plan"].get("doc_number"),
                "level": data["plan"].get("level"),
                "directive": (data["directive"] or {}).get("doc_number"),
                "counts": data["counts"],
            }
        ],
        "counts": data["counts"],
        "findings": finding_rows(data, district, severities=SEVERITIES),
        "obligations": {},
    }
    alert = policy.drafts_alert if alert is None else alert
    if alert:
        alerts = alert_check_runs(store, [run_id] if run_id is not None else [], as_of, policy, transport=transport)
    else:
        alerts = check_run_entries(store, [run_id] if run_id is not None else [], as_of)
        alerts["note"] = "策略 drafts_alert 为 false：草稿检查不发送提醒邮件"
    done = time.perf_counter()
    summary = build_summary(as_of, {district: district_result}, {}, alerts=alerts, kind="draft",
                            seconds={"check": round(checked - started, 3), "alerts": round(done - checked, 3),
                                     "total": round(done - started, 3)})
    summary.update(
        path=str(path),
        plan=data["plan"],
        directive=data["directive"],
        run_id=run_id,
        alerted=alert,
        has_errors=result.has_errors,
        warnings=data.get("warnings", []),
    )
    return summary


def check_run_entries(store: Store, run_ids: list[int], as_of: date) -> dict[str, Any]:
    """What the findings of `run_ids` would alert about, without sending anything."""
    entries = finding_entries(store, as_of, run_ids=run_ids)
    summary = alert_summary(None, entries)
    summary["urgent"] = most_urgent(entries)
    return summary


def alert_check_runs(store: Store, run_ids: list[int], as_of: date, policy: Policy, *,
                     transport: Any = None) -> dict[str, Any]:
    """Alert the offices concerned by the error and warning findings of the check runs `run_ids`."""
    entries = finding_entries(store, as_of, run_ids=run_ids)
    return send_run_alerts(store, as_of, policy, entries=entries, transport=transport)


def run_ids_of(summary: Mapping[str, Any]) -> list[int]:
    return [p["run_id"] for r in summary.get("districts", {}).values() for p in r.get("plans", [])
            if p.get("run_id") is not None]
