"""Office registries and generic names: every unit the real plans name must resolve."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from documents.units import find_unit_clause, parse_unit_phrase
from offices import names
from offices.names import canonical_name, is_collective
from offices.registry import (
    DEFAULT_REGISTRY_DIR,
    Office,
    Registry,
    all_registries,
    load_registry,
    registry_for_place,
)
from tests.seedtext import compact, seed, split_items

# The responsible-unit cells of the Changning 2025 task table, line breaks removed.
CHANGNING_2025_CELLS = [
    "各部门、各街道（镇）",
    "区府办牵头，各部门、各街道（镇）落实",
    "区府办牵头，各部门、各街道（镇）配合",
    "区府办、区城运中心牵头，各部门、各街道（镇）落实",
    "区发展改革委、区教育局、区建设管理委、区卫生健康委、区房管局等公共企事业单位行业主管部门",
    "区府办牵头，重大行政决策事项各承办单位配合",
    "区府办牵头，重大行政决策事项各承办单位落实",
    "区发展改革委",
    "区财政局牵头，各部门、各街道（镇）配合",
    "区司法局牵头，各有关单位配合",
    "区府办、区新闻办牵头，各部门、各街道（镇）落实",
    "区发展改革委、区商务委、区投促办等相关单位",
    "区城运中心、各承办单位",
    "区府办、区新闻办、区数据局牵头，各部门、各街道（镇）落实",
    "区府办牵头，相关单位落实",
    "区府办",
]

SIXTEEN = [
    "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区",
    "宝山区", "嘉定区", "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区",
]  # fmt: skip
CHANGNING_STREETS = {
    "华阳路街道", "江苏路街道", "新华路街道", "周家桥街道", "天山路街道",
    "仙霞新村街道", "虹桥街道", "程家桥街道", "北新泾街道", "新泾镇",
}  # fmt: skip
JINGAN_STREETS = {
    "静安寺街道", "曹家渡街道", "江宁路街道", "石门二路街道", "南京西路街道", "天目西路街道", "北站街道",
    "宝山路街道", "芷江西路街道", "共和新路街道", "大宁路街道", "彭浦新村街道", "临汾路街道", "彭浦镇",
}  # fmt: skip
BAOSHAN_STREETS = {
    "友谊路街道", "吴淞街道", "张庙街道",
    "罗店镇", "大场镇", "杨行镇", "月浦镇", "罗泾镇", "顾村镇", "高境镇", "庙行镇", "淞南镇",
}  # fmt: skip


@pytest.fixture(scope="module")
def changning() -> Registry:
    reg = registry_for_place("长宁区")
    assert reg is not None
    return reg


@pytest.fixture(scope="module")
def jingan() -> Registry:
    reg = registry_for_place("静安区")
    assert reg is not None
    return reg


@pytest.fixture(scope="module")
def baoshan() -> Registry:
    reg = registry_for_place("宝山区")
    assert reg is not None
    return reg


@pytest.fixture(scope="module")
def shanghai() -> Registry:
    reg = registry_for_place("上海市")
    assert reg is not None
    return reg


def units_in_clauses(name: str, stop: str | None = None) -> list[str]:
    out: list[str] = []
    for text in split_items(seed(name), stop).values():
        found = find_unit_clause(text)
        assert found is not None
        out += [m.name for m in parse_unit_phrase(found[0])]
    return out


def named_offices(unit_names: list[str]) -> list[str]:
    return sorted({n for n in unit_names if not is_collective(n)})


# --- the seeds resolve ---------------------------------------------------------------------


def test_changning_2026_units_resolve_except_typo(changning: Registry) -> None:
    names_ = named_offices(units_in_clauses("changning-2026-district-plan.txt"))
    assert "区域运中心" in names_
    assert len(names_) >= 9
    for name in names_:
        res = changning.resolve(name)
        if name == "区域运中心":
            continue
        assert res.office is not None, f"{name} did not resolve (suggestion {res.suggestion})"


def test_changning_typo_gets_suggestion(changning: Registry) -> None:
    res = changning.resolve("区域运中心")
    assert res.office is None
    assert not res.collective
    assert res.members == []
    assert res.suggestion == "区城运中心"
    assert res.score is not None and res.score >= 70
    assert "区域运中心" not in changning.find("区城运中心").aliases  # type: ignore[union-attr]


def test_changning_2026_collectives_resolve(changning: Registry) -> None:
    for name in {n for n in units_in_clauses("changning-2026-district-plan.txt") if is_collective(n)}:
        res = changning.resolve(name)
        assert res.collective and res.members, name


def test_changning_2025_cells_resolve(changning: Registry) -> None:
    text = compact(seed("changning-2025-task-table.txt"))
    for cell in CHANGNING_2025_CELLS:
        assert compact(cell) in text, cell
        for m in parse_unit_phrase(cell, source="table"):
            res = changning.resolve(m.name)
            if m.collective:
                assert res.collective and res.members, m.name
            else:
                assert res.office is not None, m.name


def test_baoshan_2023_units_resolve(baoshan: Registry) -> None:
    body = units_in_clauses("baoshan-2023-work-points-with-table.txt", stop="附件")
    # Table cells as they appear in the appendix (line breaks removed).
    table_cells = [
        "区发展改革委、区经委、区科委、区市场监管局、区人力资源社会保障局、区科创委、区住房保障房屋管理局、各街镇、园区",
        "区发展改革委、区经委、区建设管理委、区规划资源局、区商务委、区交通委、区滨江委、宝山高新园及相关街镇",
        "区发展改革委、区经委、区建设管理委、区交通委、区生态环境局、区水务局等",
        "区水务局、区气象局、区应急局、区建设管理委、区交通委、区消防救援支队",
        "牵头单位：区发展改革委、区市场监管局；责任单位：各执法部门",
        "牵头单位：区城运中心、区政务服务中心；责任单位：各街镇、园区、区政府各部门",
        "区政府办公室、区融媒体中心、区城运中心、区信访办、区政务服务中心",
        "牵头单位：区政府办公室、区融媒体中心、区委网信办；责任单位：各街镇、园区，区政府各部门",
        "责任单位：区政府各相关部门；配合单位：区政务服务中心",
    ]
    text = compact(seed("baoshan-2023-work-points-with-table.txt"))
    table: list[str] = []
    for cell in table_cells:
        assert compact(cell) in text, cell
        table += [m.name for m in parse_unit_phrase(cell, source="table")]
    names_ = named_offices(body + table)
    assert len(names_) >= 35
    for name in names_:
        assert baoshan.resolve(name).office is not None, name
    for name in {n for n in body + table if is_collective(n)}:
        res = baoshan.resolve(name)
        assert res.collective and res.members, name


def test_shanghai_2026_units_resolve(shanghai: Registry) -> None:
    unit_names = units_in_clauses("shanghai-2026-municipal-plan.txt")
    for name in named_offices(unit_names):
        assert shanghai.resolve(name).office is not None, name
    assert shanghai.resolve("浦东新区政府").office.district == "浦东新区"  # type: ignore[union-attr]


# --- collectives -------------------------------------------------------------------------


def test_changning_streets_and_town(changning: Registry) -> None:
    for name in ("各街道（镇）", "各街镇", "各街道(镇)"):
        res = changning.resolve(name)
        assert res.collective and res.office is None
        assert {o.name for o in res.members} == CHANGNING_STREETS
    assert {o.name for o in changning.members("各街道")} == CHANGNING_STREETS - {"新泾镇"}


def test_departments(changning: Registry) -> None:
    depts = changning.members("各部门")
    assert depts and all(o.kind == "department" for o in depts)
    assert changning.members("区政府各部门") == depts
    assert "区政府办公室" in {o.name for o in depts}
    assert "区政府办公室政务公开科" not in {o.name for o in depts}


def test_broad_collectives_cover_departments_and_streets(changning: Registry) -> None:
    for name in ("各有关单位", "相关单位", "各承办单位", "重大行政决策事项各承办单位"):
        kinds = {o.kind for o in changning.members(name)}
        assert kinds == {"department", "street", "town"}, name


def test_baoshan_parks(baoshan: Registry) -> None:
    parks = {o.name for o in baoshan.resolve("园区").members}
    assert parks == {"宝山工业园区", "宝山城市工业园区"}
    assert baoshan.resolve("宝山高新园").office.kind == "park"  # type: ignore[union-attr]
    assert {o.name for o in baoshan.members("各街镇")} == BAOSHAN_STREETS
    assert {o.name for o in baoshan.members("相关街镇")} == BAOSHAN_STREETS
    assert {o.kind for o in baoshan.members("各有关单位")} == {"department", "street", "town", "park"}


def test_sixteen_district_governments(shanghai: Registry) -> None:
    res = shanghai.resolve("各区政府")
    assert res.collective
    assert len(res.members) == 16
    assert all(o.kind == "government" for o in res.members)
    assert sorted(o.district for o in res.members) == sorted(SIXTEEN)  # type: ignore[type-var]
    for district in SIXTEEN:
        gov = shanghai.government_for(district)
        assert gov is not None and gov.name == f"{district}人民政府"
        assert shanghai.find(f"{district}政府") is gov


def test_municipal_related_units_are_city_bureaus(shanghai: Registry) -> None:
    kinds = {o.kind for o in shanghai.members("各有关单位")}
    assert kinds == {"department"}


def test_pilot_districts_unknown_subset(shanghai: Registry) -> None:
    res = shanghai.resolve("各试点区政府")
    assert res.collective and res.members == []


def test_members_of_non_collective_is_empty(changning: Registry) -> None:
    assert changning.members("区教育局") == []


# --- registry contents -------------------------------------------------------------------


def test_registry_streets(changning: Registry, jingan: Registry, baoshan: Registry) -> None:
    def local(reg: Registry) -> set[str]:
        return {o.name for o in reg.offices if o.kind in ("street", "town")}

    assert local(changning) == CHANGNING_STREETS
    assert local(jingan) == JINGAN_STREETS
    assert local(baoshan) == BAOSHAN_STREETS


@pytest.mark.parametrize("place", ["长宁区", "静安区", "宝山区"])
def test_district_registry_has_usual_departments(place: str) -> None:
    reg = registry_for_place(place)
    assert reg is not None and reg.level == "district"
    usual = [
        "区政府办公室", "区发展改革委", "区教育局", "区科委", "区民政局", "区司法局", "区财政局",
        "区人力资源社会保障局", "区规划资源局", "区生态环境局", "区建设管理委", "区住房保障房屋管理局",
        "区水务局", "区商务委", "区文化旅游局", "区卫生健康委", "区退役军人局", "区应急局", "区审计局",
        "区国资委", "区市场监管局", "区体育局", "区统计局", "区绿化市容局", "区医保局", "区数据局",
        "区城运中心", "区政务服务中心", "区新闻办", "区融媒体中心", "区信访办", "区委网信办",
        "区消防救援支队",
    ]  # fmt: skip
    for name in usual:
        office = reg.find(name)
        assert office is not None and office.name == name, name


@pytest.mark.parametrize("place", ["长宁区", "静安区", "宝山区", "上海市"])
def test_transparency_section(place: str) -> None:
    reg = registry_for_place(place)
    assert reg is not None
    t = reg.transparency_office
    assert t.kind == "section" and t.is_transparency_section
    assert [o for o in reg.offices if o.is_transparency_section] == [t]
    assert t.name == ("市政府办公厅政务公开处" if place == "上海市" else "区政府办公室政务公开科")


def test_emails_unique_and_ascii() -> None:
    for reg in all_registries().values():
        emails = [o.email for o in reg.offices]
        assert len(emails) == len(set(emails)), reg.district
        for email in emails:
            assert email.isascii() and re.fullmatch(r"[a-z0-9]+@[a-z]+\.example\.org", email), email


def test_aliases_resolve(changning: Registry) -> None:
    cases = {
        "区府办": "区政府办公室",
        "区政府办": "区政府办公室",
        "区发改委": "区发展改革委",
        "区人社局": "区人力资源社会保障局",
        "区房管局": "区住房保障房屋管理局",
        "区城市运行管理中心": "区城运中心",
        "区投资促进办公室": "区投促办",
        "长宁区教育局": "区教育局",
        "上海市长宁区人民政府办公室": "区政府办公室",
        "区人力资源和社会保障局": "区人力资源社会保障局",
        "新泾镇政府": "新泾镇",
        "华阳路街道办事处": "华阳路街道",
        " 区 府办 ": "区政府办公室",
    }
    for written, expected in cases.items():
        assert changning.find(written).name == expected, written  # type: ignore[union-attr]


def test_exact_match_resolution(changning: Registry) -> None:
    res = changning.resolve("区府办")
    assert res.office is not None and res.members == [res.office]
    assert not res.collective and res.suggestion is None and res.score == 100.0


def test_unknown_far_name_has_no_suggestion(changning: Registry) -> None:
    res = changning.resolve("中国人民银行")
    assert res.office is None and res.suggestion is None and res.score is None
    assert changning.resolve("").office is None


def test_municipal_find(shanghai: Registry) -> None:
    assert shanghai.find("上海市教委").name == "市教委"  # type: ignore[union-attr]
    assert shanghai.find("市房管局").name == "市房屋管理局"  # type: ignore[union-attr]
    assert shanghai.find("市经信委").name == "市经济信息化委"  # type: ignore[union-attr]


def test_registry_for_place_forms(tmp_path: Path) -> None:
    assert registry_for_place("长宁区").district == "长宁区"  # type: ignore[union-attr]
    assert registry_for_place("上海市长宁区").district == "长宁区"  # type: ignore[union-attr]
    assert registry_for_place("长宁").district == "长宁区"  # type: ignore[union-attr]
    assert registry_for_place("上海市").level == "municipal"  # type: ignore[union-attr]
    assert registry_for_place("浦东新区") is None
    assert registry_for_place("") is None
    assert set(all_registries()) == {"上海市", "长宁区", "静安区", "宝山区"}


def test_registry_dir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(DEFAULT_REGISTRY_DIR / "jingan.yaml", tmp_path / "jingan.yaml")
    monkeypatch.setenv("GONGKAI_REGISTRY_DIR", str(tmp_path))
    assert set(all_registries()) == {"静安区"}
    assert registry_for_place("长宁区") is None
    assert registry_for_place("长宁区", registry_dir=DEFAULT_REGISTRY_DIR) is not None


# --- bad files ---------------------------------------------------------------------------

_GOOD = """district: 测试区
level: district
transparency_office: 区政府办公室政务公开科
offices:
  - {name: 区政府办公室, aliases: [区府办], kind: department, email: zfb@test.example.org}
  - {name: 区政府办公室政务公开科, kind: section, email: zwgkk@test.example.org, is_transparency_section: true}
