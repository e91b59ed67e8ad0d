"""One digest e-mail per recipient: text and HTML parts rendered from jinja2 templates.

Everything from the documents (titles, unit names, item text) is untrusted: it is flattened to one
line and stripped of control characters before it goes into a header, and HTML-escaped by the
template engine before it goes into the HTML part.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import string
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from email import message_from_bytes
from email.charset import BASE64, Charset
from email.generator import BytesGenerator
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.policy import SMTP, Compat32
from email.utils import format_datetime, formataddr
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    Template,
)
from jinja2.bccache import Bucket

from notifications.entries import STATE_LABELS, STATE_RANK, AlertEntry, alert_state, units_text
from notifications.routing import Recipient
from web.links import page_url

TEMPLATES = Path(__file__).resolve().parent / "templates"

# C0/C1 controls, DEL and the Unicode line/paragraph separators: none belongs in a header or a
# one-line field, and CR/LF would let a crafted unit name start a header of its own.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"[ \u3000]{2,}")

FINDING_STATES = ("error", "warning", "info")
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("已升级督办", ("escalated",)),
    ("已逾期", ("overdue",)),
    ("即将到期", ("due_soon",)),
    ("待办", ("pending",)),
    ("检查发现的问题", FINDING_STATES),
    ("已办结", ("resolved",)),
)


def one_line(value: Any, limit: int | None = None) -> str:
    """`value` as a single clean line (control characters and line breaks become spaces)."""
    if isinstance(value, str):
        return _one_line_text(value, limit)  # the same unit names and titles recur in every digest
    return _one_line(value, limit)


@lru_cache(maxsize=65536)
def _one_line_text(value: str, limit: int | None) -> str:
    return _one_line(value, limit)


def _one_line(value: Any, limit: int | None) -> str:
    text = _SPACES.sub(" ", _CONTROL.sub(" ", str(value or ""))).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def header_safe(value: Any, limit: int = 200) -> str:
    """Text fit for a mail header: no CR/LF or other controls, bounded length."""
    return one_line(value, limit)


def cn_date(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def days_text(days_left: int | None) -> str:
    if days_left is None:
        return ""
    if days_left < 0:
        return f"已逾期{-days_left}天"
    if days_left == 0:
        return "今日到期"
    return f"剩余{days_left}天"


@dataclass(frozen=True)
class Sender:
    address: str
    name: str = ""  # display name; the district's "政务公开工作提醒" when empty

    @property
    def domain(self) -> str:
        return _domain_of(self.address)


@lru_cache(maxsize=64)
def _domain_of(address: str) -> str:
    """The domain of the Message-IDs sent from `address` (asked once per digest)."""
    domain = address.rpartition("@")[2]
    return re.sub(r"[^A-Za-z0-9.\-]", "", domain) or "gongkai.local"


@dataclass(frozen=True)
class UnitCount:
    unit: str
    escalated: int = 0
    overdue: int = 0
    due_soon: int = 0
    findings: int = 0
    resolved: int = 0


@dataclass(frozen=True)
class DistrictSummary:
    """What the 政务公开科 sees about the whole district in its digest."""

    district: str
    as_of: date
    counts: dict[str, int]  # state → number of alertable entries in the district
    units: list[UnitCount]
    digests: list[tuple[str, int]] = field(default_factory=list)  # (recipient, entries) sent this run
    earliest_due: date | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def district_summary(
    entries: list[AlertEntry], district: str, as_of: date, digests: list[tuple[str, int]] | None = None
) -> DistrictSummary:
    """Counts by state and by unit over every alertable entry of `district` (sent now or not)."""
    mine = [e for e in entries if e.district == district]
    counts = Counter(alert_state(e) for e in mine)
    per_unit: dict[str, Counter] = {}
    for entry in mine:
        state = alert_state(entry)
        bucket = "findings" if state in FINDING_STATES else state
        for unit in dict.fromkeys(entry.units or ("（未明确责任单位）",)):
            per_unit.setdefault(one_line(unit, 40), Counter())[bucket] += 1
    rows = [
        UnitCount(unit, c["escalated"], c["overdue"], c["due_soon"], c["findings"], c["resolved"])
        for unit, c in per_unit.items()
    ]
    rows.sort(key=lambda r: (-r.escalated, -r.overdue, -r.due_soon, -r.findings, r.unit))
    dues = [e.due for e in mine if e.due and alert_state(e) != "resolved"]
    ordered = {s: counts[s] for s in sorted(counts, key=lambda s: STATE_RANK.get(s, 99))}
    return DistrictSummary(district, as_of, ordered, rows, sorted(digests or []), min(dues) if dues else None)


@dataclass
class Digest:
    recipient: Recipient
    district: str
    as_of: date
    entries: list[AlertEntry]
    summary: DistrictSummary | None
    subject: str
    message_id: str
    _message: EmailMessage | None = field(default=None, repr=False, compare=False)
    _raw: bytes | None = field(default=None, repr=False, compare=False)
    sender_address: str = ""

    @property
    def message(self) -> EmailMessage:
        """The message as an `EmailMessage` (parsed from the wire form when it was built there)."""
        if self._message is None:
            assert self._raw is not None
            self._message = cast(EmailMessage, message_from_bytes(self._raw, policy=SMTP))
        return self._message

    @property
    def alerts(self) -> list[dict[str, str]]:
        """What the ledger records once this digest is delivered."""
        return [{"key": e.key, "state": alert_state(e)} for e in self.entries]

    def as_bytes(self) -> bytes:
        """The wire form (CRLF line ends), serialised once."""
        if self._raw is None:
            self._raw = self.message.as_bytes(policy=SMTP)
        return self._raw


# --------------------------------------------------------------------------- the wire form
# Digests are built with the stdlib's compat32 `email.message.Message` (set up as the `email.mime`
# classes set it up) and `email.header`: the modern `EmailMessage` API parses every header through
# its header registry and folds it again on output, which cost more than rendering the digest
# itself; the older API writes the same RFC 2047 encoded words and base64 parts without that
# round trip (tests parse the result back with policy SMTP).

class _WirePolicy(Compat32):
    """compat32 with CRLF line ends, folding a header value it has folded before from a cache: the
    part headers (Content-Type, MIME-Version, Content-Transfer-Encoding), From, Auto-Submitted and
    the run date are the same in every digest of a run, and folding one through `Header` cost more
    than rendering a row. The folded form is a function of (name, value), so the bytes are the
    same as compat32's. The values new in every digest are folded from the fold of their form
    (`_folded_as_form`)."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str):
            if name in ("Message-ID", "To") or name == "Content-Type" and value.startswith("multipart/"):
                return _folded_as_form(name, value)  # new in every digest (To: every night)
            return _folded(name, value)
        if type(value) is _Utf8Header:
            return _folded_utf8(name, value.text)
        return super().fold_binary(name, value)


