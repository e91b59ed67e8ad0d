"""Kept check results: reused while plan, parent, policy, registry and rules version are unchanged,
checked again as soon as any of them changes, and never served for changed inputs."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

import pipeline.checks
import rules.check
import rules.lexicon
from pipeline import nightly as steps
from pipeline.checks import run_check
from pipeline.ingest import ingest_files
from store.checks import CachedCheck, CheckRun
from tests.drafts import make_draft

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"
CHANGNING = SAMPLES / "changning-2026-district-plan.txt"
AS_OF = date(2026, 11, 22)
NEXT_NIGHT = date(2026, 11, 23)
PLAN = "长府办〔2026〕8号"


@pytest.fixture
def registry_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the bundled registries the test may edit."""
    directory = tmp_path / "registry"
    shutil.copytree(ROOT / "data" / "registry", directory)
    monkeypatch.setenv("GONGKAI_REGISTRY_DIR", str(directory))
    return directory


@pytest.fixture
def checks_run(monkeypatch) -> list[str]:
    """The plans actually checked (not answered from a kept result), by 发文字号."""
    seen: list[str] = []
    real = pipeline.checks.check_plan

    def counting(plan, directive=None, **kwargs):
        seen.append(plan.doc_number)
        return real(plan, directive, **kwargs)

    monkeypatch.setattr(pipeline.checks, "check_plan", counting)
    return seen


@pytest.fixture
def city_store(store, registry_dir):
    ingest_files(store, [CITY, CHANGNING])
    return store


def night(store, policy, as_of=AS_OF) -> dict:
    return steps.check_district(store, "长宁区", as_of, policy)


def codes(summary: dict) -> set[tuple[str, str, int | None]]:
    return {(r["code"], r["severity"], r["directive_item"] or r["plan_item"]) for r in summary["findings"]}


def runs(store) -> int:
    with store.transaction() as session:
        return session.query(CheckRun).count()


def fresh_result(store, policy) -> dict:
    """The check as it comes out of the rules now, with no kept result (what the cache must equal)."""
    result, _ = run_check(PLAN, None, policy=policy, store=store, save=False, plan_by_number=True)
    return result.to_dict()


def test_unchanged_inputs_reuse_the_result_and_the_run(city_store, policy, checks_run) -> None:
    first = night(city_store, policy)
    assert checks_run == [PLAN]
    assert runs(city_store) == 1
    second = night(city_store, policy, NEXT_NIGHT)
    assert checks_run == [PLAN]  # nothing checked again
    # read back from the standing run's rows (store.checks.run_summaries), not the kept result
    assert second["findings"] == first["findings"] and second["counts"] == first["counts"]
    assert second["plans"] == first["plans"]  # same run, title, level, directive, counts
    assert first["findings"] and first["plans"][0]["directive"]
    assert runs(city_store) == 1
    # The kept result is exactly what the rules give for these inputs.
    with city_store.transaction() as session:
        (kept,) = session.query(CachedCheck).all()
        assert kept.rules_version == rules.check.RULES_VERSION
        kept_result = kept.result
    assert kept_result == fresh_result(city_store, policy)
    # check_stored_plans gives a plan answered from its kept result (a new run) and one whose run
    # stands (read back from the run's rows) the same shape and content
    heads = steps._plans_of(city_store, "长宁区")
    (from_kept,) = pipeline.checks.check_stored_plans(city_store, heads, policy, as_of=AS_OF, kind="on_demand")
    (standing,) = pipeline.checks.check_stored_plans(city_store, heads, policy, as_of=AS_OF, kind="on_demand")
    assert standing[1] == from_kept[1] and runs(city_store) == 2
    assert standing[0] == from_kept[0] and set(standing[0]) == {"plan", "directive", "counts", "findings"}


