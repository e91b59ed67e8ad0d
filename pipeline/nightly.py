"""The nightly compliance run as plain functions: per district, then alerts, then a summary.

`nightly_sequence` is the one order of steps; `run_nightly` runs it in one thread without Prefect
(tests, the benchmark's baseline) and `flows.nightly` runs it with the districts as parallel
tasks. Every result is a JSON-ready dict (a `pipeline.summary.RunSummary`), so it can be a flow
result, an artifact and the Markdown report (`pipeline.report`) alike. Draft checks and
directive filings are in `pipeline.filings`.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from documents.model import jsonable, reader_name
from notifications.entries import STATE_LABELS, AlertEntry, alert_state
from pipeline import UNKNOWN_DISTRICT
from pipeline.alerts import collect_alert_entries
from pipeline.checks import check_stored_plans
from pipeline.obligations import derive_obligations as derive
from pipeline.obligations import district_statuses, obligation_status
from pipeline.summary import SEVERITIES, URGENT_STATES, DistrictResult, RunSummary
from rules.obligation_states import ObligationStatus, PlanYears
from rules.policy import Policy
from store.db import Store
from store.documents import plan_heads
from workdays import default_calendar

logger = logging.getLogger(__name__)


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def shared_store(db: str | None = None) -> Store:
    """One Store per database and process: the tasks of a run share its engine and connection
    pool instead of each opening (and schema-checking) the database again."""
    from store.db import database_url, open_store

    url = database_url(db)
    with _stores_lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = open_store(url)
        return store


# --------------------------------------------------------------------------- per district


def plan_districts(store: Store) -> list[str]:
    """Every district with at least one stored (issued) plan, in a stable order."""
    with store.transaction() as session:  # the plans' places, not their content
        places = {head["place"] or UNKNOWN_DISTRICT for head in plan_heads(session)}
    return sorted(places)


def _plans_of(store: Store, district: str, heads: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The district's stored plans, each with the id and content hash of its parent (None when it
    has none); read without the documents' content (or taken from `heads`, every district's,
    read once for the night)."""
    if heads is None:
        with store.transaction() as session:
            heads = plan_heads(session)
    return [p for p in heads if (p["place"] or UNKNOWN_DISTRICT) == district]


def finding_rows(result: Mapping[str, Any], district: str, *, severities: Iterable[str] = ("error", "warning"),
                 closed: bool = False) -> list[dict[str, Any]]:
    """Findings of one check (the dict form of rules.check.CheckResult) as flat report rows.
    `closed`: the plan's year has closed (the report marks its findings as history)."""
    wanted = set(severities)
    plan = result.get("plan") or {}
    rows = []
    for f in result.get("findings", []):
        if f["severity"] not in wanted:
            continue
        rows.append(
            {
                "district": district,
                "doc_number": plan.get("doc_number") or "",
                "title": plan.get("title") or "",
                "level": plan.get("level") or "",
                "code": f["code"],
                "severity": f["severity"],
                "directive_item": f.get("directive_item"),
                "plan_item": f.get("plan_item"),
                "units": list(f.get("units") or []),
                "message": f.get("message") or "",
                "closed": closed,
            }
        )
    return rows


