"""Benchmark: the dashboard and the reports on the synthetic city (16 districts × 60 units).

The city is the one of benchmarks/nightly.py (its generators are imported): the real city plan,
16 district plans, every unit's own plan and most Q2 reports filed, one nightly run (plain
functions) as of 2026-09-30. Then `gongkai serve`'s app runs on a loopback port (uvicorn in a
thread) and the overview and district pages are fetched over HTTP: the first fetch builds the
day's view of the store, later ones reuse it until the store changes. Finally the city workbook,
the 通报 and the HTML report are written. Prints figures; asserts nothing about timings.

    .venv/bin/python benchmarks/web.py [--districts 16] [--units 60] [--items 35] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import Meter, max_rss_mib  # noqa: E402
from benchmarks.nightly import (  # noqa: E402
    AS_OF,
    CITY_PLAN,
    DISTRICTS,
    ISSUED,
    city_items,
    district_plan_text,
    unit_names,
    unit_plan_text,
    write_registry,
)

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def build_city(work: Path, n_districts: int, n_units: int, n_items: int, seed: int, meter: Meter):
    """The synthetic city's store after one nightly run; returns the open store."""
    from documents.parser import parse_file
    from pipeline import nightly as steps
    from pipeline.alerts import current_policy
    from pipeline.ingest import ingest_document
    from pipeline.obligations import record_filing
    from store.db import open_store

    rng = random.Random(seed)
    policy = current_policy()
    units = unit_names(n_units)
    templates = city_items()
    files: list[Path] = [CITY_PLAN]
    numbers: list[str] = []
    for d, (district, abbr) in enumerate(DISTRICTS[:n_districts]):
        write_registry(work / "registry", d, district, units)
        text, assigned = district_plan_text(district, abbr, d, units, n_items, templates, rng)
        plan_path = work / "files" / f"d{d:02d}-plan.txt"
        plan_path.write_text(text, encoding="utf-8")
        files.append(plan_path)
        number = f"{abbr}府办〔2026〕{d + 1}号"
        numbers.append(number)
        item_texts = {int(m.group(1)): m.group(2) for m in re.finditer(r"^(\d+)\. (.+?)（责任单位", text, re.M)}
        for u, unit in enumerate(units):
            mine = [item_texts[n] for n in assigned[unit]]
            if rng.random() < 0.9:
                mine.append("每季度向区政府办公室政务公开科报送本单位工作开展情况。")
            path = work / "files" / f"d{d:02d}-u{u:02d}.txt"
            path.write_text(unit_plan_text(district, unit, number, mine), encoding="utf-8")
            files.append(path)
    docs = meter.run("parse files", lambda: [parse_file(p) for p in files], lambda r: f"{len(r)} documents")
    store = open_store(str(work / "city.db"))
    meter.run("store documents", lambda: [ingest_document(store, doc) for doc in docs])

    def file_everything() -> int:
        count = 0
        for number in numbers:
            for unit in units:
                record_filing(store, "plan", unit, number, filed_on=ISSUED + timedelta(days=rng.randint(5, 45)),
                              policy=policy)
                count += 1
                if rng.random() < 0.9:
                    record_filing(store, "report", unit, number, period="2026Q2",
                                  filed_on=date(2026, 7, rng.randint(1, 20)), policy=policy)
                    count += 1
        return count

    meter.run("record filings", file_everything, lambda n: f"{n} filings")
    meter.run("nightly run (plain functions)", lambda: steps.run_nightly(store, AS_OF, policy),
              lambda s: f"{s['plans']} plans, findings {s['counts']}")
    return store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=16)
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--items", type=int, default=35)
    parser.add_argument("--seed", type=int, default=20260930)
    parser.add_argument("--repeat", type=int, default=20, help="fetches per page after the first")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (its city.db can be reused)")
    parser.add_argument("--reuse", type=Path, default=None,
                        help="a work directory kept by --keep: measure its city.db instead of building one")
    args = parser.parse_args()

    work = args.reuse or Path(tempfile.mkdtemp(prefix="gongkai-web-bench-"))
    if args.reuse is None:
        (work / "registry").mkdir()
        (work / "files").mkdir()
        shutil.copy(ROOT / "data" / "registry" / "shanghai.yaml", work / "registry" / "shanghai.yaml")
    os.environ["GONGKAI_REGISTRY_DIR"] = str(work / "registry")
    os.environ["GONGKAI_OUTBOX"] = str(work / "outbox")
    for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY", "PREFECT_API_URL"):
        os.environ.pop(var, None)

    import httpx
    import uvicorn

    from reports.model import build_snapshot
    from reports.writer import write_report
    from web.app import Settings, create_app

    meter = Meter()
    print(f"synthetic city: {args.districts} districts × {args.units} units × {args.items}-item plans, as of {AS_OF}")
    if args.reuse is not None:
        from store.db import open_store

        store = open_store(str(work / "city.db"))
    else:
        store = build_city(work, args.districts, args.units, args.items, args.seed, meter)

    app = create_app(store, Settings(token=None, as_of=AS_OF))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    while not server.started:
        time.sleep(0.05)
    # `gongkai serve` builds the day's view before it takes requests; so does this.
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    cpu = time.process_time()
    meter.run("view of the store at start", lambda: app.state.cache.get(AS_OF),
              lambda s: f"{len(s.statuses)} duties, {len(s.plans)} plans, cpu {time.process_time() - cpu:.2f} s")

    districts = [name for name, _abbr in DISTRICTS[: args.districts]]
    snapshot = app.state.cache.get(AS_OF)
    district_plan = next(p for p in snapshot.district(districts[0]).plans if p.level == "district")
    pages = [("overview", "/"), (f"district {districts[0]}", f"/districts/{quote(districts[0])}"),
             (f"plan {district_plan.name}", f"/plans/{district_plan.id}")]
    print()
    print("first: the page rendered; overview and district pages are then served from the rendered page until")
    print("the store changes (a change costs one 'view of the store' first); a plan page is read and rendered each time")
    print(f"{'page':<28} {'first':>9} {'median':>9} {'p95':>9} {'max':>9}  {'bytes':>9} {'gzip':>8}")
    figures: dict[str, float] = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        for name, path in pages:
            started = time.perf_counter()
            response = client.get(path)
            first = time.perf_counter() - started
            response.raise_for_status()
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                times.append(time.perf_counter() - started)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            figures[name] = statistics.median(times)
            print(f"{name:<28} {first * 1000:7.0f}ms {statistics.median(times) * 1000:7.0f}ms {p95 * 1000:7.0f}ms "
                  f"{times[-1] * 1000:7.0f}ms  {len(response.content):9d} {response.num_bytes_downloaded:8d}")
        every = []
        for district in districts[1:]:
            started = time.perf_counter()
            client.get(f"/districts/{quote(district)}").raise_for_status()
            every.append(time.perf_counter() - started)
        print(f"{'first of the other ' + str(len(districts) - 1):<28} {'':>9} {statistics.median(every) * 1000:7.0f}ms "
              f"{'':>9} {max(every) * 1000:7.0f}ms")
    server.should_exit = True
    thread.join(timeout=10)

    print()
    # CPU seconds beside wall seconds: on a shared machine the wall time grows with the load.
    cpu = time.process_time()
    snapshot = meter.run("view of the store (snapshot)", lambda: build_snapshot(store, AS_OF),
                         lambda s: f"{len(s.statuses)} duties, {len(s.plans)} plans, cpu {time.process_time() - cpu:.2f} s")
    out = work / "reports"
    for fmt in ("xlsx", "docx", "html"):
        cpu = time.process_time()
        meter.run(f"city {fmt} (snapshot + write)", lambda fmt=fmt: write_report(store, fmt, out / f"city.{fmt}", as_of=AS_OF),
                  lambda p, cpu=cpu: f"{p.stat().st_size / 1024:.0f} KiB, cpu {time.process_time() - cpu:.2f} s")
    from reports.xlsx import write_xlsx

    cpu = time.process_time()
    meter.run("city xlsx (write only)", lambda: write_xlsx(store, snapshot, out / "again.xlsx"),
              lambda p: f"{p.stat().st_size / 1024:.0f} KiB, cpu {time.process_time() - cpu:.2f} s")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"max RSS of the process: {max_rss_mib():.0f} MiB")
    store.dispose()
    if args.keep or args.reuse is not None:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
