#!/usr/bin/env python3
"""How far can any ranking built from mom's signals get? Ceilings per project, from dumps.

    .venv/bin/python scripts/bench_localize.py --split held --dump /tmp/held.jsonl
    .venv/bin/python scripts/ceiling_localize.py /tmp/held.jsonl --kind deleaked

Issue 13 asks for de-leaked R@5 ≥ role-aware BM25 + 0.05 on 4 of 6 projects. On a small
project where role-aware BM25 already has R@5 ≈ 0.9, that may be out of reach of any
ranking, and these columns say so per project, with hindsight (they read the gold files):
- best of both: per commit, the better of ours and role-aware BM25 (an oracle switch);
- any list: per commit, the best top 5 among ours, both BM25 lists and every dumped
  signal on its own (graph, lexical, history, passage, code, text, path, defs, ...);
- 1 − BM25: the most any ranking could add.
A project whose "any list" gain is below the target cannot reach it by fusing these
signals, whatever the weights. Nothing here is fitted; every row of the dump is read
(use it on a scored set only to measure, never to choose).
Output: a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from cv_localize import recall, shipped  # noqa: E402

Row = dict[str, Any]
TARGET = 0.05


def ordered(signal: dict[str, float]) -> list[str]:
    return sorted(signal, key=lambda path: -signal[path])


def ceilings(rows: list[Row]) -> dict[str, float]:
    """Mean R@5 of role-aware BM25, ours, and the two per-commit oracles."""
    sums: dict[str, float] = defaultdict(float)
    for row in rows:
        ours = recall(row, row.get("ours") or shipped(row, {}), 5)  # older dumps: as fused
        bm25 = recall(row, row["bm25-src"], 5)
        lists = [row["bm25"], *map(ordered, row["signals"].values())]
        sums["bm25-src"] += bm25
        sums["ours"] += ours
        sums["best of both"] += max(ours, bm25)
        sums["any list"] += max([ours, bm25, *(recall(row, ranked, 5) for ranked in lists)])
    return {name: round(total / len(rows), 3) for name, total in sums.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path, help="a scripts/bench_localize.py --dump file")
    parser.add_argument("--kind", choices=("deleaked", "raw"), default="deleaked")
    args = parser.parse_args()
    by_project: dict[str, list[Row]] = defaultdict(list)
    with args.dump.open() as lines:
        for line in lines:
            row = json.loads(line)
            if row["kind"] == args.kind:
                by_project[row["project"]].append(row)
    by_project["overall"] = [row for rows in list(by_project.values()) for row in rows]
    out: dict[str, Any] = {}
    print(f"{args.dump} ({args.kind} queries): R@5, and the gain over role-aware BM25")
    print(f"{'project':10} {'n':>4} {'bm25-src':>8} {'ours':>14} {'best of both':>14} "
          f"{'any list':>14} {'1 - bm25':>8}")  # fmt: skip
    for project, rows in by_project.items():
        figures = ceilings(rows)
        base = figures["bm25-src"]
        cells = [f"{figures[k]:.3f} ({figures[k] - base:+.3f})"
                 for k in ("ours", "best of both", "any list")]  # fmt: skip
        print(f"{project:10} {len(rows):4} {base:8.3f} " + " ".join(f"{c:>14}" for c in cells)
              + f" {1 - base:8.3f}")  # fmt: skip
        out[project] = {"commits": len(rows), **figures}
    reachable = [
        p for p, f in out.items() if p != "overall" and f["any list"] - f["bm25-src"] >= TARGET
    ]
    print(f"projects where any list reaches bm25-src + {TARGET}: {len(reachable)} {reachable}")
    print(json.dumps({"dump": str(args.dump), "kind": args.kind, "projects": out,
                      "reachable_by_any_list": reachable}))  # fmt: skip


if __name__ == "__main__":
    main()