_WIRE = _WirePolicy(linesep="\r\n")


@lru_cache(maxsize=8192)
def _folded(name: str, value: str) -> bytes:
    return Compat32.fold_binary(_WIRE, name, value)


# Letters and digits, each written as "0": every digest's Message-ID (a hash) and multipart
# boundary (digits) have one form, and the To of offices whose names are as long, one.
_AS_FORM = str.maketrans(string.ascii_letters + string.digits, "0" * 62)
_WHITESPACE = re.compile(r"(\s+)")


def _folded_as_form(name: str, value: str) -> bytes:
    """compat32's fold of an ASCII `value`, from the cached fold of its form: compat32 breaks a
    header at whitespace, after ";" or "," by preference, by the lengths of the words between,
    never by which letters or digits make them up; so `value` folds as its form does, its words
    in place of the form's. (Folding each digest's Message-ID, boundary and To cost more than
    building a row.) A value of another kind, or a fold that split a word, is folded itself."""
    if not value.isascii() or "\r" in value or "\n" in value:
        return Compat32.fold_binary(_WIRE, name, value)
    form = value.translate(_AS_FORM)
    # ["Name:", whitespace, word, whitespace, ..., word, line end, ""]
    pieces = _WHITESPACE.split(_folded(name, form).decode("ascii"))
    if pieces[2::2] != [*form.split(), ""]:
        return Compat32.fold_binary(_WIRE, name, value)
    pieces[2::2] = [*value.split(), ""]  # as many words: only letters and digits differ
    return "".join(pieces).encode("ascii")


@lru_cache(maxsize=4096)
def _folded_utf8(name: str, text: str) -> bytes:
    header: Any = Header(text, "utf-8")  # compat32 folds a Header as well as a str
    return Compat32.fold_binary(_WIRE, name, header)