def test_a_changed_plan_is_checked_again(city_store, policy, checks_run, tmp_path) -> None:
    before = night(city_store, policy)
    # The office issues a new version of its plan without the items that took up city items 12 and 16.
    revised = make_draft(CHANGNING, tmp_path / "revised.txt", delete=(5, 9))
    ingest_files(city_store, [revised])
    after = night(city_store, policy, NEXT_NIGHT)
    assert checks_run == [PLAN, PLAN]
    assert after["counts"] != before["counts"]
    missing = {r["directive_item"] for r in after["findings"] if r["code"] == "MISSING_MANDATED_ITEM"}
    assert missing and not any(r["code"] == "MISSING_MANDATED_ITEM" for r in before["findings"])
    assert after["findings"] == steps.finding_rows(fresh_result(city_store, policy), "长宁区")


def test_a_changed_parent_is_checked_again(city_store, policy, checks_run, tmp_path) -> None:
    before = night(city_store, policy)
    assert not any(r["code"] == "MISSING_MANDATED_ITEM" and r["directive_item"] == 30 for r in before["findings"])
    # A new version of the city plan: item 30, binding every district, now asks for something new.
    text = CITY.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("30."))
    new = "30.建设城市地下管网数字化监测平台,完成全部窨井盖智能化改造。(责任单位:各有关单位、各区政府)"
    city2 = tmp_path / "city-v2.txt"
    city2.write_text(text.replace(old, new), encoding="utf-8")
    ingest_files(city_store, [city2])
    after = night(city_store, policy, NEXT_NIGHT)
    assert checks_run == [PLAN, PLAN]
    assert any(r["code"] == "MISSING_MANDATED_ITEM" and r["directive_item"] == 30 for r in after["findings"])
    assert after["findings"] == steps.finding_rows(fresh_result(city_store, policy), "长宁区")


def test_a_changed_policy_is_checked_again_unless_only_alerts_changed(city_store, policy, checks_run) -> None:
    before = night(city_store, policy)
    assert ("UNKNOWN_UNIT", "warning", 22) in codes(before)
    # Alert settings do not change a check: nothing is checked again.
    night(city_store, policy.with_overrides({"repeat_interval_days": 3, "escalation_days": 9}), NEXT_NIGHT)
    assert checks_run == [PLAN]
    strict = policy.with_overrides({"severity": {"UNKNOWN_UNIT": "error"}})
    after = night(city_store, strict, NEXT_NIGHT)
    assert checks_run == [PLAN, PLAN]
    assert ("UNKNOWN_UNIT", "error", 22) in codes(after)
    # Back to the first policy: its kept result serves again, as it was.
    again = night(city_store, policy, NEXT_NIGHT)
    assert checks_run == [PLAN, PLAN]
    assert again["findings"] == before["findings"]


def test_a_changed_registry_is_checked_again(city_store, policy, checks_run, registry_dir) -> None:
    before = night(city_store, policy)
    assert ("UNKNOWN_UNIT", "warning", 22) in codes(before)
    # The district adds the name its plan used as an alias of the office: no longer unknown.
    path = registry_dir / "changning.yaml"
    text = path.read_text(encoding="utf-8")
    edited = text.replace("aliases: [区城市运行管理中心]", "aliases: [区城市运行管理中心, 区域运中心]")
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    after = night(city_store, policy, NEXT_NIGHT)
    assert checks_run == [PLAN, PLAN]
    assert ("UNKNOWN_UNIT", "warning", 22) not in codes(after)
    assert after["findings"] == steps.finding_rows(fresh_result(city_store, policy), "长宁区")


def test_a_new_rules_version_checks_everything_again(city_store, policy, checks_run, monkeypatch) -> None:
    before = night(city_store, policy)
    monkeypatch.setattr(rules.check, "RULES_VERSION", rules.check.RULES_VERSION + "-next")
    after = night(city_store, policy, NEXT_NIGHT)
    assert checks_run == [PLAN, PLAN]
    assert after["findings"] == before["findings"]
    assert after["plans"][0]["run_id"] != before["plans"][0]["run_id"]
    with city_store.transaction() as session:
        assert session.query(CachedCheck).count() == 2


