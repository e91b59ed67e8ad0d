"""Kept obligation derivations (issue 12) never serve stale obligations.

A night re-derives only the plans whose inputs changed (pipeline.obligations.derivation_key).
Each test changes one input, derives with the kept derivations in place, and compares the stored
obligations with a derivation made after every kept derivation was dropped: they must be equal,
and the change must have changed the obligations (so the comparison can fail).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

import pipeline.obligations as obligations
from documents.model import Deadline, Document, Item, UnitMention
from documents.parser import parse_file
from pipeline.ingest import ingest_document, ingest_files
from pipeline.obligations import derive_obligations, obligation_status
from store import obligations as ob_store
from store.db import Store
from workdays import WorkdayCalendar

ROOT = Path(__file__).resolve().parent.parent
CHANGNING = ROOT / "data" / "samples" / "changning-2025-task-table.txt"


def stored(store: Store) -> dict[str, dict[str, Any]]:
    """Every stored obligation (retired ones too) by key: the columns a derivation sets."""
    with store.transaction() as session:
        return {
            r.obligation_key: {"active": r.active, **{c: getattr(r, c) for c in ob_store.DERIVED_COLUMNS}}
            for r in ob_store.list_obligations(session, include_retired=True)
        }


def derived_afresh(store: Store, **kwargs: Any) -> dict[str, dict[str, Any]]:
    """The obligations after dropping every kept derivation and deriving again."""
    with store.transaction() as session:
        session.execute(delete(ob_store.DerivationRecord))
    derive_obligations(store, **kwargs)
    return stored(store)


def assert_never_stale(store: Store, before: dict[str, dict[str, Any]], **kwargs: Any) -> None:
    summary = derive_obligations(store, **kwargs)
    kept = stored(store)
    assert kept != before, "the changed input should change the obligations"
    assert kept == derived_afresh(store, **kwargs)
    assert summary.counts.new + summary.counts.updated + summary.counts.retired > 0


@pytest.fixture
def changning(store, policy) -> Store:
    ingest_files(store, [CHANGNING])
    derive_obligations(store, policy=policy, calendar=WorkdayCalendar())
    return store


def test_an_unchanged_night_reuses_every_derivation(changning, policy, monkeypatch) -> None:
    before = stored(changning)
    calls: list[str] = []
    original = obligations._derive_uncached
    monkeypatch.setattr(obligations, "_derive_uncached",
                        lambda session, record, *a: calls.append(record.doc_key) or original(session, record, *a))
    summary = derive_obligations(changning, policy=policy, calendar=WorkdayCalendar())
    assert calls == []
    assert summary.counts.unchanged == len([o for o in before.values() if o["active"]]) > 0
    assert stored(changning) == before
    # The kept warnings are reported as a derivation would report them.
    assert summary.warnings == derived_afresh_summary(changning, policy).warnings


def derived_afresh_summary(store: Store, policy: Any) -> Any:
    with store.transaction() as session:
        session.execute(delete(ob_store.DerivationRecord))
    return derive_obligations(store, policy=policy, calendar=WorkdayCalendar())


def test_a_new_version_of_the_plan_is_derived_again(changning, policy, tmp_path) -> None:
    before = stored(changning)
    text = CHANGNING.read_text(encoding="utf-8")
    revised = tmp_path / "changning-v2.txt"
    revised.write_text(text.replace("2025 年 4 月 25 日", "2025 年 3 月 25 日", 1), encoding="utf-8")
    assert revised.read_text(encoding="utf-8") != text
    with changning.transaction() as session:  # no re-derivation at ingest: the night must notice
        from store.documents import save_document

        save_document(session, parse_file(revised))
    assert_never_stale(changning, before, policy=policy, calendar=WorkdayCalendar())


def test_a_policy_change_is_derived_again(changning, policy) -> None:
    before = stored(changning)
    longer = policy.model_copy(update={"quarterly_report_working_days": policy.quarterly_report_working_days + 5})
    assert_never_stale(changning, before, policy=longer, calendar=WorkdayCalendar())


def test_a_registry_change_is_derived_again(changning, policy, tmp_path, monkeypatch) -> None:
    before = stored(changning)
    registry_dir = tmp_path / "registry"
    shutil.copytree(ROOT / "data" / "registry", registry_dir)
    path = registry_dir / "changning.yaml"
    text = path.read_text(encoding="utf-8")
    street = "  - {name: 华阳路街道, aliases: [华阳路街道办事处], kind: street, email: hyljd@changning.example.org}\n"
    assert street in text
    path.write_text(text.replace(street, street + street.replace("华阳路", "测试路").replace("hyljd", "csljd")),
                    encoding="utf-8")
    monkeypatch.setenv("GONGKAI_REGISTRY_DIR", str(registry_dir))
    assert_never_stale(changning, before, policy=policy, calendar=WorkdayCalendar())
    assert any(o["unit"] == "测试路街道" for o in stored(changning).values())


def test_a_holiday_file_is_derived_again(changning, policy, tmp_path) -> None:
    before = stored(changning)
    # A report due on a working day becomes a holiday: the due day moves.
    due = next(o["due"] for o in before.values() if o["kind"] == "report" and o["due"] is not None)
    holidays = tmp_path / "holidays.yaml"
    holidays.write_text(f'{due.year}:\n  holidays:\n    - "{due.isoformat()}"\n  workdays: []\n', encoding="utf-8")
    calendar = WorkdayCalendar(holidays)
    assert_never_stale(changning, before, policy=policy, calendar=calendar)
    assert all(o["due"] != due for o in stored(changning).values() if o["kind"] == "report" and o["active"])


def test_a_recorded_event_is_derived_again(store, policy) -> None:
    item = Item(number=1, section_path=[], text="决策出台后的10个工作日内，向社会公开意见的收集、采纳情况。",
                units=[UnitMention(name="区教育局", canonical="区教育局")],
                deadlines=[Deadline(phrase="决策出台后的10个工作日内", kind="event", days=10, working_days=True,
                                    event="决策出台")])
    doc = Document(title="2025年长宁区政务公开测试方案", year=2025, items=[item], doc_number="长府办〔2025〕99号",
                   issuer="上海市长宁区人民政府办公室", issue_date=date(2025, 3, 1), place="长宁区",
                   level="district", content_hash="synthetic-event-plan")
    ingest_document(store, doc)
    derive_obligations(store, policy=policy, calendar=WorkdayCalendar())
    before = stored(store)
    with store.transaction() as session:  # recorded without re-deriving: the night must notice
        ob_store.add_event(session, doc_key="长府办〔2025〕99号", item=1, unit="区教育局", event="决策出台",
                           occurred_on=date(2025, 6, 3))
    assert_never_stale(store, before, policy=policy, calendar=WorkdayCalendar())
    assert any(o["opened_on"] == date(2025, 6, 3) for o in stored(store).values())


def test_a_new_derivation_version_derives_everything_again(changning, policy, monkeypatch) -> None:
    calls: list[str] = []
    original = obligations._derive_uncached
    monkeypatch.setattr(obligations, "_derive_uncached",
                        lambda session, record, *a: calls.append(record.doc_key) or original(session, record, *a))
    derive_obligations(changning, policy=policy, calendar=WorkdayCalendar())
    assert calls == []
    monkeypatch.setattr(obligations, "DERIVATION_VERSION", "next")
    derive_obligations(changning, policy=policy, calendar=WorkdayCalendar())
    assert calls == ["长府办〔2025〕12号"]
    monkeypatch.setattr(obligations, "RULES_VERSION", "next")
    derive_obligations(changning, policy=policy, calendar=WorkdayCalendar())
    assert calls == ["长府办〔2025〕12号"] * 2


def test_states_are_evaluated_for_each_day_from_kept_derivations(changning, policy) -> None:
    """The date-dependent part (states, lights) is evaluated every night: on each day, kept
    derivations give the states fresh ones give, and the days' states differ."""
    seen = []
    for day in (date(2025, 6, 1), date(2025, 8, 1), date(2025, 12, 1)):
        derive_obligations(changning, day, policy=policy, calendar=WorkdayCalendar())
        kept = [(s.key, s.state, s.light, s.days_left) for s in obligation_status(changning, day, policy=policy)]
        with changning.transaction() as session:
            session.execute(delete(ob_store.DerivationRecord))
        derive_obligations(changning, day, policy=policy, calendar=WorkdayCalendar())
        assert kept == [(s.key, s.state, s.light, s.days_left)
                        for s in obligation_status(changning, day, policy=policy)]
        seen.append(sorted(state for _k, state, _l, _d in kept))
    assert seen[0] and seen[0] != seen[1] != seen[2]
