"""Benchmark: the nightly compliance run over a synthetic city, in-process, as it grows.

Each district has a 35-item district plan (written as text and parsed, like a real filing) and 60
units that filed their own plan and quarterly reports; the city plan is the real sample. For each
city size (4, 8, 16, 32 districts) a fresh child process builds the store (not timed) and runs
three nights as plain functions (`pipeline.nightly.run_nightly`, alerts over SMTP to aiosmtpd on
loopback, in a process of its own unless `--server thread`; no Prefect server), and for the size the JSON line reports, the first night again with
the districts in 2 worker processes:

- cold: the first night, everything new (every plan checked);
- warm: the next night, nothing changed (kept check results; obligations and alerts re-evaluated);
- one changed: one district issues a new version of its plan (it and its units' plans re-checked).

It prints the growth table, then ONE JSON line with the figures of the 16-district city (or the
largest size run): cold_s, warm_s, one_changed_s, peak_mib (the child's max RSS), digests_per_s
(digests of the cold night / its alert stage: collect, render, ledger, outbox, SMTP) and
rules_vs_raw (the cold night's rules stage / asserting the same facts into durable-rules
directly, measured in the same child; a line per size splits the rules stage into the time
inside `run_ruleset` — rules.engine's layer and durable-rules — and the rest). `--flow` adds a
run of the Prefect flow (temporary server, its start-up not counted) with 1 and 2 worker
processes. Asserts nothing about timings.

    .venv/bin/python benchmarks/nightly.py [--sizes 4,8,16,32] [--units 60] [--items 35] [--quick] [--flow]
                                           [--server process|thread]
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import max_rss_mib  # noqa: E402

# Prefect's telemetry writes collide with SQLite locks on the temporary server.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

CITY_PLAN = ROOT / "data" / "samples" / "shanghai-2026-municipal-plan.txt"
DISTRICTS = [
    ("黄浦区", "黄"), ("徐汇区", "徐"), ("长宁区", "长"), ("静安区", "静"), ("普陀区", "普"), ("虹口区", "虹"),
    ("杨浦区", "杨"), ("闵行区", "闵"), ("宝山区", "宝"), ("嘉定区", "嘉"), ("浦东新区", "浦"), ("金山区", "金"),
    ("松江区", "松"), ("青浦区", "青"), ("奉贤区", "奉"), ("崇明区", "崇"),
    # Made-up districts for the larger cities.
    ("东滩区", "滩"), ("西岸区", "岸"), ("南汇区", "汇"), ("北站区", "站"), ("临港区", "临"), ("张江区", "张"),
    ("吴淞区", "淞"), ("南桥区", "桥"), ("朱家角区", "朱"), ("枫泾区", "枫"), ("安亭区", "亭"), ("罗店区", "罗"),
    ("泗泾区", "泗"), ("惠南区", "惠"), ("川沙区", "川"), ("高桥区", "高"),
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



def build_city(work: Path, n_districts: int, n_units: int, n_items: int, seed: int,
               db: str | None = None) -> dict[str, Any]:
    """Write the city's files and registries, parse and store them, record the units' filings,
    into `db` (a SQLAlchemy URL; default work/city.db). Returns what the nights need (the store,
    the district plans' paths)."""
    from documents.parser import parse_file
    from pipeline.alerts import current_policy
    from pipeline.ingest import ingest_document
    from pipeline.obligations import record_filing
    from store.db import open_store

    rng = random.Random(seed)
    policy = current_policy()
    districts = DISTRICTS[:n_districts]
    units = unit_names(n_units)
    (work / "registry").mkdir()
    (work / "files").mkdir()
    shutil.copy(ROOT / "data" / "registry" / "shanghai.yaml", work / "registry" / "shanghai.yaml")
    templates = city_items()
    files: list[Path] = [CITY_PLAN]
    assignments: dict[str, tuple[str, dict[str, list[int]]]] = {}
    plan_paths: dict[str, Path] = {}
    for d, (district, abbr) in enumerate(districts):
        write_registry(work / "registry", d, district, units)
        text, assigned = district_plan_text(district, abbr, d, units, n_items, templates, rng)
        plan_path = work / "files" / f"d{d:02d}-plan.txt"
        plan_path.write_text(text, encoding="utf-8")
        files.append(plan_path)
        plan_paths[district] = plan_path
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
    db = db or str(work / "city.db")
    store = open_store(db)
    for path in files:
        ingest_document(store, parse_file(path))
    for number, _assigned in assignments.values():
        for unit in units:
            record_filing(store, "plan", unit, number, filed_on=ISSUED + timedelta(days=rng.randint(5, 45)),
                          policy=policy)
            if rng.random() < 0.9:  # Q2's report, due mid-July: most came in
                record_filing(store, "report", unit, number, period="2026Q2",
                              filed_on=date(2026, 7, rng.randint(1, 20)), policy=policy)
    store.dispose()
    return {"db": db, "plan_paths": plan_paths, "documents": len(files)}


class FactRecorder:
    """Records the facts the rule families assert (to replay them into durable-rules directly)."""

    MODULES = ("rules.coverage", "rules.assignment", "rules.timing")

    def __init__(self) -> None:
        import importlib

        self.batches: list[tuple[str, list[dict[str, Any]]]] = []
        self.engine_s = 0.0  # time inside run_ruleset: rules.engine's layer and durable-rules
        self._modules = [importlib.import_module(name) for name in self.MODULES]
        self._originals = [module.run_ruleset for module in self._modules]

    def __enter__(self) -> FactRecorder:
        for module, original in zip(self._modules, self._originals, strict=True):
            def recording(name: str, facts: list[dict[str, Any]], _original=original) -> Any:
                self.batches.append((name, list(facts)))
                started = time.perf_counter()
                try:
                    return _original(name, facts)
                finally:
                    self.engine_s += time.perf_counter() - started

            module.run_ruleset = recording
        return self

    def __exit__(self, *exc: object) -> None:
        for module, original in zip(self._modules, self._originals, strict=True):
            module.run_ruleset = original

    def replay_raw(self) -> float:
        """Seconds to assert the recorded facts into their rulesets directly (the same condition
        fields and batches as rules.engine, no Python on either side)."""
        from durable.lang import assert_facts, get_host

        from rules.engine import BATCH, _condition_fields, _lock

        started = time.perf_counter()
        with _lock:
            for n, (name, facts) in enumerate(self.batches):
                sid = f"raw-{n}"
                prepared = [{**_condition_fields(f), "sid": sid, "check_id": sid, "fact_id": i}
                            for i, f in enumerate(facts)]
                for start in range(0, len(prepared), BATCH):
                    assert_facts(name, prepared[start : start + BATCH])
                get_host().delete_state(name, sid)
        return time.perf_counter() - started


def revise_one_plan(path: Path) -> str:
    """The district's new version of its plan: one item reworded (the same 发文字号)."""
    text = path.read_text(encoding="utf-8")
    return text.replace("1. ", "1. 进一步", 1)


def run_size(n_districts: int, args: argparse.Namespace, queue: Any) -> None:
    """One city size in this (child) process: build, then the cold, warm and one-changed nights."""
    try:
        queue.put(_run_size(n_districts, args))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        import traceback

        queue.put({"error": f"{exc}\n{traceback.format_exc()}"})


def _run_size(n_districts: int, args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.alerts import SmtpServer

    work = Path(tempfile.mkdtemp(prefix=f"gongkai-nightly-{n_districts}-"))
    os.environ["GONGKAI_REGISTRY_DIR"] = str(work / "registry")
    os.environ["GONGKAI_OUTBOX"] = str(work / "outbox")
    for var in ("GONGKAI_SMTP_HOST", "GONGKAI_SMTP_CONFIG", "GONGKAI_POLICY", "PREFECT_API_URL"):
        os.environ.pop(var, None)

    from documents.parser import parse_file
    from notifications.transport import SmtpSettings, SmtpTransport
    from pipeline import nightly as steps
    from pipeline.alerts import current_policy
    from pipeline.ingest import ingest_document
    from store.db import open_store

    t0 = time.perf_counter()
    city = build_city(work, n_districts, args.units, args.items, args.seed)
    setup = time.perf_counter() - t0
    policy = current_policy()
    # aiosmtpd on loopback, in a process of its own as a mail server is (`--server thread`: in a
    # thread of this process, where its Python work competes with the night's for the GIL)
    server = SmtpServer(args.server).__enter__()
    try:
        settings = SmtpSettings.from_mapping({"host": "127.0.0.1", "port": server.port, "timeout": 30,
                                              "mail_from": "政务公开科 <noreply@gov.test>"})
        compare = n_districts == args.workers_size
        if compare:  # the same first night again, districts in 2 processes, on a copy of the store
            shutil.copy(city["db"], work / "city-2w.db")
        store = open_store(city["db"])

        # CPU seconds per night of this process and the ones it forked (district workers, the alert
        # courier; not the SMTP server): what the load cannot inflate
        cpu: list[float] = []

        def cpu_seconds() -> float:
            return time.process_time() + sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])

        def night(day: date, on: Any = None, workers: int = 1) -> tuple[float, dict[str, Any]]:
            started, cpu_started = time.perf_counter(), cpu_seconds()
            summary = steps.run_nightly(on or store, day, policy, transport=SmtpTransport(settings),
                                        workers=workers)
            if summary["failed"]:
                raise RuntimeError(f"districts failed: {summary['failed']}")
            cpu.append(cpu_seconds() - cpu_started)
            return time.perf_counter() - started, summary

        with FactRecorder() as recorder:
            cold_s, cold = night(AS_OF)
        raw_s = recorder.replay_raw()
        engine_s = recorder.engine_s
        warm_s, warm = night(AS_OF + timedelta(days=1))
        # One district issues a new version of its plan (stored before the night, not timed).
        first = DISTRICTS[0][0]
        revised = work / "files" / "d00-plan-v2.txt"
        revised.write_text(revise_one_plan(city["plan_paths"][first]), encoding="utf-8")
        ingest_document(store, parse_file(revised))
        one_s, one = night(AS_OF + timedelta(days=2))
        store.dispose()
        cold_2w_s = None
        if compare:
            other = open_store(str(work / "city-2w.db"))
            cold_2w_s, cold_2w = night(AS_OF, other, workers=2)
            other.dispose()
            if cold_2w["counts"] != cold["counts"] or cold_2w["alerts"]["digests"] != cold["alerts"]["digests"]:
                raise RuntimeError("2 workers gave another night than 1")
    finally:
        received = server.count
        server.__exit__(None, None, None)

    def rules_seconds(summary: dict[str, Any]) -> float:
        return sum(r["seconds"]["rules"] for r in summary["districts"].values())

    rules_s = rules_seconds(cold)
    alerts_s = cold["seconds"]["alerts"]
    digests = cold["alerts"].get("digests", 0)
    result = {
        "districts": n_districts, "plans": cold["plans"], "documents": city["documents"], "setup_s": setup,
        "cold_s": cold_s, "warm_s": warm_s, "one_changed_s": one_s,
        "cold_cpu_s": cpu[0], "warm_cpu_s": cpu[1], "one_changed_cpu_s": cpu[2],
        "cold_rules_s": rules_s, "cold_obligations_s": cold["seconds"]["obligations"]
        + sum(r["seconds"]["obligations"] for r in cold["districts"].values()),
        "cold_alerts_s": alerts_s, "warm_rules_s": rules_seconds(warm), "one_changed_rules_s": rules_seconds(one),
        "warm_alerts_s": warm["seconds"]["alerts"],
        "digests": digests, "received": received,
        "digests_per_s": digests / alerts_s if alerts_s else 0.0,
        "raw_rules_s": raw_s, "rules_vs_raw": rules_s / raw_s if raw_s else 0.0,
        "engine_s": engine_s, "engine_vs_raw": engine_s / raw_s if raw_s else 0.0,
        "counts_equal": cold["counts"] == warm["counts"],
        "cold_2w_s": cold_2w_s,
        "peak_mib": max_rss_mib(),
    }
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        result["work"] = str(work)
    return result


