"""Benchmark: the nightly compliance run over a synthetic city, in-process.

16 districts, each with a 35-item district plan (written as text and parsed, like a real filing)
and 60 units that filed their own plan and quarterly reports; the city plan is the real sample.
The same night is run twice on identical copies of the store: once as plain functions in one
thread (`pipeline.nightly.run_nightly`) and once as the Prefect flow (`nightly_compliance`,
districts in parallel on the thread-pool task runner, temporary local Prefect server). The first
gives where the work goes (parsing, rules, obligations, alerts), the difference between the two
what Prefect adds. Prints figures; asserts nothing about timings.

    .venv/bin/python benchmarks/nightly.py [--districts 16] [--units 60] [--items 35] [--keep]
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import random
import re
import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import Meter, max_rss_mib  # noqa: E402

# Prefect's telemetry writes collide with SQLite locks on the temporary server.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

CITY_PLAN = ROOT / "data" / "samples" / "shanghai-2026-municipal-plan.txt"
DISTRICTS = [
    ("黄浦区", "黄"), ("徐汇区", "徐"), ("长宁区", "长"), ("静安区", "静"), ("普陀区", "普"), ("虹口区", "虹"),
    ("杨浦区", "杨"), ("闵行区", "闵"), ("宝山区", "宝"), ("嘉定区", "嘉"), ("浦东新区", "浦"), ("金山区", "金"),
    ("松江区", "松"), ("青浦区", "青"), ("奉贤区", "奉"), ("崇明区", "崇"),
]
DEPARTMENTS = [
    "区发展改革委", "区教育局", "区科委", "区民政局", "区司法局", "区财政局", "区人力资源社会保障局", "区规划资源局",
    "区生态环境局", "区建设管理委", "区住房保障房屋管理局", "区交通委", "区水务局", "区商务委", "区文化旅游局",
    "区卫生健康委", "区退役军人局", "区应急局", "区审计局", "区国资委", "区市场监管局", "区体育局", "区统计局",
    "区绿化市容局", "区城管执法局", "区医保局", "区数据局", "区城运中心", "区政务服务中心", "区新闻办",
    "区融媒体中心", "区信访办", "区投促办", "区民防办", "区档案局", "区机管局", "区粮食局", "区侨办", "区民宗办",
]
ISSUED = date(2026, 4, 10)  # three weeks after the city plan: on time
AS_OF = date(2026, 9, 30)  # end of Q3: Q2 reports are due, some items' deadlines have passed
DEADLINES = ["5月底前", "6月底前", "7月底前", "8月底前", "9月15日前", "10月底前", "11月底前", "12月底前", "全年"]


# Place names for streets and towns (the header parser reads a place only from Chinese characters).
LOCALITIES = ["华山", "淮海", "南京", "延安", "虹桥", "田林", "枫林", "斜土", "漕河", "长风", "曹杨", "宜川",
              "甘泉", "石泉", "真如", "长寿", "万里", "桃浦", "新泾", "华泾", "梅陇", "江桥", "泗泾", "朱泾"]


def unit_names(n_units: int) -> list[str]:
    """The units of a district: 区政府办公室, departments, then streets and towns (about a third)."""
    local = min(n_units // 3, len(LOCALITIES))
    departments = ["区政府办公室", *DEPARTMENTS][: n_units - local]
    towns = local // 4
    names = LOCALITIES[:local]
    return departments + [f"{n}路街道" for n in names[: local - towns]] + [f"{n}镇" for n in names[local - towns :]]


def write_registry(directory: Path, d: int, district: str, units: list[str]) -> None:
    lines = [f"district: {district}", "level: district", "transparency_office: 区政府办公室政务公开科", "offices:",
             f"  - {{name: 区政府办公室政务公开科, kind: section, email: gk@d{d:02d}.example.org, "
             "is_transparency_section: true}"]
    for n, name in enumerate(units):
        kind = "street" if name.endswith("街道") else "town" if name.endswith("镇") else "department"
        alias = ", aliases: [区府办]" if name == "区政府办公室" else ""
        lines.append(f"  - {{name: {name}{alias}, kind: {kind}, email: u{n:02d}@d{d:02d}.example.org}}")
    (directory / f"d{d:02d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def city_items() -> list[tuple[str, bool]]:
    """(text, binds districts) for each item of the real city plan."""
    from documents.parser import parse_file

    city = parse_file(CITY_PLAN)
    return [(item.text, any("各区" in u.name for u in item.units)) for item in city.items]


def district_plan_text(district: str, abbr: str, d: int, units: list[str], n_items: int,
                       templates: list[tuple[str, bool]], rng: random.Random) -> tuple[str, dict[str, list[int]]]:
    """A district plan as its office would publish it, and the items each unit is named in."""
    binding = [t for t, b in templates if b]
    others = [t for t, b in templates if not b]
    texts = (binding + others)[:n_items]
    while len(texts) < n_items - 1:
        texts.append(f"做好第{len(texts) + 1}项重点领域信息公开工作，按要求及时更新专栏内容。")
    assigned: dict[str, list[int]] = {u: [] for u in units}
    lines = [f"上海市{district}人民政府办公室文件", "", f"{abbr}府办〔2026〕{d + 1}号", "",
             f"上海市{district}人民政府办公室关于印发《2026年{district}政务公开工作要点》的通知", "",
             "区政府各委、办、局，各街道办事处、镇政府：", "",
             f"《2026年{district}政务公开工作要点》已经区政府同意，现印发给你们，请认真按照执行。", "",
             f"上海市{district}人民政府办公室", "", f"{ISSUED.year}年{ISSUED.month}月{ISSUED.day}日", "",
             f"2026年{district}政务公开工作要点", "", "一、重点任务", ""]
    for number, text in enumerate(texts, start=1):
        text = re.sub(r"全市", "全区", text.rstrip("。；;,，")) + "。"
        lead = rng.choice(units[:12])
        others_named = rng.sample(units, 2)
        for unit in {lead, *others_named}:
            assigned[unit].append(number)
        deadline = rng.choice(DEADLINES)
        when = "全年持续推进" if deadline == "全年" else f"{deadline}完成"
        lines += [f"{number}. {text}{when}。（责任单位：{lead}牵头，{'、'.join(others_named)}落实）", ""]
    # The item every unit answers to: the quarterly report on its own work.
    lines += [f"{len(texts) + 1}. 加强过程管理，每季度向区政府办公室政务公开科报送本单位工作开展情况。"
              "（责任单位：各部门、各街道（镇））", ""]
    return "\n".join(lines) + "\n", assigned


def unit_plan_text(district: str, unit: str, parent_number: str, items: list[str]) -> str:
    body = unit.removeprefix("区")
    issuer = f"上海市{district}{body}"
    lines = [f"{issuer}关于印发《2026年{issuer}政务公开工作计划》的通知", "", "各科室：", "",
             f"根据《2026年{district}政务公开工作要点》（{parent_number}），制定本计划，请认真执行。", "",
             issuer, "", f"{ISSUED.year}年{ISSUED.month + 1}月{ISSUED.day}日", "",
             f"2026年{issuer}政务公开工作计划", "", "一、工作任务", ""]
    for number, text in enumerate(items or ["做好本单位政务公开专栏维护。"], start=1):
        lines += [f"{number}. {text}（责任单位：{unit}）", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=16)
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--items", type=int, default=35)
    parser.add_argument("--seed", type=int, default=20260930)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--runner", choices=("threads", "processes"), default="threads",
                        help="the flow's task runner: Prefect's thread pool (the default of the flow) or process pool")
    parser.add_argument("--workers", type=int, default=None,
                        help="max threads/processes for the districts (default: the flow's own, 4 threads)")
    args = parser.parse_args()
    faulthandler.enable()  # a crash in a C extension (durable-rules) prints every thread's stack

    work = Path(tempfile.mkdtemp(prefix="gongkai-nightly-bench-"))
    (work / "registry").mkdir()
    (work / "files").mkdir()
    shutil.copy(ROOT / "data" / "registry" / "shanghai.yaml", work / "registry" / "shanghai.yaml")
    os.environ["GONGKAI_REGISTRY_DIR"] = str(work / "registry")
    os.environ["PREFECT_HOME"] = str(work / "prefect-home")
    os.environ.pop("PREFECT_API_URL", None)  # in-process, on a temporary local server
    for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY"):
        os.environ.pop(var, None)
    os.environ["GONGKAI_OUTBOX"] = str(work / "outbox")

    from documents.parser import parse_file
    from pipeline import nightly as steps
    from pipeline.alerts import current_policy
    from pipeline.ingest import ingest_document
    from pipeline.obligations import record_filing
    from store.db import open_store

    rng = random.Random(args.seed)
    policy = current_policy()
    meter = Meter()
    districts = DISTRICTS[: args.districts]
    units = unit_names(args.units)
    print(f"synthetic city: {len(districts)} districts × {args.items}-item plan × {len(units)} units, as of {AS_OF}")
    print(f"work directory: {work}")

    # ---- the files, as they would be filed
    templates = city_items()
    files: list[Path] = [CITY_PLAN]
    assignments: dict[str, tuple[str, dict[str, list[int]]]] = {}
    for d, (district, abbr) in enumerate(districts):
        write_registry(work / "registry", d, district, units)
        text, assigned = district_plan_text(district, abbr, d, units, args.items, templates, rng)
        plan_path = work / "files" / f"d{d:02d}-plan.txt"
        plan_path.write_text(text, encoding="utf-8")
        files.append(plan_path)
        number = f"{abbr}府办〔2026〕{d + 1}号"
        assignments[district] = (number, assigned)
        item_texts = {int(m.group(1)): m.group(2) for m in re.finditer(r"^(\d+)\. (.+?)（责任单位", text, re.M)}
        for u, unit in enumerate(units):
            path = work / "files" / f"d{d:02d}-u{u:02d}.txt"
            mine = [item_texts[n] for n in assigned[unit]]
            if rng.random() < 0.9:  # most units take up the quarterly report; the rest are findings
                mine.append("每季度向区政府办公室政务公开科报送本单位工作开展情况。")
            path.write_text(unit_plan_text(district, unit, number, mine), encoding="utf-8")
            files.append(path)

    docs = meter.run("parse files", lambda: [parse_file(p) for p in files], lambda r: f"{len(r)} documents")
    parse_seconds = meter.rows[-1][1]
    store = open_store(str(work / "base.db"))
    meter.run("store documents", lambda: [ingest_document(store, doc) for doc in docs],
              lambda r: f"{sum(1 for s in r if s.result.status == 'new')} stored")
    levels = {lvl: sum(1 for doc in docs if doc.level == lvl) for lvl in ("municipal", "district", "unit")}
    print(f"{'':<36} levels: {levels}")

    def file_everything() -> int:
        count = 0
        for number, _assigned in assignments.values():
            for unit in units:
                filed = ISSUED + timedelta(days=rng.randint(5, 45))  # some a little late
                record_filing(store, "plan", unit, number, filed_on=filed, policy=policy)
                count += 1
                # Q2's report (the first owed for an April plan) is due in mid-July; most came in.
                if rng.random() < 0.9:
                    record_filing(store, "report", unit, number, period="2026Q2",
                                  filed_on=date(2026, 7, rng.randint(1, 20)), policy=policy)
                    count += 1
        return count

    meter.run("record filings (setup)", file_everything, lambda n: f"{n} filings")
    store.dispose()
    shutil.copy(work / "base.db", work / "plain.db")
    shutil.copy(work / "base.db", work / "flow.db")

    # ---- the night without Prefect: where the work goes
    plain_store = open_store(str(work / "plain.db"))
    plain = meter.run("nightly, plain functions", lambda: steps.run_nightly(plain_store, AS_OF, policy),
                      lambda s: f"{s['plans']} plans, {s['alerts'].get('sent', 0)} mails, failed {len(s['failed'])}")
    plain_store.dispose()
    plain_wall = meter.rows[-1][1]
    rules = sum(r["seconds"]["rules"] for r in plain["districts"].values())
    obligations = plain["seconds"]["obligations"] + sum(r["seconds"]["obligations"] for r in plain["districts"].values())
    alerts = plain["seconds"]["alerts"]

    # ---- the same night as the Prefect flow
    from prefect import flow
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    from flows.nightly import nightly_compliance

    if args.runner == "processes":
        nightly = nightly_compliance.with_options(task_runner=ProcessPoolTaskRunner(max_workers=args.workers))
    elif args.workers:
        nightly = nightly_compliance.with_options(task_runner=ThreadPoolTaskRunner(max_workers=args.workers))
    else:
        nightly = nightly_compliance
    print(f"{'':<36} flow task runner: {args.runner}, workers: {args.workers or 'default'}")

    @flow(name="warm-up")
    def warm_up() -> None:
        return None

    meter.run("Prefect: temporary server + 1st run", lambda: warm_up())
    server_seconds = meter.rows[-1][1]
    flowed = meter.run("nightly, Prefect flow", lambda: nightly(as_of=AS_OF, db=str(work / "flow.db")),
                       lambda s: f"{s['plans']} plans, {s['alerts'].get('sent', 0)} mails, failed {len(s['failed'])}")
    flow_wall = meter.rows[-1][1]

    # ---- shares of the whole job: filing (parsing) + the night (rules, obligations, alerts) + Prefect
    overhead = flow_wall - plain_wall
    whole = parse_seconds + flow_wall
    print()
    print(f"findings: {plain['counts']}  obligations: {plain['obligations']}")
    print(f"flow and plain run agree on counts: {flowed['counts'] == plain['counts']}")
    print(f"{'share of parse + flow run':<36} {'seconds':>8}  {'share':>6}")
    for name, seconds in (("parsing (all files)", parse_seconds), ("rules (checks)", rules),
                          ("obligations (derive + evaluate)", obligations), ("alerts (collect, render, send)", alerts),
                          ("Prefect overhead (flow − plain)", overhead)):
        print(f"{name:<36} {seconds:8.2f}  {seconds / whole:6.1%}")
    print(f"{'total (parse + flow run)':<36} {whole:8.2f}")
    print(f"temporary Prefect server start (not in the total): {server_seconds:.1f} s")
    print(f"max RSS of the process: {max_rss_mib():.0f} MiB")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