# An address of dot-separated runs of RFC 5322 atext, a domain of letters, digits and hyphens: the
# header registry accepts every such address and writes it back as it is. Matched first because
# the registry's parser took ~40 µs an address, and each office of a night has its own.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDR_SPEC = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


@lru_cache(maxsize=4096)
def _checked_addr_spec(addr_spec: str) -> str:
    """The address as the header registry would write it (raises on one it would refuse)."""
    if _PLAIN_ADDR_SPEC.fullmatch(addr_spec):
        return addr_spec
    return Address(addr_spec=addr_spec).addr_spec


class _Utf8Header(Header):
    """`Header(text, "utf-8")` that `_WIRE` folds from a cache keyed by its text (many digests of a
    run share a subject, and encoding one into encoded words measures it character by character)."""

    def __init__(self, text: str):
        super().__init__(text, "utf-8")
        self.text = text


@lru_cache(maxsize=4096)
def _text_header(value: str) -> str | Header:
    """A free-text header: ASCII as it is, anything else as UTF-8 encoded words (one `Header` per
    text: digests share subjects, and setting one up looks its charset up again)."""
    return value if value.isascii() else _Utf8Header(value)


@lru_cache(maxsize=4096)
def _address_header(display: str, addr_spec: str) -> str:
    """`Name <address>`, the name as UTF-8 encoded words: cached, as From is the same in every
    digest of a run and To the same for an office night after night (formataddr sets up a charset
    and measures the name byte by byte for the shorter encoding)."""
    return formataddr((display, _checked_addr_spec(addr_spec)), charset="utf-8") if display \
        else _checked_addr_spec(addr_spec)


def _boundary(headers: list[tuple[str, str | Header]]) -> str:
    """The multipart boundary, in the stdlib's form (15 '=', 19 digits, '=='), taken from the
    Message-ID instead of `random`: the generator then need not search the parts for a random one
    (a regular expression compiled per message). It cannot occur in them: every part is base64
    (UTF-8 text, see `wire_message`) under fixed ASCII headers, and no base64 line starts "--"."""
    seed = next((str(v) for n, v in headers if n == "Message-ID"), "")
    digits = int.from_bytes(hashlib.sha256(seed.encode("utf-8", "surrogateescape")).digest()[:8], "big")
    return f"{'=' * 15}{digits % 10**19:019d}=="


_UTF8 = Charset("utf-8")  # base64 bodies, as `MIMEText(text, subtype, "utf-8")` writes them
assert _UTF8.body_encoding == BASE64  # what `_base64_body` stands in for


def _base64_body(text: str) -> str:
    """What `_UTF8.body_encode(text)` gives (`email.base64mime.body_encode`: lines of 76 base64
    characters, each ending in a newline), from `base64.encodebytes`, the stdlib's own MIME
    base64: the same 57-byte chunks, without a decode and a line-end check per line."""
    return base64.encodebytes(text.encode("utf-8")).decode("ascii")


def _set_text(message: Message, subtype: str, text: str) -> Message:
    """Give `message` the content `MIMEText(text, subtype, "utf-8")` has (its Content-Type,
    MIME-Version and Content-Transfer-Encoding, as `MIMEBase` adds them, and the same base64 body)
    after the headers it has: MIMEText would write them first and parse its Content-Type again
    (`set_charset`) to set the same charset."""
    message.add_header("Content-Type", f"text/{subtype}", charset=str(_UTF8.get_output_charset()))
    message["MIME-Version"] = "1.0"
    message["Content-Transfer-Encoding"] = str(_UTF8.get_body_encoding())
    message.set_payload(_base64_body(text))
    return message


# The line ends `Generator._write_lines` splits a body on (`email.generator.NLCRE`).
_NLCRE = re.compile(r"\r\n|\r|\n")


class _WireGenerator(BytesGenerator):
    """`BytesGenerator` writing a body in one piece: the stdlib writes it line by line, two
    `write` calls (each an encode and a buffer write) per 76-character base64 line, which cost
    more than encoding the body. The bytes are the same: the lines joined by the line end the
    stdlib writes between them (and none after the last, as it does)."""

    def _write_lines(self, lines: str) -> None:
        if not lines:
            return
        assert self.policy is not None  # `flatten` sets it, and `self._NL` to its linesep
        linesep = self.policy.linesep
        if "\r" not in lines:  # only "\n" line ends (our base64 bodies): no need to split
            self.write(lines.replace("\n", linesep))
        else:
            self.write(linesep.join(_NLCRE.split(lines)))


