"""The alert run: dedupe against the ledger, build digests, queue them in the outbox, deliver.

Delivery guarantees (docs/alerts.md has the long form):
- every digest is stored in the outbox before any send, so a crash or a dead server loses nothing;
- messages are claimed ('sending') a batch of 50 at a time (one transaction) before their SMTP
  calls (over up to `GONGKAI_SMTP_CONNECTIONS` sessions at once), and the ones the server accepted
  are marked 'sent' with the ledger rows for what they carried in one transaction per batch;
- a run that dies between the two leaves them 'sending'; the next run (once the claim is older than
  the policy's `sending_lease_seconds`) sends the same bytes again — same Message-ID — so delivery is
  at-least-once and a receiving system can drop the duplicate by Message-ID.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from notifications.courier import Courier, CourierError, Inbox, courier_wanted
from notifications.digest import Digest, Sender, build_digest, build_rejection_notice, district_summary
from notifications.entries import AlertEntry, AlertPolicy, PolicyLike, alert_policy, alert_state
from notifications.routing import Recipient, RoutingError, route, transparency_recipient, valid_email
from notifications.transport import SmtpSettings, Transport, TransportError, make_transport
from store import outbox as outbox_store
from store.db import Store

T = TypeVar("T")

# Messages claimed per transaction.
DELIVERY_BATCH = 50


@dataclass
class DeliveryReport:
    destination: str
    attempted: int = 0
    sent: list[str] = field(default_factory=list)  # Message-IDs delivered in this run
    failed: list[tuple[str, str]] = field(default_factory=list)  # (Message-ID, error) left 'failed'
    busy: int = 0  # held by another run at the same time
    remaining: int = 0  # still undelivered after this run (queued, failed, sending)
    aborted: str | None = None  # why delivery stopped early (server unreachable), if it did
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (Message-ID, error) given up in this run

    def to_dict(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "attempted": self.attempted,
            "sent": len(self.sent),
            "failed": [{"message_id": m, "error": e} for m, e in self.failed],
            "busy": self.busy,
            "remaining": self.remaining,
            "aborted": self.aborted,
            "rejected": [{"message_id": m, "error": e} for m, e in self.rejected],
        }


@dataclass
class AlertRunReport:
    as_of: date
    run_key: str
    dry_run: bool
    entries: int = 0  # entries handed in
    alertable: int = 0  # in a state the policy alerts on
    skipped_duplicates: int = 0  # (entry, recipient) pairs already told, same state, within the interval
    digests: list[Digest] = field(default_factory=list)
    queued: int = 0  # digests newly stored in the outbox (an identical one already queued counts 0)
    superseded: int = 0
    errors: list[str] = field(default_factory=list)  # districts that could not be routed
    delivery: DeliveryReport | None = None
    destination: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "run_key": self.run_key,
            "dry_run": self.dry_run,
            "entries": self.entries,
            "alertable": self.alertable,
            "skipped_duplicates": self.skipped_duplicates,
            "digests": [
                {"recipient": d.recipient.email, "name": d.recipient.name, "subject": d.subject,
                 "message_id": d.message_id, "entries": len(d.entries)}
                for d in self.digests
            ],
            "queued": self.queued,
            "superseded": self.superseded,
            "errors": self.errors,
            "delivery": self.delivery.to_dict() if self.delivery else None,
            "destination": self.destination,
        }


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine from sync code, also when the caller already runs an event loop (a Prefect
    async flow): then it runs on a private loop in a helper thread."""
    box: dict[str, Any] = {}

    async def main() -> None:
        # The result is handed over in `box`, not as the loop's main task's result: on the main
        # thread asyncio.run looks its SIGINT handler up at the end, and signal.getsignal reprs
        # that handler, the task and so the task's result: the whole report, each digest's
        # entries included (0.15-0.25 s of CPU for a 16-district night).
        box["value"] = await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
        return box["value"]

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="gongkai-alerts")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


