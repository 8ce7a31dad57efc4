#!/usr/bin/env python3
"""Cross-validate ranking ideas on the dev split of scripts/bench_localize.py, offline.

    .venv/bin/python scripts/bench_localize.py --split dev --dump /tmp/dev.jsonl
    .venv/bin/python scripts/cv_localize.py /tmp/dev.jsonl                 # every idea
    .venv/bin/python scripts/cv_localize.py /tmp/dev.jsonl --only churn,today
    .venv/bin/python scripts/cv_localize.py --runs /tmp/prf/*.json     # LOPO over bench runs

Each idea is a scoring rule over the dumped signals with a small grid of parameters. Its
parameters are chosen on the training folds and it is scored on the fold left out, two
ways: leave one project out (LOPO) and two folds by sha. Reported: de-leaked R@1/R@5 of
the out-of-fold rankings, overall and per project, and on how many projects it reaches
role-aware BM25 (bm25-src, from the same dump) + 0.05. Rows marked held-aside are dropped
on reading: nothing here ever sees that split.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mom_cli.index import rank  # noqa: E402
from mom_cli.index.roles import TARGET_WEIGHT  # noqa: E402

Row = dict[str, Any]
Params = dict[str, float]
Scorer = Callable[[Row, Params], list[str]]


def scaled(signal: dict[str, float]) -> dict[str, float]:
    top = max(signal.values(), default=0.0) or 1.0
    return {p: v / top for p, v in signal.items()}


def fuse(row: Row, weights: dict[str, float], fusion: str = "max") -> dict[str, float]:
    """Weighted fusion of named signals (from row["signals"] or row["extra"])."""
    scores: dict[str, float] = defaultdict(float)
    for name, weight in weights.items():
        signal = row["signals"].get(name) or row["extra"].get(name) or {}
        if not weight or not signal:
            continue
        if fusion == "rrf":
            ordered = sorted(signal, key=lambda p: -signal[p])
            for place, path in enumerate(ordered, start=1):
                scores[path] += weight * 11 / (10 + place)
        elif fusion == "z":
            values = list(signal.values())
            mean, sd = statistics.mean(values), statistics.pstdev(values) or 1.0
            for path, value in signal.items():
                scores[path] += weight * max(0.0, (value - mean) / sd)
        else:
            for path, value in scaled(signal).items():
                scores[path] += weight * value
    return scores


def finish(row: Row, scores: dict[str, float], churn: float = 0.0, key: str = "churn") -> list[str]:
    """Pairs lend, roles scale, the in-weight prior and (optionally) a churn prior."""
    lent: dict[str, float] = defaultdict(float)
    for path, partners in row["partners"].items():
        share = rank.PAIR_SHARE * scores.get(path, 0.0)
        for other in partners if share > 0 else ():
            lent[other] = max(lent[other], share)
    for path, value in lent.items():
        scores[path] += value
    scale = math.log1p(row["maxweight"]) or 1.0
    counts = row["extra"].get(key) or {}
    cscale = math.log1p(max(counts.values(), default=0.0)) or 1.0
    final = {}
    for path, role in row["roles"].items():
        value = scores.get(path, 0.0)
        if churn and value > 0:
            value += churn * math.log1p(counts.get(path, 0.0)) / cscale
        prior = rank.W_PRIOR * math.log1p(row["inweight"].get(path, 0.0)) / scale
        final[path] = value * TARGET_WEIGHT[role] + prior
    return sorted(final, key=lambda p: (-final[p], p))


TODAY = {"graph": 0.2, "lexical": 0.45, "history": 0.3}  # the weights before z fusion


def today(row: Row, p: Params) -> list[str]:
    return finish(row, fuse(row, TODAY))


def churn(key: str) -> Scorer:
    def score(row: Row, p: Params) -> list[str]:
        return finish(row, fuse(row, TODAY), churn=p["w"], key=key)

    return score


def history_as(name: str) -> Scorer:
    def score(row: Row, p: Params) -> list[str]:
        return finish(row, fuse(row, {**TODAY, "history": 0.0, name: p["w"]}))

    return score


def fusion(kind: str) -> Scorer:
    def score(row: Row, p: Params) -> list[str]:
        weights = {"lexical": 1.0, "history": p["h"], "graph": p["g"]}
        return finish(row, fuse(row, weights, kind))

    return score


def zfuse(history: str = "history", extra: str = "", churn_key: str = "") -> Scorer:
    """z-score fusion of lexical, history and graph (and optionally one more signal)."""

    def score(row: Row, p: Params) -> list[str]:
        weights = {"lexical": 1.0, history: p["h"], "graph": p["g"]}
        if extra:
            weights[extra] = p["x"]
        c = p.get("c", 0.0)
        return finish(row, fuse(row, weights, "z"), churn=c, key=churn_key or "churn")

    return score


def mixed(history: str = "hist_top3") -> Scorer:
    """z-score fusion plus m × max-scaled fusion of the same signals."""

    def score(row: Row, p: Params) -> list[str]:
        weights = {"lexical": 1.0, history: p["h"], "graph": p["g"]}
        z = fuse(row, weights, "z")
        for path, value in fuse(row, weights, "max").items():
            z[path] = z.get(path, 0.0) + p["m"] * value
        return finish(row, z)

    return score


def shipped(row: Row, p: Params) -> list[str]:
    """What mom_cli.index.rank does today: WEIGHTS × (max-scaled + Z_SHARE × z⁺)."""
    weights = {k: v for k, v in rank.WEIGHTS.items() if v}
    scores = fuse(row, weights, "max")
    for path, value in fuse(row, weights, "z").items():
        scores[path] += rank.Z_SHARE * value
    return finish(row, scores)


def shipped_plus(extra: str, replace: str = "", churn_key: str = "") -> Scorer:
    """The shipped fusion with one more signal (weight p["x"]), optionally replacing one,
    and optionally a churn prior (p["c"])."""

    def score(row: Row, p: Params) -> list[str]:
        weights = {k: v for k, v in rank.WEIGHTS.items() if v}
        if replace:
            weights[replace] = 0.0
        if extra:
            weights[extra] = p["x"]
        if extra == "bm25-src rank":
            row["extra"]["bm25-src rank"] = {
                path: 1.0 / (5 + i) for i, path in enumerate(row["bm25-src"])
            }
        scores = fuse(row, weights, "max")
        for path, value in fuse(row, weights, "z").items():
            scores[path] += rank.Z_SHARE * value
        return finish(row, scores, churn=p.get("c", 0.0), key=churn_key or "churn")

    return score


def passage_mix(replace: str = "") -> Scorer:
    """The shipped fusion plus the passage signal (weight p["x"]) as best passage +
    p["s"] × second best (from the dumped `passage_best` and `passage_top2`), optionally
    replacing one signal."""

    def score(row: Row, p: Params) -> list[str]:
        signals = row["signals"]  # dumps before passage_best had the best alone as passage
        best = signals.get("passage_best", signals.get("passage")) or {}
        top2 = row["signals"].get("passage_top2") or {}
        row["extra"]["passage mix"] = {
            path: v + p["s"] * (top2.get(path, v) - v) for path, v in best.items()
        }
        if "l" in p or "p" in p:  # the whole-file BM25 or path words at weights of their own
            row["extra"]["lexical kept"] = row["signals"].get("lexical") or {}
            weights = {k: v for k, v in rank.WEIGHTS.items() if v and k != "passage"}
            weights.update({"lexical": 0.0, "lexical kept": p.get("l", 0.0),
                            "path": p.get("p", 0.0), "passage mix": p["x"]})  # fmt: skip
            scores = fuse(row, weights, "max")
            for path, value in fuse(row, weights, "z").items():
                scores[path] += rank.Z_SHARE * value
            return finish(row, scores)
        return shipped_plus("passage mix", replace=replace)(row, p)

    return score


def shipped_roles(row: Row, p: Params) -> list[str]:
    """The shipped fusion with the test weight and the pair share as parameters."""
    saved = dict(TARGET_WEIGHT), rank.PAIR_SHARE
    TARGET_WEIGHT["test"], rank.PAIR_SHARE = p["test"], p["pair"]
    try:
        return shipped(row, p)
    finally:
        TARGET_WEIGHT.update(saved[0])
        rank.PAIR_SHARE = saved[1]


def single(name: str) -> Scorer:
    def score(row: Row, p: Params) -> list[str]:
        return finish(row, fuse(row, {name: 1.0}))

    return score


def backbone(name: str) -> Scorer:
    """`name` (one BM25 signal) orders the list; ours re-ranks only within its top k."""

    def score(row: Row, p: Params) -> list[str]:
        base = finish(row, fuse(row, {name: 1.0}))
        ours = finish(row, fuse(row, TODAY))
        k = int(p["k"])
        top = base[:k]
        place = {path: i for i, path in enumerate(ours)}
        mixed = sorted(top, key=lambda x: (1 - p["w"]) * top.index(x) + p["w"] * place[x])
        return mixed + base[k:]

    return score


def bm25_src(row: Row, p: Params) -> list[str]:
    return list(row["bm25-src"])


IDEAS: dict[str, tuple[Scorer, dict[str, list[float]]]] = {
    "today": (today, {}),
    "bm25-src": (bm25_src, {}),
    "shipped (rank.py)": (shipped, {}),
    "lexical alone": (single("lexical"), {}),
    "code field alone": (single("code"), {}),
    "churn prior": (churn("churn"), {"w": [0.02, 0.05, 0.1, 0.15, 0.2, 0.3]}),
    "churn prior, decayed": (churn("churn_decay"), {"w": [0.02, 0.05, 0.1, 0.15, 0.2, 0.3]}),
    "history: file doc, py": (history_as("hist_doc"), {"w": [0.1, 0.2, 0.3, 0.45]}),
    "history: msg max": (history_as("hist_max"), {"w": [0.1, 0.2, 0.3, 0.45]}),
    "history: msg top3": (history_as("hist_top3"), {"w": [0.1, 0.2, 0.3, 0.45]}),
    "history: msg decayed": (history_as("hist_decay"), {"w": [0.1, 0.2, 0.3, 0.45]}),
    "fusion rrf": (fusion("rrf"), {"h": [0, 0.3, 0.6, 1], "g": [0, 0.3, 0.6, 1]}),
    "fusion z": (fusion("z"), {"h": [0, 0.3, 0.6, 1], "g": [0, 0.3, 0.6, 1]}),
    "fusion max (3 signals)": (
        fusion("max"),
        {"h": [0.3, 0.5, 0.7, 1], "g": [0.2, 0.45, 0.7]},
    ),
    "z fine": (zfuse(), {"h": [0.4, 0.5, 0.6, 0.8], "g": [0.2, 0.3, 0.4]}),
    "z hist top3": (zfuse("hist_top3"), {"h": [0.3, 0.45, 0.6, 0.8], "g": [0.2, 0.3, 0.4]}),
    "z hist max": (zfuse("hist_max"), {"h": [0.3, 0.45, 0.6, 0.8], "g": [0.2, 0.3, 0.4]}),
    "z hist top3 wide": (zfuse("hist_top3"), {"h": [0.6, 0.8, 1.0, 1.2], "g": [0.1, 0.2, 0.3]}),
    "z+max hist top3": (mixed(), {"h": [0.6, 0.8, 1.0], "g": [0.2, 0.3], "m": [0, 0.5, 1, 2]}),
    "z+max hist top3, m wide": (mixed(), {"h": [0.8, 1.0], "g": [0.2, 0.3], "m": [1, 2, 3, 4, 6]}),
    "z+max, file-doc history": (
        mixed("history"),
        {"h": [0.6, 0.8, 1.0], "g": [0.2, 0.3], "m": [0, 1, 2, 4]},
    ),
    "max hist top3": (mixed(), {"h": [0.6, 0.8, 1.0], "g": [0.2, 0.3], "m": [1000]}),
    "shipped + msg top3": (shipped_plus("hist_top3"), {"x": [0, 0.2, 0.4, 0.6]}),
    "shipped, history = msg top3": (
        shipped_plus("hist_top3", replace="history"),
        {"x": [0.4, 0.6, 0.8, 1.0]},
    ),
    "shipped + code": (shipped_plus("code"), {"x": [0, 0.1, 0.2, 0.4]}),
    "shipped + text": (shipped_plus("text"), {"x": [0, 0.1, 0.2, 0.4]}),
    "shipped + bm25-src rank": (shipped_plus("bm25-src rank"), {"x": [0, 0.2, 0.4, 0.8]}),
    "shipped + passage": (
        shipped_plus("passage"),
        {"x": [0, 0.2, 0.5, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0]},
    ),
    "shipped + passage top2": (
        shipped_plus("passage_top2"),
        {"x": [0, 0.1, 0.2, 0.3, 0.5, 0.8]},
    ),
    "shipped + passage, max + s×2nd": (
        passage_mix(),
        {"x": [0.5, 0.8, 1.0, 1.5, 2.0], "s": [0, 0.1, 0.25, 0.5]},
    ),
    "shipped, lexical → passage": (
        passage_mix(replace="lexical"),
        {"x": [0.8, 1.0, 1.5, 2.0, 3.0], "s": [0, 0.25, 0.5, 1.0]},
    ),
    "passage + lexical at l": (
        passage_mix(),
        {"x": [1.0, 1.5, 2.0], "s": [0.25, 0.5], "l": [0, 0.1, 0.25, 0.5]},
    ),
    "passage + path words at p": (
        passage_mix(),
        {"x": [1.0, 1.5, 2.0], "s": [0.5], "p": [0, 0.1, 0.2, 0.3, 0.5]},
    ),
    "passage alone": (single("passage_best"), {}),
    "shipped + churn": (shipped_plus(""), {"c": [0, 0.05, 0.1, 0.2, 0.4]}),
    "shipped + churn decayed": (
        shipped_plus("", churn_key="churn_decay"),
        {"c": [0, 0.05, 0.1, 0.2, 0.4]},
    ),
    "shipped, test weight & pair share": (
        shipped_roles,
        {"test": [0.2, 0.35, 0.5], "pair": [0.05, 0.1, 0.2]},
    ),
    "z + code": (zfuse(extra="code"), {"h": [0.6], "g": [0.3], "x": [0, 0.1, 0.2, 0.4]}),
    "z + text": (zfuse(extra="text"), {"h": [0.6], "g": [0.3], "x": [0, 0.1, 0.2, 0.4]}),
    "z + path": (zfuse(extra="path"), {"h": [0.6], "g": [0.3], "x": [0, 0.1, 0.2, 0.4]}),
    "z + defs": (zfuse(extra="defs"), {"h": [0.6], "g": [0.3], "x": [0, 0.1, 0.2, 0.4]}),
    "z + churn": (zfuse(), {"h": [0.6], "g": [0.3], "c": [0, 0.1, 0.2, 0.4, 0.8]}),
    "z + churn decayed": (
        zfuse(churn_key="churn_decay"),
        {"h": [0.6], "g": [0.3], "c": [0, 0.1, 0.2, 0.4, 0.8]},
    ),
    "backbone code, rerank": (backbone("code"), {"k": [10, 20], "w": [0.3, 0.5, 0.7]}),
}


def recall(row: Row, ranked: list[str], k: int) -> float:
    gold = set(row["gold"])
    return len(gold & set(ranked[:k])) / len(gold)


def metrics(rows: list[Row], lists: dict[int, list[str]]) -> dict[str, float]:
    out: dict[str, list[float]] = defaultdict(list)
    for i, row in enumerate(rows):
        out[f"{row['kind']} R@1"].append(recall(row, lists[i], 1))
        out[f"{row['kind']} R@5"].append(recall(row, lists[i], 5))
    return {k: statistics.mean(v) for k, v in out.items()}


def objective(m: dict[str, float]) -> float:
    return m["deleaked R@1"] + m["deleaked R@5"] + 0.25 * (m["raw R@1"] + m["raw R@5"])


def grid(space: dict[str, list[float]]) -> list[Params]:
    keys = list(space)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*space.values())]


def cross_validate(
    rows: list[Row], scorer: Scorer, space: dict[str, list[float]], folds: list[int]
) -> tuple[dict[int, list[str]], list[Params]]:
    """Out-of-fold rankings: for each fold, the best grid point on the other folds."""
    candidates = grid(space)
    lists_by = [{i: scorer(r, p) for i, r in enumerate(rows)} for p in candidates]
    out: dict[int, list[str]] = {}
    chosen = []
    for fold in sorted(set(folds)):
        train = [i for i, f in enumerate(folds) if f != fold]
        best = max(
            range(len(candidates)),
            key=lambda c: objective(metrics([rows[i] for i in train], {
                j: lists_by[c][i] for j, i in enumerate(train)})),
        )  # fmt: skip
        chosen.append(candidates[best])
        for i, f in enumerate(folds):
            if f == fold:
                out[i] = lists_by[best][i]
    return out, chosen


def report(name: str, rows: list[Row], lists: dict[int, list[str]], chosen: Any) -> None:
    projects = sorted({r["project"] for r in rows})
    per = {}
    for proj in projects + ["overall"]:
        idx = [i for i, r in enumerate(rows) if proj in ("overall", r["project"])]
        sub = [rows[i] for i in idx]
        ours = metrics(sub, {j: lists[i] for j, i in enumerate(idx)})
        base = metrics(sub, {j: sub[j]["bm25-src"] for j in range(len(sub))})
        per[proj] = {k: (round(ours[k], 3), round(ours[k] - base[k], 3)) for k in ours}
    wins1 = sum(per[p]["deleaked R@1"][1] >= 0.05 for p in projects)
    wins5 = sum(per[p]["deleaked R@5"][1] >= 0.05 for p in projects)
    o = per["overall"]
    cells = " ".join(
        f"{p[:4]} {per[p]['deleaked R@1'][1]:+.2f}/{per[p]['deleaked R@5'][1]:+.2f}"
        for p in projects
    )
    print(
        f"{name:<28} {o['deleaked R@1'][0]:.3f}/{o['deleaked R@5'][0]:.3f} "
        f"(Δ {o['deleaked R@1'][1]:+.3f}/{o['deleaked R@5'][1]:+.3f}) "
        f"raw {o['raw R@1'][0]:.2f}/{o['raw R@5'][0]:.2f}  "
        f"+0.05: R@1 {wins1}/6 R@5 {wins5}/6 | {cells}"
    )
    if chosen:
        print(f"{'':<28} chosen per fold: {chosen}")


def lopo_over_runs(paths: list[Path]) -> None:
    """LOPO over whole bench runs (one JSON line each, one grid point each): for each
    project, the run best on the other five (commit-weighted objective) is scored on it."""
    runs = {p.name: json.loads(p.read_text().splitlines()[-1])["summary"] for p in paths}
    first = next(iter(runs.values()))
    projects = [p for p in first if p != "overall"]

    def value(summary: dict, proj: str, kind: str, metric: str) -> float:
        return float(summary[proj][f"{kind}/ours"][metric])

    def score(summary: dict, projs: list[str]) -> float:
        total = sum(summary[p]["commits"] for p in projs)
        return sum(
            summary[p]["commits"] * objective({
                f"{k} {m}": value(summary, p, k, m)
                for k in ("raw", "deleaked") for m in ("R@1", "R@5")
            })
            for p in projs
        ) / total  # fmt: skip

    out: dict[str, dict[str, float]] = {}
    for proj in projects:
        best = max(runs, key=lambda r: score(runs[r], [p for p in projects if p != proj]))
        out[proj] = {m: value(runs[best], proj, "deleaked", m) for m in ("R@1", "R@5")}
        out[proj]["base"] = first[proj]["deleaked/bm25-src"]
        print(f"{proj:<9} chose {best}: {out[proj]['R@1']:.3f}/{out[proj]['R@5']:.3f}")
    total = sum(first[p]["commits"] for p in projects)
    for m in ("R@1", "R@5"):
        mean = sum(first[p]["commits"] * out[p][m] for p in projects) / total
        wins = sum(out[p][m] >= out[p]["base"][m] + 0.05 for p in projects)
        print(f"LOPO de-leaked {m}: {mean:.3f}, ≥ bm25-src + 0.05 on {wins}/{len(projects)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path, nargs="+", help="a --dump file, or with --runs, "
                        "bench JSON outputs (one per grid point)")  # fmt: skip
    parser.add_argument("--runs", action="store_true", help="LOPO over whole bench runs")
    parser.add_argument("--only", default="", help="comma-separated idea names")
    parser.add_argument("--cv", choices=("lopo", "sha"), default="lopo")
    args = parser.parse_args()
    if args.runs:
        lopo_over_runs(args.dump)
        return
    lines = args.dump[0].read_text().splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    rows = [r for r in rows if not r["held"]]  # never the held-aside split
    projects = sorted({r["project"] for r in rows})
    if args.cv == "lopo":
        folds = [projects.index(r["project"]) for r in rows]
    else:
        folds = [int(r["sha"][8:16], 16) % 2 for r in rows]
    print(f"{len({r['sha'] for r in rows})} dev commits, CV by {args.cv}; de-leaked R@1/R@5 "
          "out of fold (Δ vs bm25-src); per project Δ R@1/R@5")  # fmt: skip
    wanted = [n.strip() for n in args.only.split(",") if n.strip()]
    for name, (scorer, space) in IDEAS.items():
        if wanted and not any(w in name for w in wanted):
            continue
        lists, chosen = cross_validate(rows, scorer, space, folds)
        report(name, rows, lists, chosen if space else None)


if __name__ == "__main__":
    main()