def test_an_edited_lexicon_checks_again(city_store, policy, checks_run, tmp_path) -> None:
    # the lexicon is a file a user edits under the same name: its content is part of the key
    lexicon = tmp_path / "lexicon.yaml"
    lexicon.write_text((ROOT / "data" / "coverage-lexicon.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    own = policy.with_overrides({"coverage": {"lexicon": str(lexicon)}})
    night(city_store, own)
    night(city_store, own, NEXT_NIGHT)
    assert checks_run == [PLAN]
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "  - [政务公开专栏, 公开专栏]\n", encoding="utf-8")
    rules.lexicon.lexicon_file.cache_clear()  # a new process (the next night) reads the file anew
    night(city_store, own.with_overrides({}), NEXT_NIGHT)
    assert checks_run == [PLAN, PLAN]


def test_the_rules_version_follows_the_code(tmp_path) -> None:
    # a forgotten version bump cannot serve an old result: the code's fingerprint is in the version
    for package in rules.check.CHECK_CODE:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    before = rules.check.code_fingerprint(tmp_path)
    assert before == rules.check.code_fingerprint(ROOT)
    assert rules.check.RULES_VERSION.endswith("+" + before)
    assert len(rules.check.RULES_VERSION) <= CachedCheck.__table__.c.rules_version.type.length
    target = tmp_path / "rules" / "coverage.py"
    target.write_text(target.read_text(encoding="utf-8") + "\n# a change\n", encoding="utf-8")
    assert rules.check.code_fingerprint(tmp_path) != before


def test_a_file_check_is_answered_from_its_kept_result(store, policy, registry_dir, checks_run, tmp_path) -> None:
    first, _ = run_check(str(CHANGNING), str(CITY), policy=policy, store=store)
    second, _ = run_check(str(CHANGNING), str(CITY), policy=policy, store=store)
    assert checks_run == [PLAN]
    assert second.to_dict() == first.to_dict()
    assert second.has_errors == first.has_errors
    # The same file with one item removed is a different plan: checked, not served the old result.
    revised = make_draft(CHANGNING, tmp_path / "revised.txt", delete=(5,))
    third, _ = run_check(str(revised), str(CITY), policy=policy, store=store)
    assert checks_run == [PLAN, PLAN]
    assert third.to_dict()["findings"] != first.to_dict()["findings"]


def test_a_run_recorded_through_core_reads_back_as_one_the_orm_saved(store_url, policy, registry_dir) -> None:
    # `gongkai check` of two files records its run with SQLAlchemy Core (store.tables): the rows
    # must be those store.checks.save_check writes for the same check, on SQLite and PostgreSQL.
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from store.checks import save_check
    from store.db import open_store

    store = open_store(store_url)

    result, run_id = run_check(str(CHANGNING), str(CITY), policy=policy, store=store, as_of=AS_OF)
    data = result.to_dict()
    assert data["findings"]
    with store.transaction() as session:
        core = session.get(CheckRun, run_id)
        twin = save_check(session, kind=core.kind, result=data, plan_document_id=None, directive_document_id=None,
                          plan_key=core.plan_key, directive_key=core.directive_key, district=core.district,
                          as_of=AS_OF, result_key=core.result_key)
        twin_id = twin.id
    with store.transaction() as session:
        runs = {r.id: r for r in session.scalars(select(CheckRun).options(selectinload(CheckRun.findings)))}
        columns = [c.key for c in CheckRun.__table__.c if c.key not in ("id", "created_at")]
        assert [getattr(runs[run_id], c) for c in columns] == [getattr(runs[twin_id], c) for c in columns]
        assert runs[run_id].created_at.tzinfo == runs[twin_id].created_at.tzinfo

        def rows(run: CheckRun) -> list[tuple]:
            return sorted((f.code, f.severity, f.directive_item, f.plan_item, f.units, f.message, repr(f.evidence))
                          for f in run.findings)

        assert rows(runs[run_id]) == rows(runs[twin_id]) and len(rows(runs[run_id])) == len(data["findings"])
        (kept,) = session.query(CachedCheck).all()
        assert kept.key == runs[run_id].result_key and kept.result == data
    store.dispose()