# --------------------------------------------------------------------------- queue and deliver


def queue_digests(store: Store, run_key: str, digests: Iterable[Digest]) -> tuple[int, int]:
    """Store digests in the outbox (status queued); returns (newly queued, superseded).

    An identical digest (same Message-ID) already there is left alone; older unsent digests to the
    same recipient are superseded, since the new one carries everything still current for them."""
    digests = list(digests)
    for attempt in range(2):
        try:
            queued = superseded = 0
            with store.transaction() as session:
                news = []
                for digest in digests:
                    news.append(outbox_store.NewMessage(
                        message_id=digest.message_id,
                        run_key=run_key,
                        district=digest.district,
                        recipient=digest.recipient.email,
                        recipient_name=digest.recipient.name,
                        sender=digest.sender_address,
                        subject=digest.subject,
                        raw=digest.as_bytes(),
                        alerts=digest.alerts,
                        as_of=digest.as_of,
                    ))
                queued, superseded = outbox_store.add_messages(session, news)
            return queued, superseded
        except IntegrityError:
            # Another run queued the same Message-ID between our check and insert: look again.
            if attempt:
                raise
    raise AssertionError("unreachable")


async def adeliver_outbox(
    store: Store,
    transport: Transport,
    policy: PolicyLike = None,
    *,
    recipients: Iterable[str] | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> DeliveryReport:
    """Send every deliverable outbox message (optionally only to `recipients`), oldest first."""
    pol = alert_policy(policy)
    wanted = None if recipients is None else sorted(set(recipients))
    report = DeliveryReport(destination=transport.describe())
    worker = uuid.uuid4().hex
    with store.transaction() as session:
        ids = outbox_store.deliverable_ids(session, lease_seconds=pol.sending_lease_seconds, recipients=wanted)
    await transport.open()
    try:
        await deliver_ids(store, transport, pol, ids, worker, report, sleep=sleep)
    finally:
        await transport.close()
    with store.transaction() as session:
        report.remaining = outbox_store.undelivered_count(session, wanted)
    return report


async def deliver_ids(
    store: Store,
    transport: Transport,
    pol: AlertPolicy,
    ids: list[int],
    worker: str,
    report: DeliveryReport,
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    partners: Iterable[str] = (),
) -> None:
    """One delivery pass over outbox `ids` on an open transport, claiming as `worker`, adding to
    `report`. `partners`: the claim tokens of the run's other deliveries at the same time (its
    courier): a message one of them claimed first is theirs to send, not busy."""
    partners = set(partners)
    # Claimed a batch at a time (one transaction: a run killed before sending leaves them
    # 'sending', re-sent once after the lease, never delivered twice); the messages the server
    # accepted are marked sent, with their ledger rows, in one transaction per batch, so a kill
    # between a send and that commit re-sends at most the batch's accepted messages, each with
    # its own Message-ID (the documented same-Message-ID re-send), and never loses one.
    parallel = max(1, int(getattr(transport, "parallel", 1) or 1))
    for start in range(0, len(ids), DELIVERY_BATCH):
        chunk = ids[start : start + DELIVERY_BATCH]
        with store.transaction() as session:
            claimed = outbox_store.claim_many(session, chunk, worker, lease_seconds=pol.sending_lease_seconds,
                                              spare=partners)
            if partners and len(claimed) < len(chunk):
                taken = {c.id for c in claimed}
                report.busy += outbox_store.held_elsewhere(session, [i for i in chunk if i not in taken],
                                                           {worker, *partners})
        if not partners:
            report.busy += len(chunk) - len(claimed)
        untried = deque(claimed)
        accepted: list[outbox_store.Claimed] = []

        try:
            # Up to `parallel` senders share the batch, each taking the next untried message.
            await _all(_send_untried(store, transport, pol, untried, accepted, report, sleep)
                       for _ in range(min(parallel, len(claimed))))
        finally:
            # What the server took is recorded even when a later send stopped the batch; what
            # a stop (server down, an error) left untried goes back exactly as it was. A send
            # in progress when an error stopped the others stays 'sending' (re-sent after the
            # lease, same Message-ID).
            if accepted:
                with store.transaction() as session:
                    outbox_store.mark_sent_many(session, [m.id for m in accepted])
                report.sent.extend(m.message_id for m in accepted)
            if untried:
                with store.transaction() as session:
                    outbox_store.release(session, list(untried), worker)
        if report.aborted:
            break


async def _send_untried(store: Store, transport: Transport, pol: AlertPolicy,
                        untried: deque[outbox_store.Claimed], accepted: list[outbox_store.Claimed],
                        report: DeliveryReport, sleep: Callable[[float], Awaitable[Any]]) -> None:
    """Send the batch's untried messages one after another until none is left or delivery stops."""
    while untried and not report.aborted:
        message = untried.popleft()
        report.attempted += 1
        if await _send_one(store, transport, pol, message, report, sleep):
            accepted.append(message)


async def _all(coroutines: Iterable[Awaitable[None]]) -> None:
    """Run `coroutines` together; the first error cancels the others (waited for) and is raised."""
    pending = list(coroutines)
    if len(pending) <= 1:
        for coroutine in pending:
            await coroutine
        return
    tasks = [asyncio.ensure_future(c) for c in pending]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _send_one(store: Store, transport: Transport, pol: AlertPolicy, message: outbox_store.Claimed,
                    report: DeliveryReport, sleep: Callable[[float], Awaitable[Any]]) -> bool:
    """Send one claimed message, retrying temporary failures; a final failure is recorded at once
    (own transaction). True when the server accepted it (the caller marks it sent)."""
    attempt = 1
    while True:
        try:
            await transport.send(message.raw, message.sender, [message.recipient])
            return True
        except TransportError as exc:
            error = str(exc)
            if exc.temporary and attempt < pol.max_send_attempts:
                with store.transaction() as session:
                    outbox_store.record_retry(session, message.id, error)
                await sleep(pol.backoff(attempt))
                attempt += 1
                continue
            with store.transaction() as session:
                if exc.refused and not exc.temporary:
                    # The address itself is refused: a few runs in a row, then given up.
                    gave_up = outbox_store.record_refusal(session, message.id, error, max_refusals=pol.max_refusals)
                else:
                    gave_up = False
                    outbox_store.mark_failed(session, message.id, error)
            (report.rejected if gave_up else report.failed).append((message.message_id, error))
            if exc.connection:
                # The server is down or rejects our login: every other message would fail the
                # same way, so leave them queued for the next run.
                report.aborted = error
            return False


def deliver_outbox(
    store: Store,
    transport: Transport,
    policy: PolicyLike = None,
    *,
    recipients: Iterable[str] | None = None,
) -> DeliveryReport:
    """Sync form of `adeliver_outbox`."""
    return _run(lambda: adeliver_outbox(store, transport, policy, recipients=recipients))


# --------------------------------------------------------------------------- the alert run


def _office_by_email(registries: Mapping[str, Any]) -> dict[str, Recipient]:
    found: dict[str, Recipient] = {}
    for registry in registries.values():
        section = getattr(registry, "transparency_office", None)
        for office in [*getattr(registry, "offices", []), *([section] if section else [])]:
            email = (getattr(office, "email", "") or "").lower()
            if valid_email(email):
                found.setdefault(email, Recipient(office.email, office.name, office is section
                                                  or bool(getattr(office, "is_transparency_section", False))))
    return found


def _matches(recipient: Recipient, wanted: str, registries: Mapping[str, Any]) -> bool:
    """Does `--to wanted` (a name, alias, abbreviation or address) mean this recipient?"""
    wanted = wanted.strip()
    if wanted.lower() == recipient.email.lower() or wanted == recipient.name:
        return True
    for registry in registries.values():
        office = registry.find(wanted) if hasattr(registry, "find") else None
        if office is not None and office.email.lower() == recipient.email.lower():
            return True
    return False


def _due(
    entry: AlertEntry, recipient: Recipient, ledger: Mapping[tuple[str, str], Any], as_of: date,
    pol: AlertPolicy,
) -> bool:
    """Should `recipient` hear about `entry` in this run? The dedup rule of the ledger."""
    state = alert_state(entry)
    row = ledger.get((entry.key, recipient.email))
    if state == "resolved":
        # Only someone told earlier needs to hear it is done, and only once.
        return row is not None and row.state != "resolved"
    if row is None or row.state != state:
        return True
    return (as_of - row.last_as_of).days >= pol.repeat_interval_days


def plan_digests(
    store: Store,
    entries: Iterable[AlertEntry],
    registry_by_district: Mapping[str, Any],
    policy: PolicyLike,
    *,
    as_of: date,
    sender: Sender,
    only_to: str | None = None,
    report: AlertRunReport | None = None,
    now: datetime | None = None,
) -> list[Digest]:
    """The digests this run should send: routed, deduplicated against the ledger, rendered."""
    return [digest for batch in digest_batches(store, entries, registry_by_district, policy, as_of=as_of,
                                               sender=sender, only_to=only_to, report=report, now=now)
            for digest in batch]


def digest_batches(
    store: Store,
    entries: Iterable[AlertEntry],
    registry_by_district: Mapping[str, Any],
    policy: PolicyLike,
    *,
    as_of: date,
    sender: Sender,
    only_to: str | None = None,
    report: AlertRunReport | None = None,
    now: datetime | None = None,
    size: int | None = None,
) -> Iterator[list[Digest]]:
    """`plan_digests` a batch at a time (the offices' digests, then the 政务公开科's), so that a
    caller can queue and send one batch while the next is built. A batch's Message-IDs are looked
    up in the outbox before it is handed out: queue each batch before asking for the next.
    `size`: digests per batch (default DELIVERY_BATCH, read when called)."""
    size = size or DELIVERY_BATCH
    pol = alert_policy(policy)
    entries = list(entries)
    report = report or AlertRunReport(as_of=as_of, run_key="", dry_run=True)
    report.entries = len(entries)
    alertable = [e for e in entries if alert_state(e) in pol.alert_states]
    report.alertable = len(alertable)

    # Route district by district so one district without a registry does not stop the others.
    routed: dict[str, tuple[Recipient, dict[str, AlertEntry]]] = {}
    sections: dict[str, Recipient] = {}
    by_district: dict[str, list[AlertEntry]] = {}
    for entry in alertable:
        by_district.setdefault(entry.district, []).append(entry)
    for district, district_entries in by_district.items():
        registry = registry_by_district.get(district)
        try:
            if registry is None:
                raise RoutingError(f"没有{district}的单位名录，该区{len(district_entries)}项提醒无法投递")
            sections[district] = transparency_recipient(registry, district)
            for recipient, items in route(district_entries, registry).items():
                _, bucket = routed.setdefault(recipient.email.lower(), (recipient, {}))
                for item in items:
                    bucket.setdefault(item.key, item)
        except RoutingError as exc:
            report.errors.append(str(exc))

    with store.transaction() as session:
        keys = {key for _r, bucket in routed.values() for key in bucket}
        keys |= {e.key for e in alertable if alert_state(e) == "resolved"}
        ledger = outbox_store.ledger_view(session, keys)  # read only here: plain rows
        in_flight = outbox_store.in_flight_alerts(session)

    # A resolved entry also goes to whoever was told about it earlier (an escalation's lead unit
    # and 政务公开科), not only to the units routing finds today.
    known = _office_by_email(registry_by_district)
    told_by_key: dict[str, list[tuple[str, Any]]] = {}  # the ledger by alert key (not a scan per entry)
    for (key, email), row in ledger.items():
        told_by_key.setdefault(key, []).append((email, row))
    for entry in alertable:
        if alert_state(entry) != "resolved":
            continue
        for email, row in told_by_key.get(entry.key, []):
            if row.state != "resolved":
                recipient = known.get(email.lower(), Recipient(email, email))
                _, bucket = routed.setdefault(email.lower(), (recipient, {}))
                bucket.setdefault(entry.key, entry)

    if only_to:
        routed = {k: v for k, v in routed.items() if _matches(v[0], only_to, registry_by_district)}

    todo: dict[str, tuple[Recipient, list[AlertEntry]]] = {}
    for email, (recipient, bucket) in routed.items():
        # An alert a crashed run left 'sending' to this recipient goes out again with that message
        # (same Message-ID), not a second time inside a new digest.
        fresh = [e for e in bucket.values() if _due(e, recipient, ledger, as_of, pol)
                 and in_flight.get((e.key, recipient.email)) != alert_state(e)]
        report.skipped_duplicates += len(bucket) - len(fresh)
        if fresh:
            todo[email] = (recipient, fresh)

    # The 政务公开科 hears about its district whenever anyone in it is alerted: its digest carries
    # the district summary, even when nothing in it is addressed to the section itself.
    # A digest already in the outbox (same Message-ID: queued by an earlier run today and not yet
    # delivered) is not news for the summary; only a new one makes the 政务公开科 hear again.
    section_emails = {r.email.lower(): d for d, r in sections.items()}
    offices = [(email, recipient, fresh) for email, (recipient, fresh) in todo.items() if email not in section_emails]
    told: dict[str, list[tuple[str, int]]] = {}
    news: set[str] = set()
    for start in range(0, len(offices), size):
        batch: list[Digest] = []
        for _email, recipient, fresh in offices[start : start + size]:
            section = sections.get(fresh[0].district)
            digest = build_digest(recipient, fresh, as_of=as_of, sender=sender, now=now,
                                  max_per_section=pol.digest_max_per_section,
                                  new_keys=_new_to(recipient, fresh, ledger),
                                  contact=section.name if section is not None else "")
            batch.append(digest)
            told.setdefault(digest.district, []).append((recipient.name, len(fresh)))
        with store.transaction() as session:
            queued_before = outbox_store.existing_message_ids(session, [d.message_id for d in batch])
        news |= {d.district for d in batch if d.message_id not in queued_before}
        yield batch
    sections_batch: list[Digest] = []
    for district, section in sections.items():
        email = section.email.lower()
        if only_to and not _matches(section, only_to, registry_by_district):
            continue
        fresh = todo.get(email, (section, []))[1]
        if not fresh and district not in news:
            continue
        summary = district_summary(alertable, district, as_of, told.get(district, []))
        sections_batch.append(build_digest(section, fresh, as_of=as_of, sender=sender, summary=summary,
                                           district=district, now=now, max_per_section=pol.digest_max_per_section,
                                           new_keys=_new_to(section, fresh, ledger), contact=section.name))
    if sections_batch:
        yield sections_batch


def _new_to(recipient: Recipient, entries: list[AlertEntry], ledger: Mapping[tuple[str, str], Any]) -> set[str]:
    """The entries `recipient` has not been told about in their present state (new since its last digest)."""
    return {e.key for e in entries
            if (row := ledger.get((e.key, recipient.email))) is None or row.state != alert_state(e)}


async def asend_alerts(
    store: Store,
    entries: Iterable[AlertEntry],
    registry_by_district: Mapping[str, Any],
    policy: PolicyLike,
    *,
    as_of: date,
    dry_run: bool = False,
    only_to: str | None = None,
    transport: Transport | None = None,
    settings: SmtpSettings | None = None,
    run_key: str | None = None,
) -> AlertRunReport:
    pol = alert_policy(policy)
    settings = settings or SmtpSettings.from_env()
    run_key = run_key or f"alerts-{as_of.isoformat()}-{uuid.uuid4().hex[:8]}"
    report = AlertRunReport(as_of=as_of, run_key=run_key, dry_run=dry_run)
    sender = Sender(settings.mail_from, settings.mail_from_name)
    if transport is None:
        transport = make_transport(settings)
    report.destination = transport.describe()
    batches = digest_batches(store, entries, registry_by_district, pol, as_of=as_of, sender=sender,
                             only_to=only_to, report=report)
    # A courier process delivers while the rest is built, when there is more than a batch to send.
    may_fork = not (dry_run or only_to) and getattr(transport, "forkable", False) and courier_wanted()
    first = next(batches, []) if may_fork else []
    recipients: list[str] | None = None
    if len(first) == DELIVERY_BATCH:
        report.delivery = await _queue_while_delivering(store, transport, pol, run_key, [first], batches, report)
    else:
        report.digests = [*first, *(digest for batch in batches for digest in batch)]
        if dry_run:
            return report
        report.queued, report.superseded = queue_digests(store, run_key, report.digests)
        # With --to, leave other offices' queued mail for a full run rather than sending it now.
        recipients = [d.recipient.email for d in report.digests] if only_to else None
        if only_to and not recipients:
            return report
        report.delivery = await adeliver_outbox(store, transport, pol, recipients=recipients)
    notified = queue_rejection_notices(store, registry_by_district, sender, as_of=as_of, run_key=run_key,
                                       errors=report.errors)
    if notified:
        more = await adeliver_outbox(store, transport, pol, recipients=notified)
        _add_delivery(report.delivery, more)
        with store.transaction() as session:
            report.delivery.remaining = outbox_store.undelivered_count(session, recipients)
    return report


def _add_delivery(report: DeliveryReport, more: DeliveryReport) -> None:
    """`more` (another pass of the same run) added to `report`; `remaining` is the caller's."""
    report.sent.extend(more.sent)
    report.failed.extend(more.failed)
    report.rejected.extend(more.rejected)
    report.attempted += more.attempted
    report.busy += more.busy
    report.aborted = report.aborted or more.aborted


async def _queue_while_delivering(store: Store, transport: Transport, pol: AlertPolicy, run_key: str,
                                  built: list[list[Digest]], batches: Iterator[list[Digest]],
                                  report: AlertRunReport) -> DeliveryReport:
    """Queue the digests a batch at a time as they are built while a courier process sends what is
    queued; once all are queued this process sends alongside it. Every message is claimed before
    it is sent (two claim tokens, one per process), so none goes out twice."""
    token = uuid.uuid4().hex
    ours, theirs = f"{token}-run", f"{token}-courier"
    try:
        courier = Courier(_courier_work, store, transport, pol, run_key, theirs, ours)
    except OSError:  # no process to spare (fork refused): this one does it all
        report.digests = [digest for batch in itertools.chain(built, batches) for digest in batch]
        report.queued, report.superseded = queue_digests(store, run_key, report.digests)
        return await adeliver_outbox(store, transport, pol)
    try:
        for batch in itertools.chain(built, batches):
            report.digests.extend(batch)
            queued, superseded = queue_digests(store, run_key, batch)
            report.queued += queued
            report.superseded += superseded
            courier.nudge()
    except BaseException:
        courier.stop()
        raise
    courier.done()
    delivery = DeliveryReport(destination=transport.describe())
    try:
        await transport.open()
        try:
            with store.transaction() as session:
                ids = outbox_store.deliverable_ids(session, lease_seconds=pol.sending_lease_seconds,
                                                   not_tried_by=(ours, theirs))
            # Newest first: the courier works from the oldest, so the two rarely reach for the same batch.
            await deliver_ids(store, transport, pol, ids[::-1], ours, delivery, partners=(theirs,))
        finally:
            await transport.close()
    finally:
        try:
            _add_delivery(delivery, await asyncio.to_thread(courier.report))
        except CourierError as exc:
            report.errors.append(str(exc))
    with store.transaction() as session:
        delivery.remaining = outbox_store.undelivered_count(session)
    return delivery


def _courier_work(inbox: Inbox, store: Store, transport: Transport, pol: AlertPolicy, run_key: str,
                  worker: str, partner: str) -> DeliveryReport:
    """What the courier process does: after each nudge a pass over this run's queued digests (an
    older run's digest to an office may yet be superseded by this run's), after the last one a pass
    over everything deliverable, as the run itself does; never a message this run tried already."""
    store.engine.dispose(close=False)  # the run's pooled connections stay the run's
    own = Store(store.url)
    report = DeliveryReport(destination=transport.describe())

    async def deliver() -> None:
        await transport.open()
        try:
            async for last in inbox.nudges():
                if report.aborted:
                    continue  # the server is down: the run's own pass will say so too
                with own.transaction() as session:
                    ids = outbox_store.deliverable_ids(session, lease_seconds=pol.sending_lease_seconds,
                                                       run_key=None if last else run_key,
                                                       not_tried_by=(worker, partner))
                await deliver_ids(own, transport, pol, ids, worker, report, partners=(partner,))
        finally:
            await transport.close()

    try:
        asyncio.run(deliver())
    finally:
        own.dispose()
    return report


def queue_rejection_notices(
    store: Store, registry_by_district: Mapping[str, Any], sender: Sender, *, as_of: date, run_key: str,
    errors: list[str],
) -> list[str]:
    """Tell each district's 政务公开科 about its offices' mail given up as rejected: one note per
    rejected message, queued in the same transaction that marks it reported (so exactly once).
    Returns the addresses notes were queued for."""
    notified: list[str] = []
    with store.transaction() as session:
        for message in outbox_store.unreported_rejections(session):
            registry = registry_by_district.get(message.district)
            if registry is None:
                continue  # a run that loads this district's registry will report it
            try:
                section = transparency_recipient(registry, message.district)
            except RoutingError as exc:
                errors.append(str(exc))
                continue
            if section.email.lower() == message.recipient.lower():
                errors.append(f"{message.district}政务公开科的邮箱 {message.recipient} 被邮件服务器拒收，"
                              "无法发送提醒，请核实单位名录中的邮箱")
                outbox_store.mark_reported(session, message.id)
                continue
            notice = build_rejection_notice(
                section, district=message.district, refused_name=message.recipient_name,
                refused_address=message.recipient, refused_subject=message.subject,
                refused_message_id=message.message_id, refusals=message.refusals,
                error=message.last_error or "", as_of=as_of, sender=sender,
            )
            outbox_store.add_message(session, outbox_store.NewMessage(
                message_id=notice.message_id, run_key=run_key, district=message.district,
                recipient=section.email, recipient_name=section.name, sender=sender.address,
                subject=notice.subject, raw=notice.as_bytes(), alerts=[], as_of=as_of,
            ))
            outbox_store.mark_reported(session, message.id)
            errors.append(f"发往{message.recipient_name or message.recipient}（{message.recipient}）的邮件被拒收"
                          f" {message.refusals} 次，已停止重发并通知{section.name}")
            notified.append(section.email)
    return notified


def send_alerts(
    store: Store,
    entries: Iterable[AlertEntry],
    registry_by_district: Mapping[str, Any],
    policy: PolicyLike,
    *,
    as_of: date,
    dry_run: bool = False,
    only_to: str | None = None,
    transport: Transport | None = None,
    settings: SmtpSettings | None = None,
    run_key: str | None = None,
) -> AlertRunReport:
    """The alert run the flows and the CLI call: plan, queue and deliver the digests for `as_of`.

    Without `transport` the settings (default: `SmtpSettings.from_env()`) pick SMTP or the .eml folder.
    Messages queued by earlier runs that never went out are delivered too.
    """
    entries = list(entries)
    return _run(lambda: asend_alerts(store, entries, registry_by_district, policy, as_of=as_of,
                                     dry_run=dry_run, only_to=only_to, transport=transport,
                                     settings=settings, run_key=run_key))