def wire_message(headers: list[tuple[str, str | Header]], parts: list[tuple[str, str]]) -> bytes:
    """A message of `headers` and text `parts` ((subtype, text); UTF-8, base64 so that relays
    without 8BITMIME pass it): one part is the body itself, several a multipart/alternative."""
    message: Message[str, str | Header] = Message()  # compat32 keeps a Header value as it is
    for name, value in headers:
        message[name] = value
    if len(parts) == 1:
        _set_text(message, *parts[0])
    else:
        # what MIMEMultipart("alternative", boundary=...) adds, after our headers rather than before
        message.add_header("Content-Type", "multipart/alternative", boundary=_boundary(headers))
        message["MIME-Version"] = "1.0"
        for subtype, text in parts:
            message.attach(_set_text(Message(), subtype, text))
    buffer = BytesIO()  # what `message.as_bytes(policy=_WIRE)` does, with our generator
    _WireGenerator(buffer, mangle_from_=False, policy=_WIRE).flatten(message)
    return buffer.getvalue()


def _sort_key(entry: AlertEntry) -> tuple:
    state = alert_state(entry)
    overdue_days = entry.days_left if entry.days_left is not None else 10**6
    return (
        STATE_RANK.get(state, 99),
        overdue_days,
        entry.due or date.max,
        entry.doc_key or entry.doc_number,
        _item_number(entry.item),
        entry.key,
    )


@lru_cache(maxsize=4096)
def _item_number(item: str) -> tuple[int, str]:
    digits = re.match(r"\d+", item or "")
    return (int(digits.group()), item) if digits else (10**6, item or "")


def sort_entries(entries: list[AlertEntry]) -> list[AlertEntry]:
    """Most urgent first: escalated, overdue (longest overdue first), due soon, findings, resolved."""
    return sorted(entries, key=_sort_key)


def _days_left(entry: AlertEntry, as_of: date) -> int | None:
    if entry.days_left is not None:
        return entry.days_left
    return (entry.due - as_of).days if entry.due else None


def _source(entry: AlertEntry) -> str:
    """The file an entry comes from, as a row names it: 《title》（number）."""
    return _source_of(entry.document, entry.doc_number)


@lru_cache(maxsize=4096)
def _source_of(document: str, doc_number: str) -> str:
    """`_source` from a title and number, cached: a plan's few files recur in every row and
    digest of its district."""
    title = one_line(document, 120)
    if title and not title.startswith("《"):
        title = f"《{title}》"
    number = one_line(doc_number, 60)
    return f"{title}（{number}）" if title and number else (title or number)


class Row(SimpleNamespace):
    """What a template shows of one thing (a row, a section, the summary): its fields are plain
    attributes, which jinja's `row.name` finds at once (on a dict the attribute lookup failed first
    and a Python `__getattr__` then read the key, for every field of every row), and read as keys
    too (`row["name"]`)."""

    def __getitem__(self, name: str) -> Any:
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None


def _view(entry: AlertEntry, as_of: date) -> Row:
    state = alert_state(entry)
    source = _source(entry)
    item = one_line(entry.item, 20)
    days = _days_left(entry, as_of)
    return Row(
        key=entry.key,
        state=state,
        state_label=STATE_LABELS.get(state, state),
        item=f"第{item}项" if item and item[0].isdigit() else item,
        summary=one_line(entry.summary, 120),
        units="、".join(one_line(u, 40) for u in entry.units),
        source=source,
        due=cn_date(entry.due),
        days=days_text(days) if state != "resolved" else "",
        overdue=days is not None and days < 0 and state != "resolved",
        action=one_line(entry.action, 200) if state != "resolved" else "",
        message=one_line(entry.message, 300),
        link=entry.link or entry.plan_link,
        unit_count=len(entry.units),
        count=1,
    )


LATE_STATES = ("escalated", "overdue")
UNITS_LISTED = 20  # units in the 政务公开科's district summary
NEW_LATE_TITLE = "新增逾期"


def newly_late(entries: list[AlertEntry], new_keys: frozenset[str] | set[str] | None) -> list[AlertEntry]:
    """Entries overdue (or escalated) that the recipient has not heard about in that state before."""
    if not new_keys:
        return []
    return [e for e in entries if alert_state(e) in LATE_STATES and e.key in new_keys]


