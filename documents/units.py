"""Responsible units of an item: find the unit clause and parse it into ``UnitMention`` s.

Forms handled (all seen in real plans):

- labelled lists: ``责任单位：A、B`` and ``牵头单位：A；责任单位：B、C；配合单位：D``;
- role verbs after the names: ``区府办、区数据局牵头，各部门、各街道（镇）配合``;
- table cells: ``区发展改革委、区房管局等公共企事业单位行业主管部门``, ``宝山高新园及相关街镇``,
  ``区生态环境局、区水务局等`` (a bare trailing 等 adds nothing);
- role words as labels and stacked roles: ``责任科室：城建办，配合：各社区居委会``,
  ``省数据资源局、省财政厅按职责分工分别牵头落实`` (each leads), ``由区府办牵头``;
- no bracket at all: the item's closing sentences ``…公开。责任单位：县司法局。完成时限：7月底前。``
  or ``…公开。区发展改革委牵头，区级有关部门负责，9月底前。``.

Parsing never raises: a phrase it cannot read yields an empty list, and the caller reports
the item as having no units.
"""

from __future__ import annotations

import re

from documents.model import Role, Source, UnitMention
from offices.names import canonical_name, is_collective, normalize_name

# Labels that open a unit clause; the role applies to the names that follow until the next
# label or role verb. find_unit_clause only accepts parentheses starting with one of these,
# so （科长） or （含临港新片区） in the running text are never taken for units.
_LABEL_ROLES: dict[str, Role] = {
    "牵头单位": "lead",
    "牵头部门": "lead",
    "责任单位": "responsible",
    "责任部门": "responsible",
    "主责单位": "responsible",
    "主责部门": "responsible",
    "配合单位": "cooperating",
    "配合部门": "cooperating",
    "协办单位": "cooperating",
    "责任处室": "responsible",
    "责任科室": "responsible",
    "责任主体": "responsible",
    "承办单位": "responsible",
    "牵头处室": "lead",
    "牵头科室": "lead",
    "配合处室": "cooperating",
    "配合科室": "cooperating",
    # a county bureau's 股室, a town's 站所 / 办站所
    "责任股室": "responsible",
    "牵头股室": "lead",
    "配合股室": "cooperating",
    "责任站所": "responsible",
    "责任办站所": "responsible",
}
_LABEL_RE = re.compile("^(" + "|".join(sorted(_LABEL_ROLES, key=len, reverse=True)) + ")[：:]?")

# Role verbs written after the names they govern (区府办牵头，各部门落实).
_VERB_ROLES: dict[str, Role] = {
    "牵头": "lead",
    "落实": "responsible",
    "负责": "responsible",
    "主责": "responsible",
    "配合": "cooperating",
    "协助": "cooperating",
    "协办": "cooperating",
    "参与": "cooperating",
    "参加": "cooperating",
    # an office that reviews or coordinates what others draft is responsible too
    "审核": "responsible",
    "统筹": "responsible",
}
_VERB_RE = re.compile("(" + "|".join(_VERB_ROLES) + ")$")
# A role word used as a label inside the bracket: （责任科室：城建办，配合：各社区居委会）.
_ROLE_WORD_LABEL = re.compile("^(" + "|".join(_VERB_ROLES) + ")：")

