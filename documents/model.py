"""The structured form of an official document: header, items, units, deadlines, quantities.

Everything downstream (store, rules, notifications) speaks these types. They are plain
dataclasses so they serialise to the stable JSON described in the README (`to_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date
from typing import Any, Literal

Role = Literal["lead", "responsible", "cooperating"]
Level = Literal["province", "municipal", "district", "unit"]
# How a deadline phrase was understood:
#   absolute  - a calendar date (全年, 10月, 5月底, 3月31日前)
#   relative  - N (working) days after the document's own issue date (发布后30天内)
#   event     - N (working) days after an event that must be recorded (决策出台后的10个工作日内)
#   recurring - repeats every period (每季度, 每年)
#   next_year - within a period of the following year (次年第一季度)
DeadlineKind = Literal["absolute", "relative", "event", "recurring", "next_year"]
Source = Literal["body", "table"]


@dataclass
class UnitMention:
    """A responsible unit as named in an item."""

    name: str  # as written (after normalisation), e.g. 区府办
    canonical: str  # the standard name, e.g. 区政府办公室
    role: Role = "responsible"
    collective: bool = False  # 各部门, 各街道（镇）, 各区政府 … stand for a set of units
    source: Source = "body"
    alias: str | None = None  # another name of the same office in brackets after it: 镇党政办（镇便民服务中心）


@dataclass
class Deadline:
    """A deadline phrase, kept as written, and what it resolves to."""

    phrase: str
    kind: DeadlineKind
    due: date | None = None  # resolved date where it can be known from the document alone
    days: int | None = None  # for relative / event kinds
    working_days: bool = False  # counted on the official holiday calendar
    event: str | None = None  # for the event kind: what opens the duty (决策出台)
    period: str | None = None  # for recurring / next_year: quarter | year | month | q1 …
    source: Source = "body"


@dataclass
class Quantity:
    """A measurable target: 不少于4次, 至少1次, 不低于50%."""

    phrase: str
    comparator: Literal[">=", "<=", "=="]
    value: float
    unit: str  # 次, %, 个 …
    context: str = ""  # a few characters before the phrase: what is counted


@dataclass
class SubRow:
    """One row of a task table; an item can span several, each with own units and deadline."""

    text: str
    units: list[UnitMention] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)


@dataclass
class Note:
    """Something a reader should know about an item, e.g. body and table disagree."""

    kind: str  # deadline_conflict | unit_conflict | text_lost | …
    message: str  # Chinese, for users
    body: Any = None
    table: Any = None


@dataclass
class Item:
    number: int
    section_path: list[str]
    text: str  # simplified, normalised text used for analysis
    original_text: str = ""  # as found in the source, for display
    title: str = ""  # 工作重点 / the lead sentence, when there is one
    units: list[UnitMention] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    sub_rows: list[SubRow] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.number)


@dataclass
class Document:
    title: str  # the plan's own title (inside 《》 in the notice)
    year: int | None
    items: list[Item]
    doc_number: str | None = None  # 发文字号, e.g. 长府办〔2026〕8号
    issuer: str | None = None  # 发文机关
    issue_date: date | None = None  # 成文日期 of the notice
    addressees: list[str] = field(default_factory=list)
    level: Level = "district"
    place: str | None = None  # 上海市, 长宁区 …; for a street's, town's or bureau's plan: its district
    # What issued it: province | city | district | county | county_city | street | town | bureau.
    kind: str | None = None
    parent_title: str | None = None  # the directive its preamble cites (根据《…》制定本要点)
    parent_doc_number: str | None = None  # that directive's 文号, when cited with it
    draft: bool = False  # marked 征求意见稿 / 讨论稿 / 送审稿
    layout: str = "running_text"  # running_text | task_table | body_and_table
    source_path: str | None = None
    source_format: str | None = None  # txt | docx | pdf | html
    encoding: str | None = None
    traditional: bool = False  # the source was in traditional characters
    content_hash: str | None = None  # sha256 of the normalised text
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The document as a reader names it (`reader_name`)."""
        return reader_name(self.doc_number, self.title)

    def item(self, number: int) -> Item:
        for it in self.items:
            if it.number == number:
                return it
        raise KeyError(number)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        items = [_item_from_dict(i) for i in data.get("items", [])]
        fields = {k: v for k, v in data.items() if k != "items"}
        if fields.get("issue_date"):
            fields["issue_date"] = date.fromisoformat(fields["issue_date"])
        return cls(items=items, **fields)


def reader_name(doc_number: str | None, title: str) -> str:
    """A document as a message names it: its 发文字号, else its title in 《》. A unit's own plan
    often has no number; the store's key for it (issuer:year:title) is not for reading."""
    return doc_number or f"《{title}》"


def _deadline_from_dict(d: dict[str, Any]) -> Deadline:
    d = dict(d)
    if d.get("due"):
        d["due"] = date.fromisoformat(d["due"])
    return Deadline(**d)


def _item_from_dict(d: dict[str, Any]) -> Item:
    d = dict(d)
    d["units"] = [UnitMention(**u) for u in d.get("units", [])]
    d["deadlines"] = [_deadline_from_dict(x) for x in d.get("deadlines", [])]
    d["quantities"] = [Quantity(**q) for q in d.get("quantities", [])]
    d["sub_rows"] = [
        SubRow(
            text=s["text"],
            units=[UnitMention(**u) for u in s.get("units", [])],
            deadlines=[_deadline_from_dict(x) for x in s.get("deadlines", [])],
        )
        for s in d.get("sub_rows", [])
    ]
    d["notes"] = [Note(**n) for n in d.get("notes", [])]
    return Item(**d)


# The exact types a check result is made of: tested first, by type, so the common case skips the
# isinstance checks against unions and ABCs below (a night reduces every result it keeps).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """`value` reduced to what JSON holds: dates as ISO strings, dataclasses and objects with
    `to_dict` as dicts, tuples and sets as lists, keys as strings."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {str(k): jsonable(v) for k, v in value.items()}
    if kind is list:
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return jsonable(to_dict())
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    return str(value)


class DocumentError(Exception):
    """A document could not be read or parsed. The message names the file and the problem."""

    def __init__(self, path: str | None, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{path or '<input>'}: {problem}")
