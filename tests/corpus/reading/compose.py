"""Compose the reading corpus: documents in the forms published 政务公开 plans use, with their truth.

Everything here is invented (places, offices, tasks); only the FORMS follow published documents of
several provinces (see /work/shared/FORMS.md and the corpus README). Each document is built from
parts whose meaning is known by construction — the title, the issuer, the tasks with their units
and deadlines — so its truth file says what a human reads in it, independently of the parser.

Run once to (re)write the `.txt` + `.yaml` pairs next to this file:
    .venv/bin/python tests/corpus/reading/compose.py
The pairs are committed; the evaluation reads them, never this script.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

# --- tasks: invented texts; {a} = the area word (全区/全县/全市/全省/本街道 …) -------------------------
# (text, deadline phrases written inside the text)
TASKS: list[tuple[str, list[str]]] = [
    ("做好政策文件集中发布，在政府网站政策文件栏目统一归集现行有效文件，按月核对更新。", ["按月"]),
    ("加强政策解读，对涉及企业和群众切身利益的政策文件，做到解读材料与文件同步起草、同步审签、同步发布。", []),
    ("规范依申请公开办理，健全受理、交办、会商、答复全流程台账，每季度开展一次案卷自查。", ["每季度"]),
    ("推进{a}重大行政决策事项目录公开，6月底前在门户网站集中发布年度目录。", ["6月底前"]),
    ("做好预决算信息公开，按规定时限公开部门预算、决算及“三公”经费说明。", []),
    ("加强政务新媒体管理，开展账号清理整合，对长期不更新的账号及时关停注销。", []),
    ("完善政府信息主动公开目录，9月底前完成目录要素动态调整。", ["9月底前"]),
    ("深化基层政务公开标准化规范化建设，推动公开事项清单向村（居）延伸。", []),
    ("做好人大代表建议和政协委员提案办理结果公开，办理复文原则上全文公开。", []),
    ("围绕优化营商环境，集中公开涉企收费清单和惠企政策兑现流程，方便企业一站查询。", []),
    ("办好政府开放日活动，组织不少于4次，邀请群众代表走进机关、参与评议。", []),
    ("加强政府网站内容保障，每月开展一次栏目巡查，确保信息及时准确。", ["每月"]),
    ("做好政府信息公开工作年度报告编制发布，次年1月31日前在网站公开。", ["次年1月31日前"]),
    ("推进行政执法信息公开，及时公示执法主体、依据、程序和结果。", []),
    ("做好民生实事项目进展公开，按季度公布项目推进情况。", ["按季度"]),
    ("加强政务公开专区建设，在便民服务中心设置查阅点，提供政策咨询和信息查询服务。", []),
    ("落实政策文件公开前保密审查和合法性审查，防止泄露国家秘密和敏感信息。", []),
    ("规范政民互动渠道，做好留言咨询的受理、转办和答复，答复内容按规定公开。", []),
    ("加强教育、医疗、养老等重点领域信息公开，细化公开标准和公开内容。", []),
    ("组织开展政务公开业务培训，覆盖各单位分管负责同志和具体经办人员。", []),
    ("推动政务公开与12345热线数据联动，梳理高频咨询问题，10月底前形成问答库并公开。", ["10月底前"]),
    ("做好财政资金直达基层信息公开，公开资金分配和使用情况。", []),
    ("做好公共资源交易信息公开，依法公开交易公告、成交结果和合同履约信息。", []),
    ("做好应急管理信息发布，突发事件发生后及时发布权威信息，回应社会关切。", []),
    ("健全政策咨询回应机制，对集中反映的问题统一编写问答口径并在网站公开。", []),
    ("完善政务公开考核评估，年底前完成本年度政务公开工作评估。", ["年底前"]),
    ("推进乡村振兴领域信息公开，及时公开涉农补贴发放和项目资金安排。", []),
    ("加强生态环境信息公开，定期发布空气、水环境质量状况。", []),
    ("做好就业创业政策公开，集中发布各类补贴申领条件、流程和渠道。", []),
    ("推动政策文件“一文一解读”，解读形式包括图解、视频和问答。", []),
    ("健全信息发布协调机制，统一口径，避免信息发布前后不一致。", []),
    ("加强行政规范性文件管理，及时公开规范性文件清理结果。", []),
    ("落实重大建设项目批准和实施领域信息公开，公开项目审批、招标投标和竣工信息。", []),
    ("畅通公众参与渠道，涉及群众切身利益的决策事项公开征求意见时间一般不少于30日。", []),
    ("做好社会救助信息公开，按月公开低保、特困供养资金发放情况。", ["按月"]),
    ("推进政务服务事项办事指南公开，确保办事指南要素完整、准确。", []),
]


@dataclass
class Unit:
    name: str
    role: str  # lead | responsible | cooperating


@dataclass
class Task:
    text: str
    units: list[Unit] = field(default_factory=list)
    deadlines: list[str] = field(default_factory=list)  # all phrases of the item (text + clause)
    clause: str = ""  # the unit/deadline bracket as written (empty: none)


@dataclass
class Place:
    """How one issuing body writes itself and its units."""

    province: str
    convention: str  # shanghai | shandong | zhejiang | sichuan | guangdong
    level: str  # province | municipal | district | unit
    kind: str  # province | city | district | county | county_city | street | town | bureau
    place: str  # the truth's place
    full: str  # full issuer name (heading)
    short: str  # signature name (may drop the city prefix)
    area: str  # 全区 / 全县 / 全市 / 全省 / 本街道 / 本镇 / 本委
    title_place: str  # as named in the title
    number_prefix: str  # 文号 prefix
    office: str  # the coordinating office
    units: list[str]  # specific units
    collectives: list[str]
    parent_title: str | None = None
    parent_number: str | None = None
    addressees: str = ""
    approved_by: str = "区政府"


PLACES: list[Place] = [
    # Shanghai districts (real district names, invented offices' tasks)
    Place("上海市", "shanghai", "district", "district", "徐汇区", "上海市徐汇区人民政府办公室", "徐汇区人民政府办公室", "全区",
          "徐汇区", "徐府办", "区府办", ["区数据局", "区发展改革委", "区财政局", "区司法局", "区城运中心", "区教育局"],
          ["各部门", "各街道（镇）", "相关单位"], "2025年上海市政务公开工作要点", "沪府办〔2025〕6号",
          "区政府各委、办、局，各街道办事处、镇政府：", "区政府"),
    Place("上海市", "shanghai", "district", "district", "普陀区", "上海市普陀区人民政府办公室", "普陀区人民政府办公室", "全区",
          "上海市普陀区", "普府办", "区府办", ["区数据局", "区民政局", "区财政局", "区人社局", "区生态环境局", "区卫生健康委"],
          ["各部门", "各街道（镇）", "各有关单位"], "2025年上海市政务公开工作要点", None,
          "区政府各委、办、局，各街道办事处、镇政府：", "区政府"),
    Place("上海市", "shanghai", "unit", "town", "青浦区", "上海市青浦区白鹤湾镇人民政府", "白鹤湾镇人民政府", "全镇",
          "白鹤湾镇", "白镇府", "党政办", ["经济发展办", "社区管理办", "社会事务办", "财政所", "规划建设办"],
          ["各办（中心）", "各村（居）委会"], "2025年青浦区政务公开工作要点", None, "各办（中心）、各村（居）委会：", "镇政府"),
    Place("上海市", "shanghai", "unit", "bureau", "长宁区", "上海市长宁区经济委员会", "长宁区经济委员会", "本委",
          "长宁区经济委员会", "长经委", "办公室", ["综合科", "产业发展科", "商贸服务科", "投资促进科"],
          ["各科室", "委属各单位"], "2025年长宁区政务公开工作要点", None, "委机关各科室、委属各单位：", "委主任办公会"),
    Place("上海市", "shanghai", "unit", "street", "虹口区", "上海市虹口区北川路街道办事处", "北川路街道办事处", "本街道",
          "北川路街道", "北川办", "党政办", ["社区服务办", "社区管理办", "平安办", "营商办"],
          ["各科室", "各居民区"], "2025年虹口区政务公开工作要点", None, "各科室、各居民区：", "街道党工委"),
    # Shandong: an invented city and its districts, counties, county-level city
    Place("山东省", "shandong", "province", "province", "山东省", "山东省人民政府办公厅", "山东省人民政府办公厅", "全省",
          "山东省", "鲁政办发", "省政府办公厅", ["省发展改革委", "省财政厅", "省司法厅", "省大数据局", "省民政厅"],
          ["省政府各部门", "各市人民政府"], None, None, "各市人民政府，各县（市、区）人民政府，省政府各部门、各直属机构：", "省政府"),
    Place("山东省", "shandong", "municipal", "city", "泉河市", "泉河市人民政府办公室", "泉河市人民政府办公室", "全市",
          "泉河市", "泉政办发", "市政府办公室", ["市发展改革委", "市财政局", "市司法局", "市大数据局", "市人力资源社会保障局"],
          ["市政府各部门", "各区、市政府"], "2025年山东省政务公开工作要点", "鲁政办发〔2025〕4号",
          "各区、市人民政府，市政府各部门、各直属机构：", "市政府"),
    Place("山东省", "shandong", "district", "district", "东岭区", "泉河市东岭区人民政府办公室", "泉河市东岭区人民政府办公室", "全区",
          "泉河市东岭区", "东政办发", "区政府办公室", ["区发展改革局", "区财政局", "区司法局", "区大数据中心", "区教育和体育局"],
          ["区政府各部门", "各街道办事处"], "2025年泉河市政务公开工作要点", "泉政办发〔2025〕7号",
          "各街道办事处、镇人民政府，区政府各部门（单位）：", "区政府"),
    Place("山东省", "shandong", "district", "county", "西坪县", "西坪县人民政府办公室", "西坪县人民政府办公室", "全县",
          "西坪县", "西政办发", "县政府办公室", ["县发展和改革局", "县财政局", "县司法局", "县大数据中心", "县卫生健康局"],
          ["县直各部门", "各乡镇（街道）"], "2025年泉河市政务公开工作要点", None,
          "各乡镇人民政府、街道办事处，县政府各部门：", "县政府"),
    Place("山东省", "shandong", "district", "county_city", "临塘市", "临塘市人民政府办公室", "临塘市人民政府办公室", "全市",
          "临塘市", "临政办字", "市政府办公室", ["市发展和改革局", "市财政局", "市司法局", "市行政审批服务局"],
          ["市直各部门", "各镇街"], "2025年泉河市政务公开工作要点", "泉政办发〔2025〕7号",
          "各镇人民政府、街道办事处，市政府各部门：", "市政府"),
    # Zhejiang: an invented city, a district, a county, a city bureau
    Place("浙江省", "zhejiang", "municipal", "city", "明溪市", "明溪市人民政府办公室", "明溪市人民政府办公室", "全市",
          "明溪市", "明政办发", "市府办", ["市发改委", "市财政局", "市司法局", "市大数据局", "市市场监管局"],
          ["市政府各部门", "各县（市、区）政府"], "2025年浙江省政务公开工作要点", "浙政办发〔2025〕9号",
          "各县（市、区）人民政府，市政府直属各单位：", "市政府"),
    Place("浙江省", "zhejiang", "district", "county", "安平县", "安平县人民政府办公室", "安平县人民政府办公室", "全县",
          "安平县", "安政办发", "县府办", ["县发改局", "县财政局", "县司法局", "县数据局", "县民政局"],
          ["县级各部门", "各乡镇（街道）"], "2025年明溪市政务公开工作要点", "明政办发〔2025〕11号",
          "各乡镇人民政府、街道办事处，县政府直属各单位：", "县政府"),
    Place("浙江省", "zhejiang", "unit", "bureau", "明溪市", "明溪市交通运输局", "明溪市交通运输局", "本局",
          "明溪市交通运输局", "明交", "办公室", ["综合规划处", "运输管理处", "建设管理处", "法规处"],
          ["局机关各处室", "局属各单位"], "2025年明溪市政务公开工作要点", None, "局机关各处室，局属各单位：", "局党组会议"),
    # Sichuan: a county plan titled 全县, a town
    Place("四川省", "sichuan", "district", "county", "石泉县", "石泉县人民政府办公室", "石泉县人民政府办公室", "全县",
          "全县", "石府办", "县政府办公室", ["县发展改革局", "县财政局", "县司法局", "县政务服务和大数据局", "县教育局"],
          ["县级有关部门", "各乡镇（街道）"], "2025年锦阳市政务公开工作要点", "锦府办发〔2025〕15号",
          "各乡镇人民政府、街道办事处，县级有关部门：", "县政府"),
    Place("四川省", "sichuan", "district", "district", "锦北区", "锦阳市锦北区人民政府办公室", "锦北区人民政府办公室", "全区",
          "锦阳市锦北区", "锦北府办", "区政府办公室", ["区发展改革局", "区财政局", "区司法局", "区政务服务和大数据局"],
          ["区级有关部门", "各街道（镇）"], "2025年锦阳市政务公开工作要点", None,
          "各街道办事处、镇人民政府，区级有关部门：", "区政府"),
    Place("四川省", "sichuan", "unit", "town", "石泉县", "石泉县河坝镇人民政府", "河坝镇人民政府", "全镇",
          "河坝镇", "河镇府", "党政办", ["经济发展办", "社会事务办", "综合执法队", "便民服务中心"],
          ["各站所", "各村（社区）"], "2025年全县政务公开工作要点", None, "各站所、各村（社区）：", "镇党委"),
    # Guangdong: an invented city, a district, a street
    Place("广东省", "guangdong", "municipal", "city", "云浦市", "云浦市人民政府办公室", "云浦市人民政府办公室", "全市",
          "云浦市", "云府办函", "市政府办公室", ["市发展改革局", "市财政局", "市司法局", "市政务服务数据管理局", "市卫生健康局"],
          ["市直有关单位", "各区人民政府"], "2025年广东省政务公开工作要点", "粤府办〔2025〕8号",
          "各区人民政府，市政府各部门、各直属机构：", "市政府"),
    Place("广东省", "guangdong", "district", "district", "青禾区", "云浦市青禾区人民政府办公室", "青禾区人民政府办公室", "全区",
          "青禾区", "青府办函", "区府办", ["区发展改革局", "区财政局", "区司法局", "区政务服务数据管理局", "区民政局"],
          ["区直有关单位", "各镇街"], "2025年云浦市政务公开工作要点", "云府办函〔2025〕21号",
          "各镇人民政府、街道办事处，区直有关单位：", "区政府"),
    Place("广东省", "guangdong", "unit", "street", "青禾区", "云浦市青禾区东门街道办事处", "东门街道办事处", "本街道",
          "东门街道", "东街办", "党政综合办", ["经济发展办", "社会事务办", "公共服务办", "综合行政执法办"],
          ["各部门", "各社区"], "2025年青禾区政务公开工作要点", None, "各部门、各社区：", "街道党工委"),
]

# Written in the 完成时限 slot but fixing no date: the project reads them as no deadline.
ONGOING = {"持续推进", "长期坚持"}
SAME_FREQUENCY = {"按季度": "每季度", "按月": "每月"}
CLAUSE_DEADLINES = ["全年", "6月底前", "年底前", "持续推进", "每季度", "10月底前", "长期坚持", "9月底前"]


def _units_for(place: Place, rng: random.Random) -> list[Unit]:
    form = rng.random()
    a, b = rng.sample(place.units, 2)
    coll = rng.choice(place.collectives)
    if form < 0.3:
        return [Unit(place.office, "lead"), Unit(coll, "responsible")]
    if form < 0.5:
        return [Unit(a, "responsible"), Unit(b, "responsible")]
    if form < 0.7:
        return [Unit(place.office, "lead"), Unit(a, "cooperating"), Unit(coll, "cooperating")]
    if form < 0.85:
        return [Unit(a, "lead"), Unit(coll, "cooperating")]
    return [Unit(a, "responsible")]


def _clause(place: Place, units: list[Unit], deadline: str | None, rng: random.Random, style: str) -> str:
    """The bracket as this convention writes it."""
    lead = [u.name for u in units if u.role == "lead"]
    resp = [u.name for u in units if u.role == "responsible"]
    coop = [u.name for u in units if u.role == "cooperating"]
    dl = f"，完成时限：{deadline}" if deadline else ""
    if style == "labels":  # （牵头单位：…；责任单位：…；配合单位：…）
        parts = []
        if lead:
            parts.append("牵头单位：" + "、".join(lead))
        if resp:
            parts.append(("责任单位：" if place.kind != "bureau" else "责任处室：" if place.convention == "zhejiang" else "责任科室：") + "、".join(resp))
        if coop:
            parts.append("配合单位：" + "、".join(coop))
        return "（" + "；".join(parts) + dl + "）"
    if style == "verbs":  # （区府办牵头，各部门配合）
        parts = []
        if lead:
            parts.append("、".join(lead) + "牵头")
        if resp:
            parts.append("、".join(resp) + ("落实" if lead else "负责"))
        if coop:
            parts.append("、".join(coop) + "配合")
        return "（" + "，".join(parts) + (f"，{deadline}" if deadline else "") + "）"
    # one label, roles as verbs inside: （责任单位：区府办牵头，各部门落实）
    if lead:
        inner = "、".join(lead) + "牵头"
        if resp:
            inner += "，" + "、".join(resp) + "落实"
        if coop:
            inner += "，" + "、".join(coop) + "配合"
        return "（责任单位：" + inner + dl + "）"
    return "（责任单位：" + "、".join(resp + coop) + dl + "）"


def _fix_roles_for_style(units: list[Unit], style: str) -> list[Unit]:
    # In the one-label style every name without a verb is responsible.
    if style == "label_verbs" and not any(u.role == "lead" for u in units):
        return [Unit(u.name, "responsible") for u in units]
    return units


def _tasks(place: Place, n: int, rng: random.Random, style: str, with_units: bool = True) -> list[Task]:
    out = []
    for text, inner in rng.sample(TASKS, n):
        text = text.format(a=place.area)
        task = Task(text=text, deadlines=list(inner))
        if with_units:
            units = _fix_roles_for_style(_units_for(place, rng), style)
            deadline = rng.choice(CLAUSE_DEADLINES + [None, None, None]) if style != "verbs" or rng.random() < 0.3 else None
            if deadline and deadline in task.deadlines:
                deadline = None
            task.units = units
            task.clause = _clause(place, units, deadline, rng, style)
            if deadline and deadline not in ONGOING:
                # 按季度 in the text and 每季度 in the slot state one frequency: the slot's phrase.
                task.deadlines = [d for d in task.deadlines if SAME_FREQUENCY.get(d) != deadline]
                task.deadlines.append(deadline)
        out.append(task)
    return out


SECTIONS = ["一、持续深化政策公开", "二、提升解读回应质效", "三、夯实公开平台基础", "四、强化组织保障"]
CN = "一二三四五六七八九十"


@dataclass
class Damage:
    ascii: bool = False  # web copy: ASCII , ( ) :
    indent: str = ""  # ?? / ？？ / 　　 before lines
    no_red_head: bool = False
    no_number: bool = False
    first_line_office: bool = False  # draft: the issuing office alone on the first line
    no_notice: bool = False  # the plan alone (web excerpt, draft)
    furniture: bool = False  # page navigation around the body
    draft: bool = False
    no_dot: int = 0  # items written without their dot (`3落实…`)
    title_no_year_char: bool = False  # `2024济南市…` (a web title losing 年)


def _title(place: Place, year: int, word: str) -> str:
    if place.kind == "bureau":
        return f"{place.title_place}{year}年政务公开工作要点"
    return f"{year}年{place.title_place}政务公开{word}"


def compose(doc_id: str, place: Place, year: int, numbering: str, style: str, damage: Damage, rng: random.Random,
            n_items: int = 6, word: str = "工作要点") -> tuple[str, dict]:
    tasks = _tasks(place, n_items, rng, style)
    title = _title(place, year, word)
    number = f"{place.number_prefix}〔{year}〕{rng.randint(2, 30)}号"
    month, day = rng.randint(3, 6), rng.randint(1, 28)
    date_line = f"{year}年{month}月{day}日"
    parent_title = place.parent_title.replace("2025", str(year)) if place.parent_title else None
    parent_number = place.parent_number.replace("2025", str(year)) if place.parent_number else None
    cite = f"《{parent_title}》" if parent_title else ""
    cite_num = f"（{parent_number}）" if parent_number else ""
    lines: list[str] = []
    if damage.furniture:
        lines += ["首页 > 政务公开 > 政策文件", "索引号：" + f"{rng.randint(10**8, 10**9)}/{year}-00{rng.randint(10, 99)}",
                  "字号：大 中 小  打印本页", ""]
    has_notice = not damage.no_notice
    issuer_truth = place.full
    if damage.first_line_office:
        lines += [place.full, ""]
    elif has_notice and not damage.no_red_head:
        lines += [f"{place.full}文件", ""]
    if has_notice:
        if not damage.no_number:
            lines += [number, ""]
        notice = f"{place.full}关于印发《{title}》的通知"
        if place.convention == "shandong":  # the notice heading wrapped over two lines
            lines += [f"{place.full}", f"关于印发《{title}》的通知", ""]
        else:
            lines += [notice, ""]
        lines += [place.addressees, ""]
        lines += [f"《{title}》已经{place.approved_by}同意，现印发给你们，请认真贯彻落实。", ""]
        lines += [place.short, date_line, "（此件公开发布）", ""]
    elif damage.draft:
        pass
    lines += [title + ("（征求意见稿）" if damage.draft else ""), ""]
    if cite:
        lines += [f"为做好{year}年{place.area}政务公开工作，根据{cite}{cite_num}有关要求，结合工作实际，制定本工作要点。", ""]
    else:
        lines += [f"为做好{year}年{place.area}政务公开工作，结合工作实际，制定本工作要点。", ""]

    items_truth = []
    per_section = max(1, (len(tasks) + 2) // 3)
    k = 0
    for s_index in range(0, len(tasks), per_section):
        lines += [SECTIONS[s_index // per_section], ""]
        for task in tasks[s_index : s_index + per_section]:
            k += 1
            body = task.text + task.clause if task.clause else task.text
            if numbering == "arabic":
                dot = "" if damage.no_dot and k in (3, 5) else rng.choice([".", "．", "、"]) if place.convention != "shanghai" else "."
                lines += [f"{k}{dot}{body}", ""]
            else:  # （一）(二) headings are the tasks, numbered on through the document
                lines += [f"（{_cn(k)}）{body}", ""]
            items_truth.append({"number": k, "units": [{"name": u.name, "role": u.role} for u in task.units],
                                "deadlines": task.deadlines})
    if damage.no_notice and not damage.first_line_office:
        pass
    if damage.no_notice:
        # A draft or excerpt: the signature closes it, when there is one.
        lines += ["", place.short, date_line]
    if damage.furniture:
        lines += ["", "【关闭】【打印】", "主办单位：" + place.full + "  网站标识码：" + str(rng.randint(10**9, 10**10))]
    text = "\n".join(lines) + "\n"
    if damage.ascii:
        text = text.translate(str.maketrans({"，": ",", "：": ":", "（": "(", "）": ")", "；": ";"}))
    if damage.indent:
        text = "\n".join((damage.indent + x if x and not x.startswith(("首页", "索引号", "字号")) else x) for x in text.split("\n"))
    truth = {
        "id": doc_id,
        "convention": place.convention,
        "header": {
            "title": title,
            "issuer": issuer_truth if (has_notice or damage.first_line_office) else place.short,
            "doc_number": number if has_notice and not damage.no_number else None,
            "issue_date": date_line.replace("年", "-").replace("月", "-").replace("日", ""),
            "year": year,
            "level": place.level,
            "place": place.place,
            "kind": place.kind,
            "draft": damage.draft,
            "parent_title": parent_title,
        },
        "items": items_truth,
    }
    truth["header"]["issue_date"] = "-".join(f"{int(p):02d}" if i else p for i, p in enumerate(truth["header"]["issue_date"].split("-")))
    return text, truth


def _cn(n: int) -> str:
    if n <= 10:
        return CN[n - 1]
    return "十" + (CN[n - 11] if n > 10 else "")


def main() -> None:
    rng = random.Random(20251202)
    specs: list[tuple[str, Place, str, str, Damage, str]] = []
    by_name = {p.place + p.kind: p for p in PLACES}

    def add(name: str, key: str, numbering: str, style: str, damage: Damage, word: str = "工作要点") -> None:
        specs.append((name, by_name[key], numbering, style, damage, word))

    # Shanghai
    add("sh-xuhui-full", "徐汇区district", "arabic", "label_verbs", Damage())
    add("sh-xuhui-webcopy", "徐汇区district", "arabic", "label_verbs", Damage(ascii=True, indent="??", no_red_head=True))
    add("sh-xuhui-draft", "徐汇区district", "arabic", "labels", Damage(first_line_office=True, no_notice=True, draft=True))
    add("sh-putuo-full", "普陀区district", "arabic", "verbs", Damage())
    add("sh-putuo-webcopy", "普陀区district", "arabic", "labels", Damage(ascii=True, furniture=True, no_red_head=True, no_dot=1))
    add("sh-putuo-excerpt", "普陀区district", "arabic", "verbs", Damage(no_notice=True, indent="　　"))
    add("sh-town-full", "青浦区town", "arabic", "label_verbs", Damage())
    add("sh-town-webcopy", "青浦区town", "arabic", "labels", Damage(ascii=True, indent="？？", no_red_head=True, no_number=True))
    add("sh-bureau-full", "长宁区bureau", "arabic", "labels", Damage())
    add("sh-bureau-draft", "长宁区bureau", "arabic", "labels", Damage(no_notice=True, draft=True))
    add("sh-street-full", "虹口区street", "arabic", "verbs", Damage())
    add("sh-street-webcopy", "虹口区street", "arabic", "label_verbs", Damage(ascii=True, no_red_head=True, no_dot=1))
    # Shandong
    add("sd-province", "山东省province", "cn", "verbs", Damage())
    add("sd-province-webcopy", "山东省province", "cn", "verbs", Damage(ascii=True, furniture=True, no_red_head=True))
    add("sd-city", "泉河市city", "cn", "verbs", Damage())
    add("sd-city-webcopy", "泉河市city", "cn", "labels", Damage(ascii=True, indent="??", no_red_head=True))
    add("sd-district", "东岭区district", "arabic", "labels", Damage())
    add("sd-district-webcopy", "东岭区district", "arabic", "labels", Damage(ascii=True, furniture=True, no_red_head=True, no_dot=1))
    add("sd-county", "西坪县county", "cn", "labels", Damage())
    add("sd-county-excerpt", "西坪县county", "arabic", "verbs", Damage(no_notice=True))
    add("sd-countycity", "临塘市county_city", "arabic", "label_verbs", Damage())
    add("sd-countycity-webcopy", "临塘市county_city", "cn", "verbs", Damage(ascii=True, no_red_head=True, no_number=True))
    # Zhejiang
    add("zj-city", "明溪市city", "cn", "verbs", Damage())
    add("zj-city-webcopy", "明溪市city", "cn", "verbs", Damage(ascii=True, indent="　　", no_red_head=True))
    add("zj-county", "安平县county", "arabic", "labels", Damage())
    add("zj-county-draft", "安平县county", "arabic", "labels", Damage(first_line_office=True, no_notice=True, draft=True))
    add("zj-bureau", "明溪市bureau", "arabic", "labels", Damage())
    add("zj-bureau-webcopy", "明溪市bureau", "arabic", "labels", Damage(ascii=True, furniture=True, no_red_head=True))
    # Sichuan
    add("sc-county", "石泉县county", "cn", "labels", Damage())
    add("sc-county-webcopy", "石泉县county", "cn", "labels", Damage(ascii=True, indent="??", no_red_head=True))
    add("sc-district", "锦北区district", "arabic", "label_verbs", Damage())
    add("sc-district-excerpt", "锦北区district", "arabic", "labels", Damage(no_notice=True, ascii=True))
    add("sc-town", "石泉县town", "arabic", "labels", Damage())
    add("sc-town-draft", "石泉县town", "arabic", "verbs", Damage(first_line_office=True, no_notice=True, draft=True))
    # Guangdong
    add("gd-city", "云浦市city", "arabic", "labels", Damage())
    add("gd-city-webcopy", "云浦市city", "arabic", "labels", Damage(ascii=True, furniture=True, no_red_head=True, no_dot=1))
    add("gd-district", "青禾区district", "cn", "verbs", Damage())
    add("gd-district-webcopy", "青禾区district", "cn", "label_verbs", Damage(ascii=True, indent="？？", no_red_head=True))
    add("gd-street", "青禾区street", "arabic", "verbs", Damage())
    add("gd-street-excerpt", "青禾区street", "arabic", "labels", Damage(no_notice=True, indent="??"))
    add("gd-district-plan", "青禾区district", "arabic", "labels", Damage(), word="工作实施方案")
    add("sd-city-plan", "泉河市city", "arabic", "label_verbs", Damage(no_red_head=True), word="工作方案")

    for old in HERE.glob("[0-9][0-9]-*.txt"):
        old.unlink()
    for old in HERE.glob("[0-9][0-9]-*.yaml"):
        old.unlink()
    for i, (name, place, numbering, style, damage, word) in enumerate(specs, 1):
        doc_id = f"{i:02d}-{name}"
        year = 2025 if i % 5 else 2024
        text, truth = compose(doc_id, place, year, numbering, style, damage, rng, n_items=rng.randint(5, 9), word=word)
        (HERE / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        with open(HERE / f"{doc_id}.yaml", "w", encoding="utf-8") as fh:
            yaml.safe_dump(truth, fh, allow_unicode=True, sort_keys=False)
    print(f"{len(specs)} documents written to {HERE}")


if __name__ == "__main__":
    main()