_OPEN = "（("
_CLOSE = "）)"
_SEPARATORS = "、，,；;"
_SEGMENT_BREAKS = "；;"
_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", ":": "：", ";": "；", ",": "，"})
_SPACES = re.compile(r"[\s\u3000]+")
# Zhejiang writes alternative names in 〔〕 inside a unit clause: 市府办〔市大数据局〕, 各县〔区〕政府.
_ALT_BRACKETS = str.maketrans({"〔": "（", "〕": "）"})
_CJK = re.compile(r"[\u4e00-\u9fff]")
# 及/和 join two names only when the left part ends like a unit and the right part starts
# like one (or ends like one): official names such as 区人力资源和社会保障局 or
# 区规划和自然资源局 contain 和 and must stay whole.
_UNIT_END = re.compile(
    r"(局|委|办|中心|室|厅|处|科|园|园区|新片区|街道|镇|政府|单位|部门|会|队|所|院|站|）)$"
)
_UNIT_START = re.compile(r"^(区|市|各|相关|有关)")
_MAX_NAME_LEN = 40
# A deadline written inside the units' bracket: （责任单位：区府办、各部门，完成时限：全年）.
_DEADLINE_LABEL = re.compile(r"[，；、]?(?:完成时限|完成时间|时限要求|时间要求|完成期限|时间节点|时限)：")
# A bare deadline among the names: （区府办牵头，各部门配合，6月底前完成）.
_DEADLINE_TOKEN = re.compile(
    r"^(?:全年|年内|年底前?|年末|长期|长期坚持|持续|持续推进|常态化推进|每季度|每月|每年|每半年|上半年|下半年|"
    r"次年\S{1,8}|(?:20\d{2}年)?\d{1,2}月\S{0,6}|(?:20\d{2}年)?(?:第?[一二三四]季度|年底)\S{0,4}|"
    r"20\d{2}年(?:底|内|末)\S{0,4}|每日|每周|按月|按季度|按周)$"
)
# Names a bare bracket may hold (no label): office, collective, or unit-like endings (people's
# organisations are written short: 残联, 妇联, 工商联, 科协; libraries and museums: 图书馆).
_BARE_UNIT = re.compile(
    r"(局|委|办|中心|室|厅|处|科|股|政府|单位|部门|街道|镇|街镇|乡镇|管委会|办事处|公司|集团|队|所|院|站|会|联|协|馆|"
    r"海关|镇街|园区|新片区|）)$"
)


def split_deadline(clause: str) -> tuple[str, list[str]]:
    """The units part of a unit clause and the deadline phrases written inside it.

    `责任单位：区府办、各部门，完成时限：全年` → (`责任单位：区府办、各部门`, [`全年`]);
    `区府办牵头，相关单位配合，6月底前完成` → (`区府办牵头，相关单位配合`, [`6月底前完成`])."""
    phrase = clause.translate(_HALF_TO_FULL)
    deadlines: list[str] = []
    m = _DEADLINE_LABEL.search(phrase)
    if m:
        deadlines.append(phrase[m.end() :].strip("，；。 "))
        phrase = phrase[: m.start()]
    kept = []
    for token, sep in _split_top_level(phrase, "，；"):
        if _DEADLINE_TOKEN.match(token.strip()):
            deadlines.append(token.strip())
        else:
            kept.append(token + sep)
    return "".join(kept).rstrip("，；"), [d for d in deadlines if d]


def _bare_unit_list(clause: str, strict: bool = False) -> bool:
    """A bracket without a label that holds only office names, with or without role verbs; with
    `strict` (a sentence outside brackets), a collective must end like an office too (各镇街, not
    各部门要)."""
    units, _ = split_deadline(clause)
    units = _BY.sub(r"\1", _MANNER.sub("", units.translate(_ALT_BRACKETS)))
    pieces = [p for p, _ in _split_top_level(units) if p]
    if not pieces:
        return False
    for piece in pieces:
        while verb := _VERB_RE.search(piece):
            piece = piece[: verb.start()]
        piece = normalize_name(piece)
        collective = piece.startswith(("各", "相关", "有关")) and not strict
        if not (2 <= len(piece) <= 30) or "。" in piece or not (collective or _BARE_UNIT.search(piece)):
            return False
    return True


def find_unit_clauses(item_text: str) -> tuple[list[str], str]:
    """Every unit clause of a running-text item, in order, and the item text without them.

    A clause is a top-level parenthesis starting with a unit label (责任单位/牵头单位/责任处室 …),
    or a bare one closing a sentence that holds only office names (（市政府办公厅、各区政府）,
    （区府办牵头，相关单位配合））: a paragraph of several sub-tasks has one per sentence group.
    """
    if not isinstance(item_text, str) or not item_text:
        return [], item_text or ""
    clauses: list[str] = []
    spans: list[tuple[int, int]] = []
    # From the last group back: a bracket standing right before an accepted unit clause closes
    # the sentence too (（省工信厅牵头，省财政厅配合）（各设区市人民政府负责）).
    next_clause_at: int | None = None
    for start, end, inner in reversed(_top_level_groups(item_text)):
        clause = _SPACES.sub("", inner).translate(_HALF_TO_FULL)
        labelled = bool(_LABEL_RE.match(clause))
        after = item_text[end:]
        closes_sentence = start > 0 and (not after.strip("。；;.， \n") or after[:1] in ("。", "；"))
        # Right before another unit clause, a bare bracket counts when it reads as a unit list
        # (names joined by 、，or governed by a role verb), not a remark like （含临港新片区）.
        before_clause = next_clause_at == end + len(after) - len(after.lstrip()) and bool(
            re.search(r"[、，]|" + "|".join(_VERB_ROLES), clause)
        )
        # A bare bracket right after a labelled list is the last office's other name
        # (责任处室：监察处（市监察支队）。), not a clause of its own.
        sentence_before = re.split(r"[。；]", item_text[:start])[-1]
        alias = not labelled and bool(_LABEL_RE.match(_SPACES.sub("", sentence_before).translate(_HALF_TO_FULL)))
        if not alias and (labelled or ((closes_sentence or before_clause) and _bare_unit_list(clause))):
            clauses.insert(0, clause)
            spans.insert(0, (start, end))
            next_clause_at = start
        else:
            next_clause_at = None
    rest = item_text
    for start, end in reversed(spans):
        rest = rest[:start].rstrip() + rest[end:]
    if not clauses:
        return _trailing_unit_sentences(item_text.strip())
    return clauses, rest.strip()


