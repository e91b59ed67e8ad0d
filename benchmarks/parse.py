"""Parse throughput (characters per second) and peak memory over the bundled samples.

Run: .venv/bin/python benchmarks/parse.py [--repeat N]
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from documents.parser import parse_file  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    files = sorted(SAMPLES.glob("*.txt"))
    for f in files:  # warm-up: imports, opencc dictionaries, regex compilation
        parse_file(f)
    print(f"{'file':50} {'chars':>7} {'items':>5} {'ms/parse':>9} {'chars/s':>10}")
    total_chars = 0
    total_time = 0.0
    for f in files:
        chars = len(f.read_text(encoding="utf-8"))
        start = time.perf_counter()
        for _ in range(args.repeat):
            doc = parse_file(f)
        elapsed = (time.perf_counter() - start) / args.repeat
        total_chars += chars
        total_time += elapsed
        print(f"{f.name:50} {chars:7d} {len(doc.items):5d} {elapsed * 1000:9.1f} {chars / elapsed:10.0f}")
    print(f"{'all samples':50} {total_chars:7d} {'':5} {total_time * 1000:9.1f} {total_chars / total_time:10.0f}")
    tracemalloc.start()
    for f in files:
        parse_file(f)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak traced memory while parsing all five: {peak / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
