"""Crash trials: nights killed with SIGKILL at random points, then run again (tests/crash_trials.py).

    .venv/bin/python benchmarks/crash_trials.py [--trials 50] [--seed 14] [--store sqlite|postgresql]

With `--store postgresql` the stores are databases on a private PostgreSQL cluster started for
the run (tests/pg_cluster.py; the server binaries come from Debian's `postgresql`).

Prints the table (trials, faults injected, mails lost, duplicates beyond the documented same
Message-ID re-sends, lock errors) and one line per trial; nothing is asserted here
(tests/test_crashes.py asserts the zeros on 20 trials).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crash_trials import run_trials  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    cluster = None
    if args.store == "postgresql":
        from tests.pg_cluster import PgCluster

        cluster = PgCluster().start()
    try:
        with tempfile.TemporaryDirectory(prefix="gongkai-crash-") as tmp:
            summary, results = run_trials(args.trials, Path(tmp), seed=args.seed, cluster=cluster)
    finally:
        if cluster is not None:
            cluster.stop()
    for r in results:
        print(f"#{r.index:<3} {r.fault:<10} at {r.point!s:<6} killed={r.injected!s:<5} next-run-ok={r.recovered!s:<5} "
              f"lost={r.lost} re-sent(same id)={r.resent_same_id} dup={r.duplicates} locks={r.lock_errors}")
    print()
    print(summary.table())


if __name__ == "__main__":
    main()
