"""Check time: the 2026 city plan against the 2026 Changning plan, and synthetic
directive/plan pairs of growing size (up to 200 × 200 and beyond) to show how time grows.

Run: .venv/bin/python benchmarks/check.py
Figures are printed, never asserted.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from documents.model import Document, Item, UnitMention  # noqa: E402
from documents.parser import parse_file  # noqa: E402
from rules.check import check_plan  # noqa: E402
from rules.policy import Policy, load_policy  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def synthetic_pair(size: int, seed: int = 7) -> tuple[Document, Document]:
    """A directive of `size` items built from sentences of the real plans, and a plan that
    takes up most of them (some reworded by dropping a clause, a tenth left out)."""
    rng = random.Random(seed)
    sentences = []
    for f in SAMPLES.glob("*.txt"):
        for item in parse_file(f).items:
            sentences += [s for s in item.text.split("。") if len(s) > 12]
    city_units = [UnitMention("各区政府", "各区政府", "responsible", True), UnitMention("市政府办公厅", "市政府办公厅")]
    district_units = [UnitMention("区府办", "区政府办公室", "lead"), UnitMention("各部门", "各部门", "responsible", True)]
    d_items, p_items = [], []
    for n in range(1, size + 1):
        text = "。".join(rng.sample(sentences, 2)) + "。"
        d_items.append(Item(number=n, section_path=[], text=text, units=city_units))
        if rng.random() < 0.9:
            parts = text.split("，")
            reworded = "，".join(parts[: max(1, len(parts) - 1)]).replace("全市", "全区")
            p_items.append(Item(number=len(p_items) + 1, section_path=[], text=reworded, units=district_units))
    from datetime import date

    directive = Document(title="合成市级方案", year=2026, items=d_items, level="municipal", place="上海市",
                         issue_date=date(2026, 3, 1))
    plan = Document(title="合成区级方案", year=2026, items=p_items, level="district", place="长宁区",
                    issue_date=date(2026, 3, 25))
    return directive, plan


def timed(directive: Document | None, plan: Document, policy: Policy, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        check_plan(plan, directive, policy=policy)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    policy = load_policy()
    city = parse_file(SAMPLES / "shanghai-2026-municipal-plan.txt")
    changning = parse_file(SAMPLES / "changning-2026-district-plan.txt")
    check_plan(changning, city, policy=policy)  # warm-up: rulesets, registries
    print(f"001 (32 items) vs 000 (22 items): {timed(city, changning, policy) * 1000:.1f} ms")
    print(f"{'directive×plan items':>22} {'ms':>9} {'ms per directive item':>22}")
    previous = None
    for size in (25, 50, 100, 200, 400):
        directive, plan = synthetic_pair(size)
        elapsed = timed(directive, plan, policy, repeat=2)
        growth = f"  ×{elapsed / previous:.1f} for ×2 size" if previous else ""
        print(f"{size:>10} × {len(plan.items):<9} {elapsed * 1000:9.1f} {elapsed * 1000 / size:22.2f}{growth}")
        previous = elapsed


if __name__ == "__main__":
    main()