def _item_key(entry: AlertEntry) -> tuple[str, str]:
    """What a row of the 政务公开科's digest stands for: one item of one plan (or one plan-wide duty)."""
    return (entry.doc_key or entry.doc_number, entry.item or entry.action)


def _item_row(group: list[AlertEntry], as_of: date) -> Row:
    """One row per item for the 政务公开科: the units not yet done, how many, the earliest due."""
    first = group[0]
    view = _view(first, as_of)
    units = list(dict.fromkeys(u for e in group for u in e.units))
    view.units = units_text([one_line(u, 40) for u in units], shown=8)
    view.unit_count = len(units)
    view.count = len(group)
    actions = list(dict.fromkeys(one_line(e.action, 200) for e in group if e.action))
    if view.state != "resolved":
        view.action = actions[0] + (f"（等{len(actions)}项）" if len(actions) > 1 else "") if actions else ""
    dues = [e for e in group if e.due]
    if dues:
        earliest = min(dues, key=lambda e: (e.due, e.key))
        view.due = cn_date(earliest.due)
        days = _days_left(earliest, as_of)
        view.days = days_text(days) if view.state != "resolved" else ""
        view.overdue = days is not None and days < 0 and view.state != "resolved"
    view.link = first.plan_link or first.link
    messages = list(dict.fromkeys(one_line(e.message, 300) for e in group if e.message))
    view.message = "；".join(messages[:3])
    return view


def _row_groups(group: list[AlertEntry], by_item: bool, own: str = "") -> list[list[AlertEntry]]:
    """The entries each row stands for: a unit's own duties one row each; everything else (the
    政务公开科's digest, a lead unit's copies of other units' escalations) one row per item."""
    items: dict[tuple[str, str], list[AlertEntry]] = {}
    for entry in group:
        mine = not by_item and own in entry.units
        items.setdefault(("", entry.key) if mine else _item_key(entry), []).append(entry)
    return list(items.values())


def _row(entries: list[AlertEntry], as_of: date, by_item: bool, own: str = "") -> Row:
    """The row of one group of `_row_groups`."""
    if len(entries) > 1 or not by_item and own not in entries[0].units:
        return _item_row(entries, as_of)
    return _view(entries[0], as_of)


def _sections(
    entries: list[AlertEntry], as_of: date, limit: int = 20, *, by_item: bool = False,
    new_keys: frozenset[str] | set[str] | None = None, own: str = "",
) -> list[Row]:
    """Entries grouped by state, most urgent first, what became overdue since the last digest
    before them; each group lists at most `limit` rows and counts the rest. `by_item` (the
    政务公开科): one row per item with its units, not one per unit."""
    groups = []
    new_late = newly_late(entries, new_keys)
    if new_late:
        groups.append((NEW_LATE_TITLE, new_late))
    listed = {e.key for e in new_late}
    rest = [(alert_state(e), e) for e in entries if e.key not in listed]
    for title, states in SECTIONS:
        groups.append((title, [e for state, e in rest if state in states]))
    known = {s for _, states in SECTIONS for s in states}
    groups.append(("其他事项", [e for state, e in rest if state not in known]))
    sections: list[Row] = []
    for title, group in groups:
        if not group:
            continue
        rows = _row_groups(group, by_item, own)
        # only the rows listed are built (a 政务公开科's digest counts hundreds of entries)
        shown = [_row(entries, as_of, by_item, own) for entries in rows[:limit]]
        for number, row in enumerate(shown, 1):
            row.number = number  # what the text part numbers it (jinja's loop.index costs a loop object)
        sections.append(Row(title=title, total=len(rows), entries=shown, more=max(0, len(rows) - limit)))
    return sections


LATE_SECTIONS = (NEW_LATE_TITLE, *(title for title, states in SECTIONS if set(states) & set(LATE_STATES)))
FINDING_SECTION = next(title for title, states in SECTIONS if states == FINDING_STATES)
RESOLVED_SECTION = next(title for title, states in SECTIONS if states == ("resolved",))