# Where a sentence ends: 。 or ．, or a web copy's ASCII `.` that is no decimal point (1.5万).
_SENTENCE_END = re.compile(r"(?<=[。．])|(?<=(?<!\d)\.)|(?<=\d\.)(?!\d)")


def _clean_sentence(sentence: str) -> str:
    return _SPACES.sub("", sentence).translate(_HALF_TO_FULL).rstrip("。．.")


def is_unit_sentence(sentence: str) -> bool:
    """A sentence that only says who does the task (and by when): labelled
    (`责任单位：县司法局、县政府办`, `完成时限：2025年10月`), or office names governed by a role
    verb (`区发展改革委牵头，区级有关部门按职责分工负责，9月底前`); never a task sentence
    (`各部门要落实`)."""
    sentence = _clean_sentence(sentence)
    if not sentence:
        return False
    if (_LABEL_RE.match(sentence) and re.match(r"^[^：]{2,6}：", sentence)) or _DEADLINE_LABEL.match(sentence):
        return True
    governed = any(_VERB_RE.search(piece) for piece, _ in _split_top_level(_MANNER.sub("", sentence)))
    return governed and _bare_unit_list(sentence, strict=True)


def _trailing_unit_sentences(text: str) -> tuple[list[str], str]:
    """Units written as the item's closing sentences instead of a bracket:
    `…公开。责任单位：县司法局、县政府办。完成时限：2025年7月底前。` (labelled sentences) or
    `…公开。区发展改革委牵头，区级有关部门负责，9月底前。` (names with role verbs). Read back
    from the end while each sentence is a labelled unit or deadline sentence, or a list of office
    names governed by a role verb; the task keeps at least its first sentence."""
    sentences = [x for x in _SENTENCE_END.split(text) if x.strip()]
    taken: list[str] = []
    while len(sentences) > 1 and is_unit_sentence(sentences[-1]):
        taken.insert(0, _clean_sentence(sentences[-1]))
        sentences.pop()
    if not taken:
        return [], text
    # One clause: the units' sentences, then the deadline's (split_deadline reads it after a label).
    return ["，".join(taken)], "".join(sentences).strip()


def find_unit_clause(item_text: str) -> tuple[str, str] | None:
    """The last unit clause of a running-text item and the item text without its clauses.

    Returns ``(clause_inside_parens, text_without_clauses)`` or None (see `find_unit_clauses`).
    Parentheses nest (各街道（镇）); a clause whose closing parenthesis was lost at the end of
    the text still counts. The clause comes back with whitespace removed, because PDF
    extraction breaks lines inside it (（责\\n任单位：…）).
    """
    clauses, rest = find_unit_clauses(item_text)
    return (clauses[-1], rest) if clauses else None


def parse_unit_phrase(
    text: str, source: Source = "body", default_role: Role = "responsible"
) -> list[UnitMention]:
    """Parse a unit phrase (a clause's inside or a table cell) into mentions, in written order.

    ``default_role`` applies to names with neither a label nor a role verb. The same
    canonical name with the same role is reported once.
    """
    try:
        return _parse(text, source, default_role)
    except Exception:  # noqa: BLE001 - a phrase we cannot read is reported as "no units", never a crash
        return []


