"""Deadline phrases (完成时限) in plan items and table cells, resolved to dates where possible.

Input is normalised text: ASCII digits, full-width Chinese punctuation, no spaces between a
number and 年/月/日/天/次. Two entry points:

- `deadline_from_phrase` reads one deadline cell of a task table (全年, 5月底, 4月底前 …) and
  returns the first deadline in it. An explicit full date such as 2023年6月30日 is accepted
  here, because a deadline column holds nothing else.
- `find_deadlines` scans an item's running text. There a full date with its year is usually
  narrative (已经2026年5月8日区政府第137次常务会议讨论通过), so a month/day/quarter written
  with its year is only taken as a deadline when followed by 前 / 底前 (2023年3月底前).

How phrases resolve (plan year Y, issue date D):

| phrase | kind | due |
|---|---|---|
| 全年 / 年内 / 年底(前) / 年末 / 下半年 | absolute | Y-12-31 |
| 上半年 | absolute | Y-06-30 |
| 10月 / 5月底 / 4月底前 / 8月份 / N月下旬 | absolute | last day of month N |
| N月前 (before month N) | absolute | last day of month N-1 |
| N月上旬 / N月中旬 | absolute | N-10 / N-20 (the last day of that ten-day period) |
| 3月31日(前) | absolute | that date ("前" is read as "by", inclusive, as offices do) |
| 第一季度 / 二季度 | absolute | end of that quarter |
| 发布后30天内 / 本工作要点印发之日起30日内 | relative | D + 30 calendar days |
| 印发后10个工作日内 | relative | 10th working day after D (official calendar) |
| 决策出台后的10个工作日内 | event | None: opens when the event is recorded |
| 每季度 / 每年 / 每月 / 每半年 / 每周 | recurring | None; period quarter/year/month/half_year/week |
| 次年第一季度 | next_year | (Y+1)-03-31, period q1 (q1..q4) |
| 次年上半年 / 次年下半年 | next_year | (Y+1)-06-30 / 12-31, period h1 / h2 |
| 次年3月底前 / 次年3月31日前 | next_year | that month end / date in Y+1, period m3 |
| 次年年底 | next_year | (Y+1)-12-31, period year |

A phrase written with its own year (2024年3月底前) resolves in that year. Counts of months
(发布后3个月内) are not read: `Deadline` has no field for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pendulum

from documents.model import Deadline, Source
from workdays import WorkdayCalendar, default_calendar

__all__ = ["deadline_from_phrase", "find_deadlines", "one_per_frequency"]

# Characters that end a clause: an event's name never reaches across them.
_PUNCT = set("，。；：、！？,.;:!?（）()“”\"'‘’《》〈〉【】[]{}—…\n\r\t ")

_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

# Suffixes after N月. Longest first so that 底前 wins over 底.
_MONTH_SUFFIX = (
    "底之前|底以前|底前|末之前|末前|底|末|上旬前|上旬|中旬前|中旬|下旬前|下旬|份前|份|之前|以前|前"
)
_DAY_SUFFIX = "之前|以前|前"

# Before an event of that month: 9月开学前, 10月供暖前 (the qualifier is part of the deadline).
_MONTH_EVENT = r"(?P<ev>[\u4e00-\u9fff]{2,3}?)(?<![底末旬份之以])前(?![期置提端沿])"
_MONTH_RE = re.compile(
    r"(?<![\d.])(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?!龄)"
    r"(?:(?P<d>\d{1,2})[日号](?P<dsuf>" + _DAY_SUFFIX + r")?|(?P<msuf>" + _MONTH_SUFFIX + r")|" + _MONTH_EVENT + r")?"
)
_QUARTER_RE = re.compile(
    r"(?<![\d每])(?:(?P<y>\d{4})年)?第?(?P<q>[一二三四1-4])季度(?P<suf>末之前|末前|底前|末|底|之前|以前|前|内)?"
)
_YEAR_WORDS = "全年(?!龄)|年内|年底之前|年底以前|年底前|年底|年末之前|年末前|年末|上半年|下半年"
# A bare 年底/年内 preceded by a numeral is a duration or another year (三年内, 去年底, 每年底).
_YEAR_BARE_RE = re.compile(r"(?<![\d一二三四五六七八九十两几数多每次明翌去上前往历后下近〇零])(?P<w>" + _YEAR_WORDS + ")")
# 2023年全年 / 2023年上半年 share no 年; 2023年底 / 2023年内 share it.
_YEAR_EXPLICIT_RE = re.compile(
    r"(?<!\d)(?P<y>\d{4})(?:年(?=全年|上半年|下半年|年底|年末|年内)|(?=年底|年末|年内))(?P<w>" + _YEAR_WORDS + ")"
)
_NEXT_YEAR_RE = re.compile(
    r"(?:次年|明年|翌年)度?(?:"
    r"第?(?P<q>[一二三四1-4])季度(?:末之前|末前|底前|末|底|之前|以前|前|内)?"
    r"|(?P<h>上半年|下半年)"
    r"|(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})[日号](?:" + _DAY_SUFFIX + r")?|(?P<msuf>" + _MONTH_SUFFIX + r"))?"
    r"|(?P<end>年底之前|年底前|年底|年末前|年末|底前|底|末|全年|年内)"
    r")"
)
# 每季度 / 每个月 / 每半年, and the same frequency written with 按 (按季度发布, 按月公开); 按年龄,
# 按年度计划 and 按月份 are not frequencies.
# A monthly duty may name its day (每月5日前: one phrase); a school term (每学期) recurs twice a year.
_RECURRING_RE = re.compile(
    r"每(?:一)?(?:个)?(?P<p>季度|季|半年|学期|年度|年|月度|月|周|星期|日|天)(?:(?<=月)\d{1,2}[日号](?:之前|以前|前)?)?"
    r"|按(?P<q>季度|季|半年|年|月|周|日)(?![龄度份])"
)
_PERIODS = {
    "季度": "quarter",
    "季": "quarter",
    "半年": "half_year",
    "学期": "half_year",
    "年度": "year",
    "年": "year",
    "月度": "month",
    "月": "month",
    "周": "week",
    "星期": "week",
    "日": "day",
    "天": "day",
}
# 〈event〉后(的)N(个)工作日/天/日内. The event is read backwards from the anchor. Spaces around
# the number are tolerated: PDF extraction leaves 后 30天内, and normalisation only joins a
# number to the unit after it.
_AFTER_RE = re.compile(
    r"(?P<anchor>之日起|之日后|之后的|之后|以后|后的|后|起)\s*(?P<n>\d{1,4})\s*"
    r"(?P<unit>个工作日|工作日|个自然日|自然日|个日历日|日历日|天|日|个小时|小时)(?P<within>以内|之内|内)?"
)
# 〈event〉前N日: before an event whose date the document does not give (调整前3日, 节假日前5个工作日内).
_BEFORE_RE = re.compile(r"前\s*(?P<n>\d{1,3})\s*(?P<unit>个工作日|工作日|天|日)(?P<within>以内|之内|内)?(?![\d号])")
# An event that is itself a date (6月底前10日, 3月31日前…) is not this form.
_DATE_EVENT = re.compile(r"(?:\d[月日号]|[底末旬])$")
_EVENT_MAX = 16  # characters of event name read back from 后; clauses are short
# Connectives that sit between the subject and the event: 各单位并于〈本要点发布〉后…
_EVENT_CUT = ("应当在", "应当于", "原则上在", "务必在", "并于", "并在", "应于", "应在", "须于", "须在",
              "需于", "需在", "要在", "要于", "均在", "均于", "统一在")
_EVENT_LEAD = "于在自从"
# The document's own publication: then the duty is relative to the issue date.
_OWN_DOC_NAMES = (
    "本(?:工作要点|要点|工作方案|实施方案|方案|通知|文件|工作计划|计划|实施意见|意见|办法|细则|规定|"
    "任务责任分解表|责任分解表|任务分解表|分解表|清单)"
)
_OWN_DOC_VERBS = "(?:正式)?(?P<verb>发布|印发|下发|公布|出台)"
_OWN_DOC_RE = re.compile(f"(?:{_OWN_DOC_NAMES})?{_OWN_DOC_VERBS}")
# The plan named at the end of a longer event: 各部门于〈本工作要点印发〉之日起.
_NAMED_OWN_DOC_RE = re.compile(f"{_OWN_DOC_NAMES}{_OWN_DOC_VERBS}$")
# What makes a month/day a starting point or a past reference rather than a deadline.
_NOT_DEADLINE_AFTER = ("起", "开始", "以来", "至今")
_NOT_DEADLINE_BEFORE = ("截至", "截止到", "自", "从")


@dataclass
class _Candidate:
    start: int  # where the phrase starts (for ordering)
    claim_start: int  # the span it claims against other matches
    end: int
    deadline: Deadline | None  # None: a recognised non-deadline that blocks shorter matches


# Deadlines that only say "within the year": they fix no specific date to compare with another.
YEAR_WIDE = frozenset({"全年", "年内", "年底", "年底前", "年末", "下半年", "长期", "持续"})

def deadline_from_phrase(
    phrase: str,
    year: int,
    issue_date: date | None,
    source: str = "body",
    calendar: WorkdayCalendar | None = None,
) -> Deadline | None:
    """Read one deadline cell (全年, 4月底前, 次年第一季度 …); the first deadline in it, or None."""
    for cand in _scan(phrase, year, issue_date, source, calendar, narrative=False):
        if cand.deadline is not None:
            return cand.deadline
    return None


def one_per_frequency(deadlines: list[Deadline]) -> list[Deadline]:
    """An item's deadlines without a 按-frequency (按季度 in the text) that another phrase of the
    same period states already (每季度 in the 完成时限 slot): one duty, written twice."""
    written = {d.period for d in deadlines if d.kind == "recurring" and d.due is None and not d.phrase.startswith("按")}
    return [
        d for d in deadlines
        if not (d.kind == "recurring" and d.due is None and d.phrase.startswith("按") and d.period in written)
    ]


def find_deadlines(
    text: str,
    year: int,
    issue_date: date | None,
    source: str = "body",
    calendar: WorkdayCalendar | None = None,
) -> list[Deadline]:
    """Every deadline phrase in running text, in order, de-duplicated by (phrase, due)."""
    seen: set[tuple[str, date | None]] = set()
    out: list[Deadline] = []
    for cand in _scan(text, year, issue_date, source, calendar, narrative=True):
        dl = cand.deadline
        if dl is None or (dl.phrase, dl.due) in seen:
            continue
        seen.add((dl.phrase, dl.due))
        out.append(dl)
    return out


# -- scanning ---------------------------------------------------------------------------------


@dataclass
class _Ctx:
    text: str
    year: int
    issue_date: date | None
    source: Source
    calendar: WorkdayCalendar | None
    narrative: bool

    def cal(self) -> WorkdayCalendar:
        # Resolved lazily so that texts without working-day phrases never read a holiday file.
        if self.calendar is None:
            self.calendar = default_calendar()
        return self.calendar


def _scan(
    text: str,
    year: int,
    issue_date: date | None,
    source: str,
    calendar: WorkdayCalendar | None,
    narrative: bool,
) -> list[_Candidate]:
    if not text:
        return []
    src: Source = "table" if source == "table" else "body"
    ctx = _Ctx(text, year, issue_date, src, calendar, narrative)
    found: list[_Candidate] = []
    for finder in _FINDERS:
        found.extend(finder(ctx))
    # Earliest, then longest, wins; a match that overlaps a chosen one is dropped. Blockers
    # (deadline None) take part so that 2026年5月8日 hides the 5月8日 inside it.
    found.sort(key=lambda c: (c.claim_start, -(c.end - c.claim_start)))
    chosen: list[_Candidate] = []
    last_end = -1
    for cand in found:
        if cand.claim_start >= last_end:
            chosen.append(cand)
            last_end = cand.end
    chosen.sort(key=lambda c: (c.start, c.claim_start))
    return _merge_recurring_dates(ctx, chosen)


def _merge_recurring_dates(ctx: _Ctx, chosen: list[_Candidate]) -> list[_Candidate]:
    """每年1月31日前 is a yearly duty with a fixed date, not a date in the plan's own year."""
    merged: list[_Candidate] = []
    for cand in chosen:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev.deadline is not None
            and cand.deadline is not None
            and prev.deadline.kind == "recurring"
            and prev.deadline.period == "year"
            and cand.deadline.kind == "absolute"
            and cand.deadline.due is not None
            and 0 <= cand.start - prev.end <= 1
        ):
            due = cand.deadline.due
            if ctx.issue_date is not None and due < ctx.issue_date:
                due = _safe_date(due.year + 1, due.month, due.day) or due
            prev.deadline = Deadline(
                phrase=ctx.text[prev.start : cand.end], kind="recurring", due=due, period="year",
                source=prev.deadline.source,
            )
            prev.end = cand.end
            continue
        merged.append(cand)
    return merged