def subject_for(entries: list[AlertEntry], district: str, summary: DistrictSummary | None,
                new_late: int = 0, rows: Mapping[str, int] | None = None) -> str:
    """District, what changed (新增逾期N项), how many, and the most urgent due date — what a
    recipient scans an inbox for. `rows` (section title → rows listed): when entries were grouped
    into rows (one per item), the figures count rows, as the sections do, and say how many
    entries they stand for; `new_late` is in the same unit."""
    district = one_line(district, 20)
    active = [e for e in entries if alert_state(e) != "resolved"]
    if not entries and summary is not None:
        head = f"【{district}政务公开】本次提醒汇总：全区{summary.total}项，发出{len(summary.digests)}封提醒"
        tail = f"，最早截止{cn_date(summary.earliest_due)}" if summary.earliest_due else ""
        return header_safe(head + tail)
    grouped = rows is not None and sum(rows.values()) != len(entries)
    if rows is not None and grouped:
        total = sum(rows.values())
        late = sum(rows.get(title, 0) for title in LATE_SECTIONS)
        findings = rows.get(FINDING_SECTION, 0)
        resolved = rows.get(RESOLVED_SECTION, 0)
    else:
        total = len(entries)
        late = sum(1 for e in active if alert_state(e) in LATE_STATES)
        findings = sum(1 for e in active if alert_state(e) in FINDING_STATES)
        resolved = total - len(active)
    tail = f"（含{len(entries)}项单位事项）" if grouped else ""
    head = f"【{district}政务公开】"
    if not active:
        return header_safe(f"{head}{resolved}项事项已办结{tail}")
    parts = [f"{head}新增逾期{new_late}项，共{total}项提醒" if new_late else f"{head}{total}项提醒"]
    if late:
        parts.append(f"其中{late}项已逾期")
    dues = [e.due for e in active if e.due]
    if dues:
        parts.append(f"最早截止{cn_date(min(dues))}")
    if findings and not dues:
        parts.append(f"{findings}项检查问题待处理")
    return header_safe("，".join(parts) + tail)


class _CompiledTemplates(FileSystemBytecodeCache):
    """Compiled templates kept between processes, in jinja's own per-user cache directory:
    compiling the four templates cost each nightly run ~0.1 s (a tenth of a millisecond per digest
    of a 16-district night). The cached code is keyed by the template's source and the Python
    version, so an edited template is compiled again; a cache that cannot be read or written (a
    full or read-only disk) only means compiling again, never a digest not sent."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            pass

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> BytecodeCache | None:
    try:
        return _CompiledTemplates()
    except (RuntimeError, OSError):  # no safe temporary directory for it: compile in every process
        return None


@lru_cache(maxsize=1)
def _environments() -> tuple[Environment, Environment]:
    loader = FileSystemLoader(str(TEMPLATES))
    cache = _bytecode_cache()
    # auto_reload off: the templates ship with the package; an include is not re-checked on disk.
    text = Environment(loader=loader, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True, undefined=StrictUndefined, auto_reload=False,
                       bytecode_cache=cache)
    # Autoescape on for every HTML template, whatever its file name ends with (.html.j2).
    html = Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True,
                       undefined=StrictUndefined, auto_reload=False, bytecode_cache=cache)
    for env in (text, html):
        # The templates use none of jinja's default globals (range, dict, lipsum, cycler, joiner,
        # namespace); every render copied them into its context, through a ChainMap, which cost
        # twice the rest of setting the context up.
        env.globals.clear()
    return text, html


@cache
def _template(name: str) -> Template:
    """A compiled template, looked up once per process (the loader would stat its file per call)."""
    text_env, html_env = _environments()
    return (html_env if ".html" in name else text_env).get_template(name)


def render(template: str, **context: Any) -> str:
    return _template(template).render(**context)


@lru_cache(maxsize=1)
def _entry_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(AlertEntry))


def _plain(value: Any) -> Any:
    """What JSON has no form for: a dataclass as the dict of its fields (what `asdict` makes of it,
    without deep-copying every value on the way), anything else (a date) as its str."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return str(value)


# What json.dumps(value, ensure_ascii=False, sort_keys=True, default=str) writes of a value
# passed through asdict; the encoder set up once (dumps builds one per call when given options).
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_plain)


def _json(value: Any) -> str:
    return _JSON.encode(value)


# id(entry) → (entry, its JSON): by identity, not equality (1 == 1.0 would share a cache slot
# and not a JSON text); holding the entry keeps its id from being reused while it is cached.
_ENTRY_JSON: dict[int, tuple[AlertEntry, str]] = {}