"""


def test_good_minimal_file(tmp_path: Path) -> None:
    path = tmp_path / "test.yaml"
    path.write_text(_GOOD, encoding="utf-8")
    reg = load_registry(path)
    assert reg.district == "测试区"
    assert isinstance(reg.offices[0], Office)
    assert reg.find("区府办") is reg.offices[0]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("district: [unclosed\n  - x: {", "YAML"),
        ("- just\n- a list\n", "顶层"),
        (_GOOD.replace("district: 测试区\n", ""), "district"),
        (_GOOD.replace("level: district", "level: county"), "level"),
        (_GOOD.replace(", email: zfb@test.example.org", ""), "email"),
        (_GOOD.replace("kind: department", "kind: bureau"), "kind"),
        (_GOOD.replace("zfb@test.example.org", "区府办@例子"), "邮箱"),
        (_GOOD.replace("zwgkk@test.example.org", "zfb@test.example.org"), "zfb@test.example.org"),
        (
            _GOOD.replace("transparency_office: 区政府办公室政务公开科", "transparency_office: 政务公开处"),
            "政务公开处",
        ),
        (_GOOD.replace("aliases: [区府办]", "aliases: [区政府办公室政务公开科]"), "区政府办公室政务公开科"),
        (_GOOD.replace("offices:", "offices: []\nx:"), "offices"),
        (_GOOD.replace("kind: section,", "kind: section, phone: 123,"), "phone"),
    ],
)
def test_bad_file_error_names_file_and_problem(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "broken-district.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_registry(path)
    assert "broken-district.yaml" in str(err.value)
    assert problem in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nowhere.yaml"):
        load_registry(tmp_path / "nowhere.yaml")


def test_bad_file_in_registry_dir(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("district: 坏区\nlevel: district\noffices: [", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.yaml"):
        all_registries(tmp_path)


# --- generic names -----------------------------------------------------------------------


def test_canonical_name_generic_aliases() -> None:
    assert canonical_name("区府办") == "区政府办公室"
    assert canonical_name("区政府办") == "区政府办公室"
    assert canonical_name("区发改委") == "区发展改革委"
    assert canonical_name("市发改委") == "市发展改革委"
    assert canonical_name("区人社局") == "区人力资源社会保障局"
    assert canonical_name("区房管局") == "区住房保障房屋管理局"
    assert canonical_name("市房管局") == "市房屋管理局"
    assert canonical_name("各街镇") == "各街道（镇）"
    assert canonical_name("各街道(镇)") == "各街道（镇）"
    assert canonical_name("区城运中心") == "区城运中心"
    assert canonical_name("区城市运行管理中心") == "区城运中心"
    assert canonical_name("浦东新区政府") == "浦东新区人民政府"
    assert canonical_name("区域运中心") == "区域运中心"  # unknown names keep their form
    assert canonical_name(" 区 教育局 ") == "区教育局"
    assert canonical_name("") == ""


def test_is_collective() -> None:
    for name in ("各部门", "各街道（镇）", "各街镇", "相关单位", "相关街镇", "各有关单位", "各承办单位", "各区政府",
                 "区政府各部门", "区政府各相关部门", "重大行政决策事项各承办单位", "园区",
                 "公共企事业单位行业主管部门", "行政执法单位"):  # fmt: skip
        assert is_collective(name), name
    for name in ("区府办", "区教育局", "宝山高新园", "浦东新区政府", "新泾镇", "", "区城运中心"):
        assert not is_collective(name), name


def test_alias_file_override_and_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "aliases.yaml"
    good.write_text("aliases:\n  区老办: 区政府办公室\ncollectives:\n  - 专班\n", encoding="utf-8")
    monkeypatch.setenv("GONGKAI_ALIASES", str(good))
    try:
        assert canonical_name("区老办") == "区政府办公室"
        assert canonical_name("区府办") == "区府办"
        assert is_collective("专班")
        bad = tmp_path / "bad-aliases.yaml"
        bad.write_text("aliases: [", encoding="utf-8")
        monkeypatch.setenv("GONGKAI_ALIASES", str(bad))
        with pytest.raises(ValueError, match="bad-aliases.yaml"):
            canonical_name("区府办")
    finally:
        monkeypatch.delenv("GONGKAI_ALIASES")
        names.clear_cache()
    assert canonical_name("区府办") == "区政府办公室"


def test_find_follows_the_alias_file_it_reads(tmp_path, monkeypatch) -> None:
    """find() keeps its answers per alias table: another alias file (or the same file read again
    after an edit) answers anew, never from the old table."""
    registry = load_registry(DEFAULT_REGISTRY_DIR / "changning.yaml")
    assert registry.find("区数治办") is None
    aliases = tmp_path / "aliases.yaml"
    aliases.write_text("aliases:\n  区数治办: 区数据局\n", encoding="utf-8")
    monkeypatch.setenv("GONGKAI_ALIASES", str(aliases))
    names.clear_cache()
    try:
        office = registry.find("区数治办")
        assert office is not None and office.name == "区数据局"
        aliases.write_text("aliases: {}\n", encoding="utf-8")
        names.clear_cache()
        assert registry.find("区数治办") is None
    finally:
        monkeypatch.delenv("GONGKAI_ALIASES")
        names.clear_cache()