def _find_after(ctx: _Ctx) -> Iterator[_Candidate]:
    for m in _AFTER_RE.finditer(ctx.text):
        anchor = m.group("anchor")
        if anchor.endswith("起") and not m.group("within"):
            continue  # 自2026年起3天… is not a time limit
        ev_start = _event_start(ctx.text, m.start())
        event = ctx.text[ev_start : m.start()]
        if not event:
            continue
        n = int(m.group("n"))
        working = "工作日" in m.group("unit")
        if "小时" in m.group("unit"):
            n = max(1, -(-n // 24))  # 24小时内: counted in whole days (the phrase keeps the hours)
        phrase = ctx.text[ev_start : m.end()]
        own = _OWN_DOC_RE.fullmatch(event)
        named = _NAMED_OWN_DOC_RE.search(event)
        if own is None and named is not None:
            # 各部门于本工作要点印发之日起…: the subject before the plan's name is not the event.
            own, ev_start, event = named, ev_start + named.start(), named.group(0)
            phrase = ctx.text[ev_start : m.end()]
        if own and not (own.group("verb") == "出台" and not event.startswith("本")):
            # The document's own publication: the phrase keeps its name (本工作要点发布后30天内).
            due = _relative_due(ctx, n, working)
            dl = Deadline(phrase=phrase, kind="relative", due=due, days=n, working_days=working, source=ctx.source)
        else:
            # Another event: the phrase starts at its verb (出台后3个工作日内); the subject
            # (重要政策, 执法决定) stays in `event`, which says what must happen first.
            phrase = ctx.text[ev_start + _verb_start(event) : m.end()]
            dl = Deadline(
                phrase=phrase, kind="event", due=None, days=n, working_days=working, event=event, source=ctx.source
            )
        # Claim only from the anchor: the event's words may hold a deadline of their own.
        yield _Candidate(ev_start, m.start(), m.end(), dl)


def _find_before(ctx: _Ctx) -> Iterator[_Candidate]:
    """A duty due some days before an event (调整前3日发布, 开始前10日): it starts at the event's
    verb, as one counted after an event does. Its date is unknown until the event is: no due date
    (an absolute deadline without `due` sets no date any check compares)."""
    for m in _BEFORE_RE.finditer(ctx.text):
        ev_start = _event_start(ctx.text, m.start())
        event = ctx.text[ev_start : m.start()]
        if len(event) < 2 or _DATE_EVENT.search(event) or event.endswith(("之", "以", "提")):
            continue
        phrase = ctx.text[ev_start + _verb_start(event) : m.end()]
        dl = Deadline(phrase=phrase, kind="absolute", due=None, days=int(m.group("n")),
                      working_days="工作日" in m.group("unit"), event=event, source=ctx.source)
        yield _Candidate(ev_start, m.start(), m.end(), dl)


def _event_start(text: str, anchor: int) -> int:
    start = anchor
    while start > 0 and anchor - start < _EVENT_MAX and text[start - 1] not in _PUNCT:
        start -= 1
    span = text[start:anchor]
    cut = max((span.rfind(c) + len(c) for c in _EVENT_CUT if c in span), default=0)
    start += cut
    while start < anchor - 1 and text[start] == "并":
        start += 1
    # An enumerator opening the clause (三是项目竣工验收后…) is not part of the event.
    enumerated = _ENUMERATOR.match(text, start, anchor)
    if enumerated and enumerated.end() < anchor:
        start = enumerated.end()
    if start < anchor - 1 and text[start] in _EVENT_LEAD:
        start += 1
    return start


# Verbs that name the event a relative deadline counts from (出台, 批准, 作出 …). 决定 / 申请 are
# left out: they are nouns as often as verbs (执法决定作出, 收到申请).
_EVENT_VERBS = re.compile(
    "出台|发布|印发|下发|公布|批准|作出|做出|变更|生效|通过|签署|签订|召开|结束|收到|受理|形成|"
    "审定|审议|制定|修订|调整|备案|上线|成立|发生|办结|立案|完成|实施|报送|提交|确定|产生|"
    "送达|发放|验收|公开|公示|审批|批复|签发|核准|拨付|下达|部署|列入|兑现|到户|到账|发现|开始|开学"
)
# Verbs saying that an activity is over (发放完成, 评审结束): the event is their end, not the
# activity before them, which stays out like the subject (发放完成后10个工作日内 → 完成后…).
_COMPLETION_VERBS = frozenset({"完成", "结束", "办结"})
_ENUMERATOR = re.compile(r"(?:[一二三四五六七八九十]+是|其[一二三四五六七八九十]是?|[一二三四五六七八九十]+要)")


def _verb_start(event: str) -> int:
    """Where the event's verb starts in `event` (0: no known verb, the event stands whole): the
    verb closest to the anchor, with the verbs written right before it (审议通过), so that the
    subject and what it does first (备案结果在作出, 决定依法在决定书送达) stay out of the phrase."""
    verbs = list(_EVENT_VERBS.finditer(event))
    if not verbs:
        return 0
    start = verbs[-1].start()
    if verbs[-1].group(0) in _COMPLETION_VERBS:
        return start
    for verb in reversed(verbs[:-1]):
        if verb.end() != start:
            break
        start = verb.start()
    return start


def _relative_due(ctx: _Ctx, n: int, working: bool) -> date | None:
    if ctx.issue_date is None:
        return None
    try:
        if working:
            return ctx.cal().add_working_days(ctx.issue_date, n)
        return _plain(pendulum.Date(ctx.issue_date.year, ctx.issue_date.month, ctx.issue_date.day).add(days=n))
    except OverflowError:  # a broken holiday file (HolidayFileError) must surface, not vanish
        return None


def _find_months(ctx: _Ctx) -> Iterator[_Candidate]:
    text = ctx.text
    for m in _MONTH_RE.finditer(text):
        start, end = m.start(), m.end()
        # N月〈event〉前: the event's day is unknown, so the duty falls due before month N.
        suffix = m.group("dsuf") or m.group("msuf") or ("前" if m.group("ev") else "")
        explicit = m.group("y")
        # 23年3月 / 2023 年 written oddly: a year we cannot read, so a date, not a deadline.
        year_before = not explicit and start >= 2 and text[start - 1] == "年" and text[start - 2].isdigit()
        if (
            text.startswith(_NOT_DEADLINE_AFTER, end)
            or text[:start].endswith(_NOT_DEADLINE_BEFORE)
            or year_before
            or (ctx.narrative and explicit and "前" not in suffix)
        ):
            yield _Candidate(start, start, end, None)
            continue
        y = int(explicit) if explicit else ctx.year
        due = _month_due(y, int(m.group("m")), m.group("d"), suffix)
        if due is None:
            yield _Candidate(start, start, end, None)
            continue
        yield _Candidate(start, start, end, Deadline(phrase=m.group(0), kind="absolute", due=due, source=ctx.source))


def _month_due(y: int, month: int, day: str | None, suffix: str) -> date | None:
    if not 1 <= month <= 12:
        return None
    if day is not None:
        return _safe_date(y, month, int(day))
    if suffix in ("前", "之前", "以前", "份前"):
        # "before month N": the last day of the month before it.
        return _month_end(y - 1, 12) if month == 1 else _month_end(y, month - 1)
    if suffix.startswith("上旬"):
        return _safe_date(y, month, 10)
    if suffix.startswith("中旬"):
        return _safe_date(y, month, 20)
    return _month_end(y, month)


def _find_quarters(ctx: _Ctx) -> Iterator[_Candidate]:
    for m in _QUARTER_RE.finditer(ctx.text):
        explicit = m.group("y")
        suffix = m.group("suf") or ""
        if ctx.narrative and explicit and "前" not in suffix:
            yield _Candidate(m.start(), m.start(), m.end(), None)
            continue
        y = int(explicit) if explicit else ctx.year
        due = _month_end(y, 3 * _CN_DIGIT[m.group("q")])
        dl = Deadline(phrase=m.group(0), kind="absolute", due=due, source=ctx.source) if due else None
        yield _Candidate(m.start(), m.start(), m.end(), dl)


def _find_year_words(ctx: _Ctx) -> Iterator[_Candidate]:
    for m in _YEAR_EXPLICIT_RE.finditer(ctx.text):
        word = m.group("w")
        if ctx.narrative and "前" not in word:
            yield _Candidate(m.start(), m.start(), m.end(), None)
            continue
        due = _year_word_due(int(m.group("y")), word)
        dl = Deadline(phrase=m.group(0), kind="absolute", due=due, source=ctx.source) if due else None
        yield _Candidate(m.start(), m.start(), m.end(), dl)
    for m in _YEAR_BARE_RE.finditer(ctx.text):
        due = _year_word_due(ctx.year, m.group("w"))
        dl = Deadline(phrase=m.group(0), kind="absolute", due=due, source=ctx.source) if due else None
        yield _Candidate(m.start(), m.start(), m.end(), dl)


def _year_word_due(y: int, word: str) -> date | None:
    if word == "上半年":
        return _month_end(y, 6)
    return _month_end(y, 12)


def _find_next_year(ctx: _Ctx) -> Iterator[_Candidate]:
    y = ctx.year + 1
    for m in _NEXT_YEAR_RE.finditer(ctx.text):
        if m.group("q"):
            quarter = _CN_DIGIT[m.group("q")]
            period, due = f"q{quarter}", _month_end(y, 3 * quarter)
        elif m.group("h"):
            first = m.group("h") == "上半年"
            period, due = ("h1" if first else "h2"), _month_end(y, 6 if first else 12)
        elif m.group("m"):
            month = int(m.group("m"))
            period = f"m{month}"
            due = _month_due(y, month, m.group("d"), m.group("msuf") or "")
        else:
            period, due = "year", _month_end(y, 12)
        dl = None
        if due is not None:
            dl = Deadline(phrase=m.group(0), kind="next_year", due=due, period=period, source=ctx.source)
        yield _Candidate(m.start(), m.start(), m.end(), dl)


def _find_recurring(ctx: _Ctx) -> Iterator[_Candidate]:
    for m in _RECURRING_RE.finditer(ctx.text):
        period = _PERIODS[m.group("p") or m.group("q")]
        dl = Deadline(phrase=m.group(0), kind="recurring", period=period, source=ctx.source)
        yield _Candidate(m.start(), m.start(), m.end(), dl)


_FINDERS: tuple[Callable[[_Ctx], Iterator[_Candidate]], ...] = (
    _find_after,
    _find_before,
    _find_next_year,
    _find_months,
    _find_quarters,
    _find_year_words,
    _find_recurring,
)


# -- dates ------------------------------------------------------------------------------------


def _plain(d: date) -> date:
    # pendulum.Date is a date subclass; hand out plain dates so equality, pickling and JSON
    # behave the same everywhere downstream.
    return date(d.year, d.month, d.day)


def _safe_date(y: int, month: int, day: int) -> date | None:
    try:
        return date(y, month, day)
    except ValueError:
        return None


def _month_end(y: int, month: int) -> date | None:
    if not (1 <= y <= 9999 and 1 <= month <= 12):
        return None
    return _plain(pendulum.date(y, month, 1).end_of("month"))