def _entry_json(entry: AlertEntry) -> str:
    """An entry as `content_hash` writes it (an entry goes into its units' digests and their
    政务公开科's: serialised once). Its fields are plain values: what asdict gives, without its
    deep copy."""
    hit = _ENTRY_JSON.get(id(entry))
    if hit is not None and hit[0] is entry:
        return hit[1]
    text = _json({name: getattr(entry, name) for name in _entry_fields()})
    if len(_ENTRY_JSON) >= 16384:
        _ENTRY_JSON.clear()
    _ENTRY_JSON[id(entry)] = (entry, text)
    return text


def content_hash(recipient: Recipient, entries: list[AlertEntry], summary: DistrictSummary | None) -> str:
    """SHA-256 of the JSON of {"entries": [each entry's fields], "recipient": address, "summary":
    the summary's fields or null} (keys sorted, json.dumps' default separators), written from
    the entries' cached JSON: the same text json.dumps gives for the whole."""
    blob = (f'{{"entries": [{", ".join(_entry_json(e) for e in entries)}], '
            f'"recipient": {_json(recipient.email.lower())}, '
            f'"summary": {_json(summary)}}}')
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def make_message_id(as_of: date, recipient: Recipient, digest_hash: str, domain: str) -> str:
    """Same run date, recipient and content → the same Message-ID, so a re-run queues nothing new and
    a re-send after a crash can be recognised as a duplicate by the receiving side."""
    token = hashlib.sha256(f"{as_of.isoformat()}|{recipient.email.lower()}|{digest_hash}".encode()).hexdigest()
    return f"<gongkai.{as_of:%Y%m%d}.{token[:32]}@{domain}>"


def build_digest(
    recipient: Recipient,
    entries: list[AlertEntry],
    *,
    as_of: date,
    sender: Sender,
    summary: DistrictSummary | None = None,
    district: str | None = None,
    now: datetime | None = None,
    max_per_section: int = 20,
    new_keys: frozenset[str] | set[str] | None = None,
    contact: str = "",
) -> Digest:
    """The digest message for one recipient: multipart/alternative, text then HTML, UTF-8.

    `new_keys`: the entries this recipient has not heard about in their present state (what
    became overdue since the last digest is listed first and named in the subject). `contact`:
    the office to ask (the district's 政务公开科) when rows are not listed or not linked."""
    ordered = sort_entries(list(entries))
    if district is None:
        districts = Counter(e.district for e in ordered)
        district = districts.most_common(1)[0][0] if districts else (summary.district if summary else "")
    by_item = recipient.is_transparency_section
    sections = _sections(ordered, as_of, max_per_section, by_item=by_item, new_keys=new_keys, own=recipient.name)
    # Counted as the rows read: a lead unit's copies of 45 units' overdue duties are one row of
    # the item, and "新增逾期45项" over one row is not what it sees.
    changed = next((s.total for s in sections if s.title == NEW_LATE_TITLE), 0)
    subject = subject_for(ordered, district, summary, changed, rows={s.title: s.total for s in sections})
    digest_hash = content_hash(recipient, ordered, summary)
    message_id = make_message_id(as_of, recipient, digest_hash, sender.domain)
    # A unit's digest is about its own duties: its name is in the greeting, the source files are
    # named once above the rows (a row names its plan only when the digest spans several).
    sources = list(dict.fromkeys(_source(e) for e in ordered if e.document or e.doc_number))
    own = one_line(recipient.name, 40)
    for section in sections:
        for row in section.entries:
            if not by_item and row.units == own:
                row.units = ""
            if len(sources) <= 1:
                row.source = ""
    context = {
        "recipient_name": one_line(recipient.name, 60),
        "district": one_line(district, 20),
        "as_of": cn_date(as_of),
        "count": len(ordered),
        "rows": sum(s.total for s in sections),
        "sections": sections,
        "sources": _sources_listed(ordered, sources),
        "sources_total": len(sources),
        "summary": _summary_view(summary) if summary else None,
        "is_section": recipient.is_transparency_section,
        "contact": one_line(contact, 60) or f"{one_line(district, 20)}政务公开科",
        "overview_link": page_url("district", district=district, as_of=as_of) or "",
    }
    text_body = render("digest.txt.j2", **context)
    html_body = render("digest.html.j2", **context)

    headers = _headers(subject, sender, district, recipient, message_id, as_of, now)
    raw = wire_message(headers, [("plain", text_body), ("html", html_body)])
    return Digest(recipient, district, as_of, ordered, summary, subject, message_id, _raw=raw,
                  sender_address=_checked_addr_spec(header_safe(sender.address, 320)))