def flow_workers(args: argparse.Namespace) -> None:
    """The Prefect flow on a 16-district (or smaller) city with 1 and 2 worker processes."""
    work = Path(tempfile.mkdtemp(prefix="gongkai-nightly-flow-"))
    os.environ["GONGKAI_REGISTRY_DIR"] = str(work / "registry")
    os.environ["GONGKAI_OUTBOX"] = str(work / "outbox")
    os.environ["PREFECT_HOME"] = str(work / "prefect-home")
    os.environ.pop("PREFECT_API_URL", None)
    n = min(16, max(args.sizes))
    city = build_city(work, n, args.units, args.items, args.seed)
    from prefect import flow
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    from flows.nightly import nightly_compliance

    @flow(name="warm-up")
    def warm_up() -> None:
        return None

    started = time.perf_counter()
    warm_up()
    print(f"Prefect: temporary server + first run {time.perf_counter() - started:.1f} s (not counted)")
    for label, runner in (("threads ×4", ThreadPoolTaskRunner(max_workers=4)),
                          ("processes ×1", ProcessPoolTaskRunner(max_workers=1)),
                          ("processes ×2", ProcessPoolTaskRunner(max_workers=2))):
        db = work / f"flow-{label.split()[0]}-{label[-1]}.db"
        shutil.copy(city["db"], db)
        started = time.perf_counter()
        summary = nightly_compliance.with_options(task_runner=runner)(as_of=AS_OF, db=str(db))
        print(f"flow, {n} districts, cold night, {label:<13} {time.perf_counter() - started:7.2f} s "
              f"({summary['plans']} plans, failed {len(summary['failed'])})")
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4,8,16,32", help="district counts of the growth table")
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--items", type=int, default=35)
    parser.add_argument("--seed", type=int, default=20260930)
    parser.add_argument("--quick", action="store_true", help="a small run: sizes 4,8 with 20 units and 20 items")
    parser.add_argument("--flow", action="store_true", help="also run the Prefect flow with 1 and 2 worker processes")
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    parser.add_argument("--server", choices=("process", "thread"), default="process",
                        help="where aiosmtpd runs: a process of its own (default) or a thread of the night's")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.units, args.items = "4,8", 20, 20
    args.sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    args.workers_size = 16 if 16 in args.sizes else max(args.sizes)  # the size the JSON line reports
    if max(args.sizes) > len(DISTRICTS):
        parser.error(f"at most {len(DISTRICTS)} districts")
    faulthandler.enable()  # a crash in a C extension (durable-rules) prints every thread's stack

    ctx = multiprocessing.get_context("fork")
    print(f"synthetic city: districts × {args.items}-item plan × {args.units} units, as of {AS_OF}; "
          "each size in its own process, store built first (not timed)")
    header = (f"{'districts':>9} {'plans':>6} {'setup':>7} {'cold':>7} {'rules':>7} {'alerts':>7} "
              f"{'warm':>6} {'w.rules':>7} {'1 chg':>6} {'digests':>7} {'dig/s':>6} {'rules/raw':>9} {'peak MiB':>8}")
    print(header)
    results = []
    for size in args.sizes:
        queue = ctx.Queue()
        child = ctx.Process(target=run_size, args=(size, args, queue))
        child.start()
        result = queue.get()
        child.join()
        if "error" in result:
            raise SystemExit(f"{size} districts failed: {result['error']}")
        results.append(result)
        r = result
        print(f"{r['districts']:>9} {r['plans']:>6} {r['setup_s']:7.1f} {r['cold_s']:7.2f} {r['cold_rules_s']:7.2f} "
              f"{r['cold_alerts_s']:7.2f} {r['warm_s']:6.2f} {r['warm_rules_s']:7.2f} {r['one_changed_s']:6.2f} {r['digests']:>7} "
              f"{r['digests_per_s']:6.0f} {r['rules_vs_raw']:9.1f} {r['peak_mib']:8.0f}", flush=True)
    base = results[0]
    print("per plan (cold night):", ", ".join(f"{r['districts']}: {r['cold_s'] / r['plans'] * 1000:.1f} ms"
                                              for r in results))
    print(f"warm night counts equal the cold night's: {all(r['counts_equal'] for r in results)}; "
          f"cold/plan grows {results[-1]['cold_s'] / results[-1]['plans'] / (base['cold_s'] / base['plans']):.2f}× "
          f"from {base['districts']} to {results[-1]['districts']} districts")
    for r in results:
        if r.get("cold_2w_s"):
            print(f"cold night, {r['districts']} districts: 1 worker process {r['cold_s']:.2f} s, "
                  f"2 worker processes {r['cold_2w_s']:.2f} s (pipeline.nightly.run_nightly(workers=…))")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}; CPU seconds of the nights' process and the "
          "processes it forked (with --server thread, the SMTP server's work included; what other load cannot "
          "inflate):")
    for r in results:
        print(f"  {r['districts']} districts: cold {r['cold_cpu_s']:.2f}, warm {r['warm_cpu_s']:.2f}, "
              f"one changed {r['one_changed_cpu_s']:.2f}")
    for r in results:
        print(f"rules stage, cold night, {r['districts']} districts: {r['cold_rules_s']:.2f} s, of it "
              f"{r['engine_s']:.2f} s in run_ruleset (rules.engine + durable-rules); the same facts asserted "
              f"directly {r['raw_rules_s']:.2f} s: run_ruleset / raw {r['engine_vs_raw']:.2f}×, whole stage / raw "
              f"{r['rules_vs_raw']:.1f}× (the rest: matching, reading and writing the store)")
    if args.flow:
        flow_workers(args)
    head = next((r for r in results if r["districts"] == 16), results[-1])
    print(json.dumps({
        "cold_s": round(head["cold_s"], 2), "warm_s": round(head["warm_s"], 2),
        "one_changed_s": round(head["one_changed_s"], 2), "peak_mib": round(head["peak_mib"]),
        "digests_per_s": round(head["digests_per_s"]), "rules_vs_raw": round(head["rules_vs_raw"], 2),
        # beside the goals' figures: the first night with districts in 2 processes, and the
        # rule engine layer alone (run_ruleset) against the same facts asserted directly
        "cold_2w_s": round(head["cold_2w_s"], 2) if head.get("cold_2w_s") else None,
        "engine_vs_raw": round(head["engine_vs_raw"], 2),
    }))


if __name__ == "__main__":
    main()