def _parse(text: str, source: Source, default_role: Role) -> list[UnitMention]:
    if not isinstance(text, str):
        return []
    phrase = _prepare(text)
    if not phrase or not _CJK.search(phrase):
        return []

    mentions: list[UnitMention] = []
    seen: set[tuple[str, str]] = set()
    label_role: Role = default_role
    pending: list[tuple[str, bool]] = []  # names waiting for a role verb or the end of the list

    def flush(role: Role) -> None:
        for name, forced_collective in pending:
            name = name.replace(_KEEP_TOGETHER, "、")
            name, alias = _alternative_name(name)
            canonical = canonical_name(name)
            key = (canonical, role)
            if key in seen:
                continue
            seen.add(key)
            mentions.append(
                UnitMention(
                    name=name,
                    canonical=canonical,
                    role=role,
                    collective=forced_collective or is_collective(name),
                    source=source,
                    alias=alias,
                )
            )
        pending.clear()

    separator_before = ""
    names_under_label = False  # the pending names follow a label with no role verb since
    for token, separator in _split_top_level(phrase):
        ends_segment = bool(separator) and separator in _SEGMENT_BREAKS
        label = _LABEL_RE.match(token) or _ROLE_WORD_LABEL.match(token)
        if label:
            # Names before a new label belong to the previous label.
            flush(label_role)
            label_role = _LABEL_ROLES.get(label.group(1)) or _VERB_ROLES[label.group(1)]
            token = token[label.end() :]
        elif "：" in token:
            # An unknown heading (备注：…): keep what follows it.
            token = token.rsplit("：", 1)[1]
        # Verbs may stack (牵头负责); the first one written decides the role.
        verb_role: Role | None = None
        while verb := _VERB_RE.search(token):
            verb_role = _VERB_ROLES[verb.group(1)]
            token = token[: verb.start()]
        if verb_role is not None and separator_before == "，" and names_under_label:
            # 责任处室：A，B配合 — the verb governs the names it closes (joined by 、), not A,
            # written under the label before the comma, which keeps the label's role. Without a
            # label (A牵头，B，C配合) names across commas share the verb.
            flush(label_role)
        pending.extend(_names_in(token))
        names_under_label = bool(label) or (names_under_label and verb_role is None)
        if verb_role is not None:
            flush(verb_role)
            names_under_label = False
        elif ends_segment:
            flush(label_role)
        separator_before = separator
    flush(label_role)
    return mentions


def _prepare(text: str) -> str:
    phrase = _SPACES.sub("", text.translate(_HALF_TO_FULL)).translate(_ALT_BRACKETS)
    # The addressee form 区政府各委、办、局 is one collective, not three names; so is
    # 各区、市政府 (Shandong: every district and county-level city government).
    phrase = phrase.replace("各委、办、局", "各委办局")
    # A role in brackets after each name (区水务局（牵头）、区林业局（配合）) is the role verb.
    phrase = _ROLE_MARKER.sub(r"\1", phrase)
    phrase = _PAIRED_COLLECTIVE.sub(lambda m: m.group(0).replace("、", _KEEP_TOGETHER), phrase)
    # Manner words between the names and the role verb: 各县（区）政府按职责分工落实.
    phrase = _MANNER.sub("", phrase)
    # 由区府办牵头，… : 由 introduces the names, it is no part of them.
    phrase = _BY.sub(r"\1", phrase)
    phrase = phrase.strip("。．.")
    # A whole clause passed with its parentheses: drop them so the label is seen.
    while len(phrase) >= 2 and phrase[0] in _OPEN and _matching_close(phrase, 0) == len(phrase) - 1:
        phrase = phrase[1:-1].strip("。．.")
    # A deadline written in the same bracket is not a unit (…，完成时限：全年).
    return split_deadline(phrase)[0]


_ROLE_MARKER = re.compile(r"（(牵头|配合|协助|负责|主责)）")
# 由 introducing the names (（由区府办牵头，各部门配合）) is no part of the first name.
_BY = re.compile(r"(^|[（、，；])由(?=[\u4e00-\u9fff]{2})")
_KEEP_TOGETHER = "\u2063"  # invisible separator: stands for 、 inside one collective name
_PAIRED_COLLECTIVE = re.compile(
    r"各[区县市]、[区县市](?:（[区县市、]+）)?(?:人民)?政府"
    # every town and street: 各镇、街道 / 各街道、镇 / 各乡、镇 (one collective, not 各镇 + 街道)
    r"|各(?:乡镇|街镇|街道|镇|乡|村|社区)、(?:乡镇|街镇|街道|镇|乡|村|社区)(?=$|[、，；。）]|牵头|落实|负责|配合|协助|参与)"
)
# Manner words may stack (按职责分工分别), and so may the verbs after them (牵头落实).
_MANNER = re.compile(
    r"(?:按职责分工|按照职责分工|按职责|分别|共同|按要求)+(?=(?:牵头|落实|负责|配合|协助|参与)+(?:[，、；。]|$))"
)


