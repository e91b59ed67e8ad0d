"""Wall time of the command line: `gongkai --help`, a check of one plan against its directive
(first run on a new store; a new plan on a store that has its directive, as when a district files
its plan; then answered from its kept result), a rejected (empty) file, and `submit-draft` with
no Prefect server configured. Each command runs as a fresh process, `--repeat` times; the best
and the median wall time are printed, and the best CPU time (user + system) of the process, which
other load on a shared machine disturbs less. Asserts nothing about timings.

    .venv/bin/python benchmarks/cli.py [--repeat 5] [--source DIR] [--cache-bytecode]

`--source DIR` runs another checkout's code with this virtualenv (e.g. the commit before a change,
exported with `git archive`), to compare in the same conditions. The environment is passed on as
it is; with PYTHONDONTWRITEBYTECODE set, every run compiles the project's own modules again (about
0.1 s), which an installed command does once: `--cache-bytecode` lets the runs keep them compiled
(in __pycache__ beside the sources, as an installed command does). The first line says which.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
PLAN = SAMPLES / "changning-2026-district-plan.txt"
CITY = SAMPLES / "shanghai-2026-municipal-plan.txt"


def timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and exit code of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from cli.main import app; app()", *args], env=env, cwd=cwd,
                          capture_output=True, timeout=600)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout whose code runs")
    parser.add_argument("--cache-bytecode", action="store_true",
                        help="unset PYTHONDONTWRITEBYTECODE for the runs (modules compiled once, as installed)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gongkai-cli-bench-"))
    env = {**os.environ, "PYTHONPATH": str(args.source.resolve()), "HOME": str(work), "COLUMNS": "120",
           "PREFECT_HOME": str(work / "prefect-home"), "GONGKAI_OUTBOX": str(work / "outbox")}
    for var in ("PREFECT_API_URL", "GONGKAI_DB", "GONGKAI_SMTP_HOST", "GONGKAI_POLICY"):
        env.pop(var, None)
    if args.cache_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    bytecode = "compiled on every run (PYTHONDONTWRITEBYTECODE)" if env.get("PYTHONDONTWRITEBYTECODE") else "cached"
    empty = work / "empty.txt"
    empty.write_bytes(b"")
    draft = work / "draft.txt"
    draft.write_text(PLAN.read_text(encoding="utf-8").replace("1. ", "1. 进一步", 1), encoding="utf-8")
    db = str(work / "g.db")
    timed(["ingest", str(CITY), "--db", db], env, work)
    stored = work / "directive-only.db"
    shutil.copy(db, stored)  # the ingest's last connection closed: the WAL is checkpointed into it
    cases = [
        ("gongkai --help", ["--help"], None),
        ("check PLAN --against DIRECTIVE (first)", ["check", str(PLAN), "--against", str(CITY), "--db", db], "fresh"),
        ("check of a new plan, directive stored", ["check", str(PLAN), "--against", str(CITY), "--db", db], "stored"),
        ("check PLAN --against DIRECTIVE (kept)", ["check", str(PLAN), "--against", str(CITY), "--db", db], None),
        ("check of an empty file (exit 2)", ["check", str(empty), "--against", str(CITY), "--db", db], None),
        ("submit-draft, no Prefect server", ["submit-draft", str(draft), "--as-of", "2026-06-01", "--db", db], None),
    ]
    print(f"code: {args.source.resolve()}; {args.repeat} runs each; project bytecode {bytecode}; "
          f"load average {os.getloadavg()[0]:.1f}")
    for label, argv, mode in cases:
        times, cpus, codes = [], [], set()
        for _ in range(args.repeat):
            if mode == "fresh":  # a new database each time: nothing kept
                fresh = str(work / f"fresh-{len(times)}.db")
                seconds, cpu, code = timed([*argv[:-1], fresh], env, work)
            elif mode == "stored":  # the directive stored, the plan not yet checked
                copy = work / f"stored-{len(times)}.db"
                shutil.copy(stored, copy)
                seconds, cpu, code = timed([*argv[:-1], str(copy)], env, work)
            else:
                seconds, cpu, code = timed(argv, env, work)
            times.append(seconds)
            cpus.append(cpu)
            codes.add(code)
        print(f"{label:<42} best {min(times):6.2f} s  median {statistics.median(times):6.2f} s  "
              f"cpu best {min(cpus):6.2f} s  exit {sorted(codes)}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
