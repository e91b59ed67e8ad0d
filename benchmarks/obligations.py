"""Benchmark: derive and evaluate obligations for a synthetic city.

16 districts × 60 units × a 35-item plan, with a year of filings (each unit's plan and four
quarterly reports, some items done), then status, lights and alert entries as of one day per
quarter. Prints wall time and peak memory per phase; asserts nothing about timings.

    .venv/bin/python benchmarks/obligations.py [--districts 16] [--units 60] [--items 35]
                                               [--tracemalloc] [--db PATH]

Memory: the process's resident set size after each phase and its peak (psutil / getrusage),
which also counts the C side of durable-rules and SQLite. --tracemalloc adds the peak of
Python allocations per phase, but slows every phase down several times, so its times are not
the ones to quote.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import tracemalloc
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import Meter, max_rss_mib  # noqa: E402

DISTRICTS = [
    "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区",
    "宝山区", "嘉定区", "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区",
]
YEAR = 2025
ISSUED = date(YEAR, 2, 20)  # before Q1 ends, so all four quarterly reports are owed
MONTH_ENDS = ["3月底前", "4月", "5月底", "6月", "8月", "9月底前", "10月", "11月底前", "12月", "全年"]


def month_end(phrase: str) -> date:
    if phrase == "全年":
        return date(YEAR, 12, 31)
    month = int(phrase.split("月")[0])
    return (date(YEAR, month % 12 + 1, 1) if month < 12 else date(YEAR + 1, 1, 1)) - timedelta(days=1)


def unit_names(n_units: int) -> dict[str, list[str]]:
    """60 units: departments (区政府办公室 first), streets, towns and parks, in city proportions."""
    parks = max(1, n_units // 30)
    towns = max(1, n_units // 15)
    streets = max(1, n_units // 4)
    departments = n_units - parks - towns - streets
    return {
        "department": ["区政府办公室"] + [f"区测试{i:02d}局" for i in range(1, departments)],
        "street": [f"测试{i:02d}路街道" for i in range(1, streets + 1)],
        "town": [f"测试{i:02d}镇" for i in range(1, towns + 1)],
        "park": [f"测试{i:02d}园区" for i in range(1, parks + 1)],
    }


def write_registries(directory: Path, n_districts: int, n_units: int) -> None:
    for d, district in enumerate(DISTRICTS[:n_districts]):
        lines = [f"district: {district}", "level: district", "transparency_office: 区政府办公室政务公开科", "offices:"]
        lines.append(f"  - {{name: 区政府办公室政务公开科, kind: section, email: gk@d{d}.example.org}}")
        n = 0
        for kind, names in unit_names(n_units).items():
            for name in names:
                n += 1
                lines.append(f"  - {{name: {name}, kind: {kind}, email: u{n}@d{d}.example.org}}")
        (directory / f"d{d:02d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_plan(district: str, d: int, n_units: int, n_items: int, rng: random.Random) -> Any:
    from documents.model import Deadline, Document, Item, UnitMention

    units = unit_names(n_units)
    departments = units["department"]

    def mention(name: str, role: str = "responsible", collective: bool = False) -> UnitMention:
        return UnitMention(name=name, canonical=name, role=role, collective=collective)

    collectives = [mention("各部门", collective=True), mention("各街道（镇）", collective=True),
                   mention("园区", collective=True)]
    items = []
    specials = {
        n_items - 4: ("加强过程管理，每季度报送工作开展情况。", [Deadline("每季度", "recurring", period="quarter")]),
        n_items - 3: ("每年组织开展政府开放月活动。", [Deadline("每年", "recurring", period="year")]),
        n_items - 2: ("决策出台后的10个工作日内，向社会公开意见采纳情况。",
                      [Deadline("决策出台后的10个工作日内", "event", days=10, working_days=True, event="决策出台"),
                       Deadline("全年", "absolute", due=date(YEAR, 12, 31))]),
        n_items - 1: ("开展年度考核评估，并于次年第一季度公开评估结果。",
                      [Deadline("次年第一季度", "next_year", due=date(YEAR + 1, 3, 31), period="q1")]),
        n_items: ("各单位要制订年度政务公开工作计划，并于本要点发布后30天内报区政府办公室政务公开科。",
                  [Deadline("本要点发布后30天内", "relative", due=ISSUED + timedelta(days=30), days=30)]),
    }
    for number in range(1, n_items + 1):
        if number in specials:
            text, deadlines = specials[number]
            unit_list = collectives
        else:
            phrase = rng.choice(MONTH_ENDS)
            text = f"第{number}项任务：做好重点领域信息公开和政策解读工作。"
            deadlines = [Deadline(phrase, "absolute", due=month_end(phrase))]
            lead = [mention(rng.choice(departments), "lead")]
            if number % 4 == 0:  # a few items name two or three departments only
                unit_list = lead + [mention(n) for n in rng.sample(departments, 2)]
            else:
                unit_list = lead + collectives
        items.append(Item(number=number, section_path=[], text=text, units=unit_list, deadlines=deadlines))
    return Document(
        title=f"{YEAR}年{district}政务公开工作要点", year=YEAR, items=items, doc_number=f"测府办〔{YEAR}〕{d + 1}号",
        issuer=f"上海市{district}人民政府办公室", issue_date=ISSUED, place=district, level="district",
        content_hash=f"bench-{d}-{n_units}-{n_items}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=16)
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--items", type=int, default=35)
    parser.add_argument("--db", default=None, help="SQLite file (default: a temporary one)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slow)")
    parser.add_argument("--seed", type=int, default=20250226)
    args = parser.parse_args()
    if args.items < 10:
        parser.error("--items must be at least 10 (the plan has five special items)")

    work = Path(tempfile.mkdtemp(prefix="gongkai-bench-"))
    registries = work / "registry"
    registries.mkdir()
    write_registries(registries, args.districts, args.units)
    os.environ["GONGKAI_REGISTRY_DIR"] = str(registries)  # read by offices.registry

    from pipeline.ingest import ingest_document
    from pipeline.obligations import (
        alert_entries,
        derive_obligations,
        lights,
        obligation_status,
        record_filing,
    )
    from rules.policy import load_policy
    from store import open_store
    from workdays import WorkdayCalendar

    trace = args.tracemalloc
    if trace:
        tracemalloc.start()
    meter = Meter(trace)
    rng = random.Random(args.seed)
    policy = load_policy()
    calendar = WorkdayCalendar()
    store = open_store(args.db or str(work / "bench.db"))
    districts = DISTRICTS[: args.districts]
    print(f"synthetic city: {args.districts} districts × {args.units} units × {args.items}-item plan "
          f"(tracemalloc {'on' if trace else 'off'})")
    print(f"{'phase':<34} {'time':>10}  {'memory':>14}  result")

    plans = [make_plan(district, d, args.units, args.items, rng) for d, district in enumerate(districts)]
    meter.run("ingest plans", lambda: [ingest_document(store, p) for p in plans], lambda r: f"{len(r)} plans")
    first = meter.run("derive obligations", lambda: derive_obligations(store, policy=policy, calendar=calendar),
                      lambda r: f"{r.obligations} obligations, {r.counts.new} new")
    meter.run("derive again (idempotent)", lambda: derive_obligations(store, policy=policy, calendar=calendar),
              lambda r: f"{r.counts.new} new, {r.counts.unchanged} unchanged")

    def file_year() -> int:
        count = 0
        for plan in plans:
            units = [n for names in unit_names(args.units).values() for n in names]
            for unit in units:
                late = rng.random() < 0.15
                plan_day = ISSUED + timedelta(days=rng.randint(31, 45) if late else rng.randint(5, 29))
                record_filing(store, "plan", unit, plan.doc_number, filed_on=plan_day, policy=policy, calendar=calendar)
                count += 1
                for quarter in (1, 2, 3, 4):
                    if rng.random() < 0.1:
                        continue  # some reports never come in
                    end = date(YEAR, 3 * quarter, 1) + timedelta(days=31)
                    day = end.replace(day=1) + timedelta(days=rng.randint(0, 25))
                    record_filing(store, "report", unit, plan.doc_number, period=f"{YEAR}Q{quarter}",
                                  filed_on=day, policy=policy, calendar=calendar)
                    count += 1
        return count

    meter.run("record filings (plan + 4 reports)", file_year, lambda n: f"{n} filings")

    one = plans[0]
    unit = unit_names(args.units)["department"][1]
    meter.run("record an event (re-derives plan)", lambda: record_filing(
        store, "event", unit, one.doc_number, item=args.items - 2, filed_on=date(YEAR, 9, 26), policy=policy,
        calendar=calendar), lambda r: f"due {r.due}")

    for as_of in (date(YEAR, 3, 31), date(YEAR, 6, 30), date(YEAR, 9, 30), date(YEAR, 12, 31)):
        statuses = meter.run(f"status as of {as_of}", lambda as_of=as_of: obligation_status(store, as_of, policy=policy),
                             lambda r: ", ".join(f"{k} {v}" for k, v in sorted(Counter(s.state for s in r).items())))
    result = meter.run("lights (from statuses)", lambda: lights(store, statuses=statuses),
                       lambda r: f"districts {dict(Counter(x.light for x in r.districts))}, "
                                 f"units {dict(Counter(x.unit and x.light for x in r.units))}")
    meter.run("status, one district", lambda: obligation_status(store, date(YEAR, 9, 30), districts[0], policy=policy),
              lambda r: f"{len(r)} obligations")
    meter.run("alert entries", lambda: alert_entries(store, date(YEAR, 9, 30), policy), lambda r: f"{len(r)} entries")
    del result

    total = sum(row[1] for row in meter.rows)
    peak = max((row[2] or 0.0) for row in meter.rows) if trace else None
    print(f"{'total':<34} {total:8.2f} s  peak RSS {max_rss_mib():.0f} MiB"
          + (f", Python peak {peak:.1f} MiB" if peak is not None else ""))
    print(f"first derivation: {first.obligations} obligations for {len(plans)} plans")
    store.dispose()
    shutil.rmtree(work, ignore_errors=True)  # registries and, unless --db was given, the database


if __name__ == "__main__":
    main()
