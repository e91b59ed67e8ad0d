"""Twenty nights killed with SIGKILL at random points (during checks, between send and mark,
inside ledger writes, at random flushes and times), each followed by a normal run: every run
after a crash completes, no alert is lost, none arrives twice except the documented same
Message-ID re-send, and no run sees `database is locked` (or, on PostgreSQL, a deadlock or lock
timeout). Every other trial runs its nights with a courier process delivering beside the night,
and one kind of fault kills only the courier, right after it handed a message to the server.
On a SQLite file and on a PostgreSQL database of the session's cluster. The harness is
tests/crash_trials.py."""

from __future__ import annotations

import pytest

from tests.crash_trials import FAULTS, run_trials

TRIALS = 20


@pytest.mark.integration
@pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_twenty_killed_nights(store_kind: str, request: pytest.FixtureRequest, tmp_path, capsys) -> None:
    cluster = request.getfixturevalue("pg_cluster") if store_kind == "postgresql" else None
    summary, results = run_trials(TRIALS, tmp_path, cluster=cluster)
    with capsys.disabled():
        print("\n" + summary.table())
    notes = [(r.index, r.fault, r.point, r.notes) for r in results if r.notes]
    assert summary.trials == TRIALS
    # Half the trials went through the courier path, and their couriers did deliver.
    assert summary.courier_trials >= TRIALS // 2 and summary.courier_sent > 0, summary.table()
    # Every kind of fault point was reached and killed the run (a point past the night's end
    # would let it finish: those do not count as injected).
    assert set(summary.by_fault) == set(FAULTS), summary.by_fault
    assert summary.injected >= TRIALS * 0.8, [(r.fault, r.point) for r in results if not r.injected]
    assert summary.recovered == TRIALS, notes
    assert summary.lost == 0, notes
    assert summary.duplicates == 0, notes
    assert summary.lock_errors == 0, notes
    # Same Message-ID re-sends come only from a kill after the server took the message and
    # before it was marked sent (an after_send, courier or ledger fault, or a timer/flush landing there).
    assert all(r.fault in ("after_send", "courier", "ledger", "timer", "flush") for r in results if r.resent_same_id)