SOURCES_LISTED = 3  # files named above the rows; a 政务公开科 hears of 60 units' own plans


def _sources_listed(entries: list[AlertEntry], sources: list[str]) -> list[str]:
    """The source files named above the rows: all of a few, else the first few, numbered files
    (the district's plan) first; every row names its own file when there are several."""
    if len(sources) <= SOURCES_LISTED:
        return sources
    numbered = [_source(e) for e in entries if e.doc_number]
    return list(dict.fromkeys([*numbered, *sources]))[:SOURCES_LISTED]


def _headers(subject: str, sender: Sender, district: str, recipient: Recipient, message_id: str,
             as_of: date, now: datetime | None) -> list[tuple[str, str | Header]]:
    """The headers every gongkai mail carries, names and subject made header-safe."""
    return [
        ("Subject", _text_header(header_safe(subject))),
        ("From", _address_header(header_safe(sender.name or f"{district}政务公开工作提醒", 60),
                                 header_safe(sender.address, 320))),
        ("To", _address_header(header_safe(recipient.name, 60), header_safe(recipient.email, 320))),
        ("Date", _date_header((now or datetime.now()).astimezone())),
        ("Message-ID", message_id),
        # RFC 3834: tells auto-responders (out-of-office replies) not to answer.
        ("Auto-Submitted", "auto-generated"),
        ("X-Gongkai-As-Of", as_of.isoformat()),
    ]


def _date_header(moment: datetime) -> str:
    """The Date header of `moment` (an aware datetime): RFC 5322 has no fractions of a second, so the
    digests built within one second share one formatted value."""
    return _formatted_date(moment.replace(microsecond=0))


@lru_cache(maxsize=256)
def _formatted_date(moment: datetime) -> str:
    return format_datetime(moment)


def _summary_view(summary: DistrictSummary) -> Row:
    return Row(
        district=one_line(summary.district, 20),
        as_of=cn_date(summary.as_of),
        total=summary.total,
        counts=[(STATE_LABELS.get(s, s), n) for s, n in summary.counts.items()],
        lights=[
            (label, n) for label, n in (
                ("红灯（逾期、升级督办）", summary.counts.get("escalated", 0) + summary.counts.get("overdue", 0)),
                ("黄灯（即将到期）", summary.counts.get("due_soon", 0)),
                ("已办结", summary.counts.get("resolved", 0)),
            ) if n
        ],
        # the units most behind first; the rest are counted (the rows above name them per item)
        units=summary.units[:UNITS_LISTED],  # UnitCount's fields read as they are
        more_units=max(0, len(summary.units) - UNITS_LISTED),
        digests=[(one_line(name, 60), n) for name, n in summary.digests],
        earliest_due=cn_date(summary.earliest_due),
    )


def build_rejection_notice(
    section: Recipient,
    *,
    district: str,
    refused_name: str,
    refused_address: str,
    refused_subject: str,
    refused_message_id: str,
    refusals: int,
    error: str,
    as_of: date,
    sender: Sender,
    now: datetime | None = None,
) -> Digest:
    """A plain-text note to the 政务公开科: an office's address is refused for good, its alert was
    given up. The Message-ID follows from the refused message, so the note is queued only once."""
    token = hashlib.sha256(f"rejected|{refused_message_id}|{section.email.lower()}".encode()).hexdigest()
    message_id = f"<gongkai.rejected.{token[:32]}@{sender.domain}>"
    name = one_line(refused_name or refused_address, 60)
    subject = f"{one_line(district, 20)}政务公开工作提醒：发往{name}的邮件被拒收"
    body = (
        f"{one_line(section.name, 60)}：\n\n"
        f"发往{name}（{refused_address}）的提醒邮件《{one_line(refused_subject, 120)}》"
        f"已被邮件服务器拒收 {refusals} 次，系统已停止重发。\n"
        f"服务器答复：{one_line(error, 300)}\n\n"
        "请核实该单位的邮箱地址，在单位名录（data/registry/）中更正后，下次运行会按新地址提醒；"
        "在此之前请另行通知该单位。\n"
    )
    raw = wire_message(_headers(subject, sender, district, section, message_id, as_of, now), [("plain", body)])
    return Digest(section, district, as_of, [], None, subject, message_id, _raw=raw,
                  sender_address=_checked_addr_spec(header_safe(sender.address, 320)))