def check_district(
    store: Store,
    district: str,
    as_of: date,
    policy: Policy,
    *,
    kind: str = "nightly",
    plan_ids: Iterable[int] | None = None,
    heads: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Check every stored plan of `district` (or only `plan_ids`) against its parent and store the
    findings. `heads`: every district's plans as `store.documents.plan_heads` reads them."""
    counts: Counter[str] = Counter({s: 0 for s in SEVERITIES})
    plans, rows = [], []
    years = PlanYears(policy, default_calendar(), as_of)
    only = set(plan_ids) if plan_ids is not None else None
    todo = [p for p in _plans_of(store, district, heads) if only is None or p["id"] in only]
    # Only plans whose plan, parent, policy, registry or rules changed are checked again.
    for plan, (data, run_id) in zip(todo, check_stored_plans(store, todo, policy, kind=kind, as_of=as_of),
                                    strict=True):
        counts.update(data["counts"])
        plans.append(
            {
                "run_id": run_id,
                "key": plan["key"],
                "title": plan["title"],
                "doc_number": (data.get("plan") or {}).get("doc_number"),
                "level": plan["level"],
                "directive": (data["directive"] or {}).get("doc_number"),
                "counts": data["counts"],
            }
        )
        rows += finding_rows(data, district, closed=years.closed((data.get("plan") or {}).get("year")))
    return {"district": district, "plans": plans, "counts": dict(counts), "findings": rows}


def derive_obligations(store: Store, as_of: date, policy: Policy | None = None) -> dict[str, Any]:
    """What units owe, derived from the stored plans; once per run, before the districts fan out
    (the derivation spans districts, so running it per district would only repeat the work)."""
    result = derive(store, as_of, policy=policy)
    data = jsonable(result)
    counts = data.get("counts") if isinstance(data, dict) else None
    return {
        "available": True,
        "obligations": getattr(result, "obligations", None),
        "counts": counts,
        "warnings": list(getattr(result, "warnings", []) or []),
    }


def obligation_counts(store: Store, as_of: date, district: str, policy: Policy | None = None, *,
                      statuses: list[ObligationStatus] | None = None) -> dict[str, int]:
    """Obligations of `district` by state (pending, due soon, overdue, escalated, done …);
    `statuses`: every district's, evaluated once for the night."""
    if statuses is not None:
        return state_counts(district_statuses(statuses, district))
    return state_counts(obligation_status(store, as_of, district=district, policy=policy))


def state_counts(status: Any) -> dict[str, int]:
    """Counts by state from what obligation_status returns: a mapping of counts, an object or dict
    carrying `counts`, or a list of rows each with a `state` (or `status`)."""
    if status is None:
        return {}
    counts = getattr(status, "counts", None)
    if counts is None and isinstance(status, Mapping):
        counts = status.get("counts", status)
    if isinstance(counts, Mapping) and all(isinstance(v, int) for v in counts.values()):
        return {str(k): int(v) for k, v in counts.items()}
    rows = getattr(status, "rows", None) or getattr(status, "obligations", None) or status
    if isinstance(rows, Mapping):
        rows = rows.get("rows") or rows.get("obligations") or []
    tally: Counter[str] = Counter()
    for row in rows:
        state = None
        for attr in ("state", "status"):
            state = row.get(attr) if isinstance(row, Mapping) else getattr(row, attr, None)
            if state:
                break
        tally[str(state or "unknown")] += 1
    return dict(tally)


def run_district(store: Store, district: str, as_of: date, policy: Policy, *,
                 statuses: list[ObligationStatus] | None = None,
                 heads: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One district of the nightly run: rules over its plans, then where its obligations stand
    (taken from `statuses` when the night evaluated every district's at once)."""
    started = time.perf_counter()
    summary = check_district(store, district, as_of, policy, heads=heads)
    checked = time.perf_counter()
    summary["obligations"] = obligation_counts(store, as_of, district, policy, statuses=statuses)
    summary["seconds"] = {
        "rules": round(checked - started, 4),
        "obligations": round(time.perf_counter() - checked, 4),
    }
    return summary


# --------------------------------------------------------------------------- alerts


def entry_dict(entry: AlertEntry) -> dict[str, Any]:
    state = alert_state(entry)
    return {
        "key": entry.key,
        "kind": entry.kind,
        "state": state,
        "state_label": STATE_LABELS.get(state, state),
        "district": entry.district,
        "doc_number": entry.doc_number,
        "document": reader_name(entry.doc_number, entry.document) if entry.document or entry.doc_number else "",
        "item": entry.item,
        "summary": entry.summary,
        "units": list(entry.units),
        "due": entry.due.isoformat() if entry.due else None,
        "days_left": entry.days_left,
        "action": entry.action,
        "message": entry.message,
    }


def most_urgent(entries: Iterable[AlertEntry], limit: int = 10) -> list[dict[str, Any]]:
    """The `limit` most urgent rows, in the order the digests use (escalated, overdue …), one row
    per duty or finding of a plan item (its action: the second quarter's report apart from the
    third's) and state, with every unit it concerns (47 units late with their own plans are one
    row, not the whole list): `units` and `count` (the entries the row stands for)."""
    from notifications.digest import sort_entries

    groups: dict[tuple[str, str, str, str, str], list[AlertEntry]] = {}
    for entry in sort_entries([e for e in entries if alert_state(e) in URGENT_STATES]):
        key = (alert_state(entry), entry.district, entry.doc_key or entry.doc_number, entry.item, entry.action)
        groups.setdefault(key, []).append(entry)
    rows = []
    for group in list(groups.values())[:limit]:
        row = entry_dict(group[0])  # the most overdue first: its due date and days stand for the row
        row["units"] = list(dict.fromkeys(u for e in group for u in e.units))
        row["count"] = len(group)
        rows.append(row)
    return rows


def alert_summary(report: Any, entries: list[AlertEntry], *, outbox_dir: str | None = None) -> dict[str, Any]:
    """The part of a run summary about alerts: what was found, sent, and where it went."""
    data = report.to_dict() if report is not None else {}
    delivery = data.get("delivery") or {}
    return {
        "entries": len(entries),
        "by_state": dict(Counter(alert_state(e) for e in entries)),
        "alertable": data.get("alertable", 0),
        "digests": len(data.get("digests", [])),
        "recipients": [d["recipient"] for d in data.get("digests", [])],
        "skipped_duplicates": data.get("skipped_duplicates", 0),
        "sent": delivery.get("sent", 0),
        "failed": delivery.get("failed", []),
        "remaining": delivery.get("remaining", 0),
        "aborted": delivery.get("aborted"),
        "errors": data.get("errors", []),
        "destination": data.get("destination", ""),
        "outbox_dir": outbox_dir,
        "dry_run": data.get("dry_run", False),
    }


# How many `heap_frozen` blocks are open (a night's alert stage opens one inside the night's):
# only the outermost freezes and unfreezes, since gc.unfreeze releases everything at once.
_frozen_depth = 0
_frozen_lock = threading.Lock()


@contextmanager
def heap_frozen() -> Iterator[None]:
    """Leave the objects that exist now out of the cyclic garbage collector's passes until the
    block ends (`gc.freeze`, then `gc.unfreeze`: nothing stays frozen after it).

    What a night starts with (the libraries, the registries, the previous night's kept caches) is
    alive throughout it, yet each full collection walked it again: on a 16-district city 5 of
    them were 0.6 s of an 8 s first night, and 2 were 0.3 s of a 2 s unchanged one. Garbage is
    still freed as usual; a cycle among the frozen objects is freed after the block."""
    global _frozen_depth
    with _frozen_lock:
        _frozen_depth += 1
        if _frozen_depth == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _frozen_lock:
            _frozen_depth -= 1
            if _frozen_depth == 0:
                gc.unfreeze()


def send_run_alerts(
    store: Store,
    as_of: date,
    policy: Policy,
    *,
    districts: Iterable[str] | None = None,
    entries: list[AlertEntry] | None = None,
    transport: Any = None,
    dry_run: bool = False,
    statuses: list[ObligationStatus] | None = None,
) -> dict[str, Any]:
    """Collect the alert entries (or take `entries`), send the digests, summarise. `statuses`:
    the night's obligation statuses, when already evaluated."""
    with heap_frozen():
        return _send_run_alerts(store, as_of, policy, districts=districts, entries=entries, transport=transport,
                                dry_run=dry_run, statuses=statuses)


def _send_run_alerts(store: Store, as_of: date, policy: Policy, *, districts: Iterable[str] | None,
                     entries: list[AlertEntry] | None, transport: Any, dry_run: bool,
                     statuses: list[ObligationStatus] | None) -> dict[str, Any]:
    from notifications.outbox import send_alerts
    from notifications.transport import SmtpSettings
    from pipeline.alerts import registries_for

    if entries is None:
        entries, registries = collect_alert_entries(store, as_of, policy, districts=districts, statuses=statuses)
    else:
        registries = registries_for(e.district for e in entries)
    settings = SmtpSettings.from_env()
    report = send_alerts(store, entries, registries, policy, as_of=as_of, dry_run=dry_run,
                         transport=transport, settings=settings)
    outbox_dir = None if settings.configured or transport is not None else str(settings.outbox_dir)
    summary = alert_summary(report, entries, outbox_dir=outbox_dir)
    summary["urgent"] = most_urgent(entries)
    return summary


# --------------------------------------------------------------------------- the whole run


def build_summary(
    as_of: date,
    districts: Mapping[str, dict[str, Any]],
    failed: Mapping[str, str],
    *,
    obligations: dict[str, Any] | None = None,
    alerts: dict[str, Any] | None = None,
    seconds: dict[str, float] | None = None,
    kind: str = "nightly",
) -> dict[str, Any]:
    """One run's summary (a `RunSummary`, as its dict): counts by severity overall and per
    district, failures, alerts."""
    results = {d: DistrictResult.from_dict({"district": d, **r}) for d, r in sorted(districts.items())}
    counts: Counter[str] = Counter({s: 0 for s in SEVERITIES})
    obligation_totals: Counter[str] = Counter()
    for result in results.values():
        counts.update(result.counts)
        obligation_totals.update(result.obligations)
    summary = RunSummary(
        kind=kind,
        as_of=as_of.isoformat(),
        districts=results,
        failed=dict(sorted(failed.items())),
        plans=sum(len(r.plans) for r in results.values()),
        counts=dict(counts),
        obligations=dict(obligation_totals),
        obligations_note=(obligations or {}).get("note"),
        obligations_warnings=list((obligations or {}).get("warnings") or [])[:50],
        alerts=alerts or {},
        urgent=(alerts or {}).get("urgent", []),
        seconds=seconds or {},
    )
    return summary.to_dict()


@dataclass
class NightlySteps:
    """The three steps of a nightly run as callables: plain functions for `run_nightly`, Prefect
    tasks for the flow. `districts` takes the district names and returns (results, failures)."""

    derive: Callable[[], dict[str, Any]]
    districts: Callable[[list[str]], tuple[dict[str, dict[str, Any]], dict[str, str]]]
    alerts: Callable[[list[str]], dict[str, Any]]


def nightly_sequence(store: Store, as_of: date, run: NightlySteps, *, log: Any = logger
                     ) -> tuple[dict[str, Any], str | None]:
    """The one nightly sequence: derive obligations, then the districts, then alerts for the
    districts that succeeded. Returns the summary and, when sending failed, why (the caller fails
    the run after keeping the summary: unsent reminders must not pass silently)."""
    with heap_frozen():
        return _nightly_steps(store, as_of, run, log=log)


def _nightly_steps(store: Store, as_of: date, run: NightlySteps, *, log: Any
                   ) -> tuple[dict[str, Any], str | None]:
    started = time.perf_counter()
    # The districts start after the derivation, whether or not it succeeded: stale obligations
    # are better than no rule check at all, and the failure is reported.
    try:
        derived = run.derive()
    except Exception as exc:
        derived = {"available": False, "note": f"责任事项推导失败：{type(exc).__name__}: {exc}"}
        log.error(derived["note"])
    after_derive = time.perf_counter()
    results, failed = run.districts(plan_districts(store))
    checked = time.perf_counter()
    alert_error = None
    try:
        alerts = run.alerts(sorted(results)) if results else {}
    except Exception as exc:  # still leave the summary of the checks
        alert_error = f"{type(exc).__name__}: {exc}"
        alerts = {"errors": [f"提醒发送失败：{alert_error}"]}
        log.error("提醒发送失败：%s", alert_error)
    done = time.perf_counter()
    seconds = {"obligations": after_derive - started, "districts": checked - after_derive,
               "alerts": done - checked, "total": done - started}
    summary = build_summary(as_of, results, failed, obligations=derived, alerts=alerts,
                            seconds={k: round(v, 3) for k, v in seconds.items()})
    return summary, alert_error


WORKERS_ENV = "GONGKAI_NIGHTLY_WORKERS"


def nightly_workers(workers: int | None = None) -> int:
    """How many processes check districts in `run_nightly`: the argument, else
    $GONGKAI_NIGHTLY_WORKERS, else 1 (in this process)."""
    if workers is None:
        try:
            workers = int(os.environ.get(WORKERS_ENV, "") or 1)
        except ValueError:
            workers = 1
    return max(1, workers)


# The worker processes' own store and policy (set by _start_worker; a process pool's tasks take
# only the district's name and the day).
_worker: dict[str, Any] = {}


def _start_worker(url: str, policy: Policy) -> None:
    """A forked worker must not touch the parent's pooled connections: drop them, open its own."""
    with _stores_lock:
        for inherited in _stores.values():
            inherited.engine.dispose(close=False)
        _stores.clear()
    _worker["store"] = shared_store(url)
    _worker["policy"] = policy


def _check_in_worker(district: str, as_of: date) -> dict[str, Any]:
    started = time.perf_counter()
    summary = check_district(_worker["store"], district, as_of, _worker["policy"])
    summary["seconds"] = {"rules": round(time.perf_counter() - started, 4)}
    return summary


def _districts_in_processes(store: Store, names: list[str], as_of: date, policy: Policy, workers: int,
                            statuses: Callable[[], list[ObligationStatus]]
                            ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The districts' rule checks spread over `workers` processes (durable-rules keeps its rulesets
    per process and serialises them with a process-wide lock, so threads would not help); where
    their obligations stand is counted here from the night's one evaluation."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    results: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    # fork: the workers start at once with everything imported (no re-import per process)
    with ProcessPoolExecutor(max_workers=min(workers, len(names)), mp_context=get_context("fork"),
                             initializer=_start_worker, initargs=(store.url, policy)) as pool:
        futures = {district: pool.submit(_check_in_worker, district, as_of) for district in names}
        night_statuses = statuses()  # evaluated here while the workers check
        for district, future in futures.items():
            try:
                summary = future.result()
            except Exception as exc:  # one district's failure must not stop the others
                logger.error("nightly run failed for %s: %s", district, exc)
                failed[district] = str(exc)
                continue
            counted = time.perf_counter()
            summary["obligations"] = obligation_counts(store, as_of, district, policy, statuses=night_statuses)
            summary["seconds"]["obligations"] = round(time.perf_counter() - counted, 4)
            results[district] = summary
    return results, failed


def run_nightly(store: Store, as_of: date, policy: Policy, *, transport: Any = None,
                dry_run: bool = False, workers: int | None = None) -> dict[str, Any]:
    """The nightly run without Prefect: districts one after the other, each failure kept apart.
    The obligations' states depend on the day only, so they are evaluated once for all districts
    and the alerts (after the derivation, which is what changes them). `workers` > 1 (or
    $GONGKAI_NIGHTLY_WORKERS) checks the districts in that many processes."""
    night: dict[str, list[ObligationStatus]] = {}
    processes = nightly_workers(workers)

    def statuses() -> list[ObligationStatus]:
        if "statuses" not in night:
            night["statuses"] = obligation_status(store, as_of, policy=policy)
        return night["statuses"]

    def districts(names: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        if processes > 1 and len(names) > 1:
            return _districts_in_processes(store, names, as_of, policy, processes, statuses)
        results: dict[str, dict[str, Any]] = {}
        failed: dict[str, str] = {}
        with store.transaction() as session:
            heads = plan_heads(session)  # every district's plans, read once
        for district in names:
            try:
                results[district] = run_district(store, district, as_of, policy, statuses=statuses(), heads=heads)
            except Exception as exc:  # one district's failure must not stop the others
                logger.exception("nightly run failed for %s", district)
                failed[district] = str(exc)
        return results, failed

    summary, alert_error = nightly_sequence(store, as_of, NightlySteps(
        derive=lambda: derive_obligations(store, as_of, policy),
        districts=districts,
        alerts=lambda names: send_run_alerts(store, as_of, policy, districts=names, transport=transport,
                                             dry_run=dry_run, statuses=night.get("statuses")),
    ))
    if alert_error:
        raise RuntimeError(f"提醒发送失败：{alert_error}")
    return summary
