#!/usr/bin/env python3
"""Fit the ranker's fusion weights offline, on the dev split only, and check that they carry.

    .venv/bin/python scripts/bench_localize.py --split dev --commits 100 --dump /tmp/dev.jsonl
    .venv/bin/python scripts/fit_localize.py /tmp/dev.jsonl            # fit on all of dev
    .venv/bin/python scripts/fit_localize.py /tmp/dev.jsonl --lopo     # leave one project out

The dump holds, per query, every signal `mom_cli.index.rank` can fuse (graph, lexical,
history and one BM25 per lexicon field) for each candidate file, with its role, test/source
partners and in-weight. This replays the ranker's fusion (each signal scaled to its best
file = 1 plus Z_SHARE × its positive z-score, weighted, pairs lend PAIR_SHARE, roles scale,
a log in-weight prior; co-change's 0.02 is left out) and runs coordinate ascent over a
small grid, maximising de-leaked R@1 + R@5 plus a quarter of raw R@1 + R@5. Rows marked
held-aside are dropped on reading: nothing here ever sees the held-aside split. A fit on
all of dev is in-sample: compare ideas with scripts/cv_localize.py (cross-validated) before
shipping one. `--lopo` fits on five projects and scores the sixth, against today's weights:
a fit that does not beat them there is noise, not signal.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mom_cli.index import rank  # noqa: E402
from mom_cli.index.roles import TARGET_WEIGHT  # noqa: E402

SIGNALS = ("graph", "lexical", "history", "code", "text", "path", "defs")
GRID: dict[str, list[float]] = {
    "graph": [0, 0.1, 0.2, 0.3, 0.45],
    "lexical": [0.6, 0.8, 1],
    "history": [0, 0.2, 0.4, 0.6, 0.8],
    "code": [0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1],
    "text": [0, 0.05, 0.1, 0.2, 0.3],
    "path": [0, 0.05, 0.1, 0.2, 0.3],
    "defs": [0, 0.05, 0.1, 0.2, 0.3],
    "pair": [0, 0.05, 0.1, 0.2],
    "test": [0.1, 0.2, 0.35, 0.5],
    "docs": [0.05, 0.1, 0.2, 0.35],
    "example": [0.1, 0.2, 0.3, 0.5],
    "script": [0.1, 0.2, 0.35, 0.5],
    "build": [0.1, 0.25, 0.4],
}
Params = dict[str, float]


def current() -> Params:
    """The weights the ranker uses today."""
    params: Params = {name: float(rank.WEIGHTS[name]) for name in SIGNALS}
    params.update({role: w for role, w in TARGET_WEIGHT.items() if role != "source"})
    params.update({"pair": rank.PAIR_SHARE, "prior": rank.W_PRIOR})
    return params


def ordered(row: dict[str, Any], params: Params) -> list[str]:
    scores: dict[str, float] = defaultdict(float)
    for name in SIGNALS:
        signal = row["signals"].get(name) or {}
        if params[name] and signal:
            top = max(signal.values()) or 1.0
            mean, spread = rank.standard_scores(signal.values())
            for path, value in signal.items():
                above = max(0.0, (value - mean) / spread)
                scores[path] += params[name] * (value / top + rank.Z_SHARE * above)
    lent: dict[str, float] = defaultdict(float)
    for path, partners in row["partners"].items():
        share = params["pair"] * scores.get(path, 0.0)
        for other in partners if share > 0 else ():
            lent[other] = max(lent[other], share)
    for path, value in lent.items():
        scores[path] += value
    scale = math.log1p(row["maxweight"]) or 1.0
    final = {}
    for path, role in row["roles"].items():
        weight = 1.0 if role == "source" else params[role]
        prior = params["prior"] * math.log1p(row["inweight"].get(path, 0.0)) / scale
        final[path] = scores.get(path, 0.0) * weight + prior
    return sorted(final, key=lambda p: (-final[p], p))


def evaluate(rows: list[dict[str, Any]], params: Params) -> dict[str, float]:
    sums: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        gold = set(row["gold"])
        ranked = ordered(row, params)
        sums[row["kind"] + " R@1"].append(len(gold & set(ranked[:1])) / len(gold))
        sums[row["kind"] + " R@5"].append(len(gold & set(ranked[:5])) / len(gold))
    return {k: round(sum(v) / len(v), 3) for k, v in sorted(sums.items())}


def objective(m: dict[str, float]) -> float:
    return m["deleaked R@1"] + m["deleaked R@5"] + 0.25 * (m["raw R@1"] + m["raw R@5"])


def fit(rows: list[dict[str, Any]], start: Params, rounds: int = 3) -> Params:
    best, best_score = dict(start), objective(evaluate(rows, start))
    for _ in range(rounds):
        improved = False
        for key, values in GRID.items():
            for value in values:
                if value == best[key]:
                    continue
                trial = {**best, key: value}
                score = objective(evaluate(rows, trial))
                if score > best_score + 1e-9:
                    best, best_score, improved = trial, score, True
        if not improved:
            break
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path, help="bench_localize.py --dump output")
    parser.add_argument("--lopo", action="store_true", help="leave one project out")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dump.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if not r["held"]]  # never the held-aside split
    today = current()
    print(f"{len({r['sha'] for r in rows})} dev commits; today: {evaluate(rows, today)}")
    if not args.lopo:
        fitted = fit(rows, today)
        print("fitted:", {k: v for k, v in fitted.items() if v != today[k]})
        print("fitted on all of dev:", evaluate(rows, fitted))
        return
    for project in sorted({r["project"] for r in rows}):
        train = [r for r in rows if r["project"] != project]
        test = [r for r in rows if r["project"] == project]
        fitted = fit(train, today)
        print(f"{project:<9} today {evaluate(test, today)}  fitted {evaluate(test, fitted)}")


if __name__ == "__main__":
    main()
