"""What the nightly reads back from a district run on another worker (pipeline.fanout), and the
fan-out switch (flows.fanout.fanout_mode); the whole fan-out on real workers is tests/test_workers.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.fanout import DistrictNotChecked, stored_district_result, unchecked_plans
from pipeline.ingest import ingest_files
from pipeline.nightly import run_district
from store.checks import CheckRun
from store.db import open_store

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
AS_OF = date(2026, 6, 20)
DISTRICT = "长宁区"


@pytest.fixture
def changning(store_url: str):
    store = open_store(store_url)
    ingest_files(store, [SAMPLES / "shanghai-2026-municipal-plan.txt", SAMPLES / "changning-2026-district-plan.txt"])
    yield store
    store.dispose()


def nightly_runs(store) -> int:
    with store.transaction() as session:
        return session.query(CheckRun).filter_by(kind="nightly").count()


def test_a_district_is_read_back_only_when_its_run_checked_it(changning, policy) -> None:
    assert unchecked_plans(changning, DISTRICT, AS_OF, policy) == ["长府办〔2026〕8号"]
    with pytest.raises(DistrictNotChecked, match="长府办〔2026〕8号"):
        stored_district_result(changning, DISTRICT, AS_OF, policy)
    assert nightly_runs(changning) == 0  # refusing wrote nothing

    checked = run_district(changning, DISTRICT, AS_OF, policy)  # what the district-check run does
    assert unchecked_plans(changning, DISTRICT, AS_OF, policy) == []
    read_back = stored_district_result(changning, DISTRICT, AS_OF, policy)
    assert nightly_runs(changning) == 1  # read back from the stored run, not checked again
    assert read_back["plans"] == checked["plans"] and read_back["findings"] == checked["findings"]
    assert read_back["findings"], "the sample plan has findings to compare"

    # A check made with other settings (another worker's policy file) is not tonight's check.
    stricter = policy.with_overrides({"plan_submission_days": 5})
    assert unchecked_plans(changning, DISTRICT, AS_OF, stricter) == ["长府办〔2026〕8号"]
    # An older night's check does not count for a night before it either.
    assert unchecked_plans(changning, DISTRICT, date(2026, 6, 1), policy) == ["长府办〔2026〕8号"]


def test_fanout_mode_comes_from_the_parameter_or_the_environment(monkeypatch) -> None:
    from flows.fanout import fanout_mode

    monkeypatch.delenv("GONGKAI_FANOUT", raising=False)
    assert fanout_mode(None) == "threads"
    monkeypatch.setenv("GONGKAI_FANOUT", "Deployments")
    assert fanout_mode(None) == "deployments"
    assert fanout_mode("threads") == "threads"
    with pytest.raises(ValueError, match="fanout"):
        fanout_mode("machines")