# An office's other name in brackets after it (Zhejiang writes 〔〕): 县府办（县数据局）,
# 镇党政办公室（镇便民服务中心）. A collective's bracket qualifies it instead (各街道（镇）, 各村（社区）).
_ALTERNATIVE = re.compile(r"^(?P<name>[^（）]{2,}?)（(?P<alias>[^（）、，]{3,})）$")
_OFFICE_END = re.compile(r"(局|委|办|中心|室|厅|处|科|股|部|所|站|队|院|窗口|大厅|委员会|指挥部办公室)$")


def _alternative_name(name: str) -> tuple[str, str | None]:
    """(the office's name, its alternative name) of `name`; the unit is named by the first."""
    m = _ALTERNATIVE.match(name)
    if (
        m is None
        or name.startswith(("各", "相关", "有关"))
        or not _OFFICE_END.search(m.group("name"))
        or not _OFFICE_END.search(m.group("alias"))
    ):
        return name, None
    return m.group("name"), m.group("alias")


def _matching_close(text: str, open_at: int) -> int | None:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] in _OPEN:
            depth += 1
        elif text[i] in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return None


def _top_level_groups(text: str) -> list[tuple[int, int, str]]:
    """(start, end, inside) of each top-level parenthesised group; an unclosed one runs to the end."""
    groups: list[tuple[int, int, str]] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            if depth == 0:
                start = i
            depth += 1
        elif ch in _CLOSE and depth > 0:
            depth -= 1
            if depth == 0:
                groups.append((start, i + 1, text[start + 1 : i]))
    if depth > 0:
        groups.append((start, len(text), text[start + 1 :]))
    return groups


def _split_top_level(phrase: str, separators: str = _SEPARATORS) -> list[tuple[str, str]]:
    """Tokens between separators outside parentheses, each with the separator that ended it ("" last)."""
    tokens: list[tuple[str, str]] = []
    depth = 0
    current: list[str] = []
    for ch in phrase:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth > 0:
            depth -= 1
        if depth == 0 and ch in separators:
            tokens.append(("".join(current), ch))
            current = []
        else:
            current.append(ch)
    tokens.append(("".join(current), ""))
    return tokens


def _split_outside_parens(text: str, sep: str) -> list[str]:
    return [token for token, _ in _split_top_level(text, sep)]


def _names_in(token: str) -> list[tuple[str, bool]]:
    """Names in one token, each with whether it must be collective (the Y of X等Y)."""
    token = normalize_name(token)
    if not token:
        return []
    parts = _split_outside_parens(token, "等")
    named = [(p, False) for p in parts[:-1]]
    # X等Y: Y names the category X belongs to; a bare trailing 等 adds nothing.
    if len(parts) > 1:
        if parts[-1]:
            named.append((parts[-1], True))
    else:
        named.append((parts[0], False))

    out: list[tuple[str, bool]] = []
    for part, forced in named:
        for name in _split_conjunction(part):
            name = normalize_name(name)
            if _plausible(name):
                out.append((name, forced))
    return out


def _split_conjunction(text: str) -> list[str]:
    for conj in ("及", "和"):
        pieces = _split_outside_parens(text, conj)
        if len(pieces) < 2:
            continue
        out = [pieces[0]]
        for piece in pieces[1:]:
            left = out[-1]
            if _UNIT_END.search(left) and (_UNIT_START.search(piece) or _UNIT_END.search(piece)):
                out.append(piece)
            else:
                out[-1] = left + conj + piece
        if len(out) > 1:
            return [n for p in out for n in _split_conjunction(p)]
    return [text]


def _plausible(name: str) -> bool:
    # Stray characters from a broken cell (a lone 局, digits, a sentence) are not unit names.
    return 2 <= len(name) <= _MAX_NAME_LEN and bool(_CJK.search(name)) and "。" not in name
