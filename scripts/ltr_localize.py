#!/usr/bin/env python3
"""Learning-to-rank for the ranker's fusion: fit on the dev split, cross-validate, compare.

    .venv/bin/python scripts/bench_localize.py --split dev --dump /tmp/dev.jsonl
    .venv/bin/python scripts/ltr_localize.py /tmp/dev.jsonl --grid              # pairwise
    .venv/bin/python scripts/ltr_localize.py /tmp/dev.jsonl --grid --listwise   # softmax
    .venv/bin/python scripts/ltr_localize.py /tmp/dev.jsonl --listwise --fit    # weights

A linear model over 31 features per (query, file), all computable by `rank()` from the
index: each signal of the dump (fielded lexical BM25, each BM25 field alone, history
message BM25, PageRank) max-scaled, as a z-score and as a place; the test/source partner's
evidence; the role (one-hot); log in-weight. Fitted two ways by Newton's method on an L2-
regularized loss: pairwise logistic (every gold file above every other candidate, each
query weighing the same; `--top N` keeps only the shipped fusion's first N as rivals) or
listwise softmax cross-entropy (top-heavy: the loss is dominated by the strongest rivals).
`--role-scaled` multiplies the evidence by the role's TARGET_WEIGHT (the shipped form),
`--with-shipped` adds the shipped fusion's place (a residual model), `--features REGEX`
keeps a subset.

Out of fold (leave one project out, or `--cv sha`), next to the shipped hand-tuned fusion
replayed on the same rows (scripts/cv_localize.py's `shipped`). What it showed on the dev
dump of 2026-12-02 (392 commits): no variant beat the shipped fusion's 0.474/0.851
de-leaked R@1/R@5; the best were 0.452/0.839 (listwise, all features) and 0.474/0.840
(listwise, the shipped fusion's own three signals): more features fitted on five projects
carry worse to the sixth than three hand-set weights, so nothing learned ships.
Rows marked held-aside are dropped on reading: nothing here ever sees that split.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from cv_localize import shipped  # noqa: E402

from mom_cli.index.roles import TARGET_WEIGHT  # noqa: E402

Row = dict[str, Any]
Feats = tuple[list[str], np.ndarray]

SIGNALS = ("lexical", "history", "graph", "code", "text", "path", "defs")
PARTNER_SIGNALS = ("lexical", "history", "graph")
ROLE_FEATURES = ("test", "docs", "example", "script", "build")  # source is the baseline
PLACE_K = 10.0  # place feature: (PLACE_K + 1) / (PLACE_K + place), 1 for a signal's best
Z_CAP = 8.0  # one outlier's z-score cannot dominate a fit
FEATURES: tuple[str, ...] = (
    *(f"{s}:{kind}" for s in SIGNALS for kind in ("max", "z", "place")),
    *(f"partner:{s}" for s in PARTNER_SIGNALS),
    *(f"role:{r}" for r in ROLE_FEATURES),
    "prior",
)


def describe(signal: dict[str, float]) -> tuple[dict[str, float], ...]:
    """Each file's value scaled to the best = 1, its z-score above the mean (0 below,
    capped) and its place feature (tied files share the better place)."""
    if not signal:
        return {}, {}, {}
    values = list(signal.values())
    top = max(values) or 1.0
    mean = statistics.mean(values)
    spread = statistics.pstdev(values) or 1.0
    above = {v: i for i, v in reversed(list(enumerate(sorted(values, reverse=True), start=1)))}
    return (
        {k: v / top for k, v in signal.items()},
        {k: min(Z_CAP, max(0.0, (v - mean) / spread)) for k, v in signal.items()},
        {k: (PLACE_K + 1) / (PLACE_K + above[v]) for k, v in signal.items()},
    )


def row_features(row: Row, role_scaled: bool, with_shipped: bool) -> Feats:
    """Every candidate of a dumped query (a file in any signal's list, or a partner of
    one) and its feature vector, in FEATURES order (with the shipped fusion's place first
    when `with_shipped`). `role_scaled` multiplies the evidence features by the role's
    TARGET_WEIGHT, the shipped fusion's form, so the model learns only the evidence part."""
    scale = math.log1p(row["maxweight"]) or 1.0
    parts = {name: describe(row["signals"].get(name) or {}) for name in SIGNALS}
    shipped_place = {p: 11 / (10 + i) for i, p in enumerate(shipped(row, {}), start=1)}
    candidates = sorted(row["roles"])
    matrix = []
    for path in candidates:
        x = [part.get(path, 0.0) for name in SIGNALS for part in parts[name]]
        mates = row["partners"].get(path, [])
        x += [max((parts[s][0].get(m, 0.0) for m in mates), default=0.0) for s in PARTNER_SIGNALS]
        role = row["roles"][path]
        if role_scaled:
            x = [v * TARGET_WEIGHT[role] for v in x]
        x += [float(role == r) for r in ROLE_FEATURES]
        x.append(math.log1p(row["inweight"].get(path, 0.0)) / scale)
        matrix.append([shipped_place[path], *x] if with_shipped else x)
    return candidates, np.array(matrix, dtype=float)


def pairs(
    rows: list[Row], feats: list[Feats], raw_weight: float, top: int
) -> tuple[np.ndarray, np.ndarray]:
    """Difference vectors gold − other, with each query's pairs weighing 1 in all (raw
    queries raw_weight). `top` > 0 keeps only the negatives the shipped fusion ranks in its
    first `top` (the ones a top-5 metric is about)."""
    diffs: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for row, (candidates, x) in zip(rows, feats, strict=True):
        gold = [i for i, p in enumerate(candidates) if p in set(row["gold"])]
        if not gold:
            continue
        others = [i for i, p in enumerate(candidates) if p not in set(row["gold"])]
        if top:
            keep = set(shipped(row, {})[:top])
            others = [i for i in others if candidates[i] in keep]
        if not others:
            continue
        d = (x[gold][:, None, :] - x[others][None, :, :]).reshape(-1, x.shape[1])
        w = (raw_weight if row["kind"] == "raw" else 1.0) / len(d)
        diffs.append(d)
        weights.append(np.full(len(d), w))
    return np.concatenate(diffs), np.concatenate(weights)


def fit(d: np.ndarray, c: np.ndarray, lam: float) -> np.ndarray:
    """Minimize Σ c·log(1 + exp(−d·w)) + lam/2·|w|² by Newton's method."""
    w = np.zeros(d.shape[1])
    scale = c.sum()
    for _ in range(50):
        m = d @ w
        p = 1.0 / (1.0 + np.exp(m))  # σ(−m)
        grad = -(d.T @ (c * p)) / scale + lam * w
        hess = (d.T * (c * p * (1 - p))) @ d / scale + lam * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return w


def lists_for(
    rows: list[Row], feats: list[Feats], raw_weight: float
) -> list[tuple[np.ndarray, list[int], float]]:
    """Per query: its candidates' features, the gold rows and the query's weight."""
    out = []
    for row, (candidates, x) in zip(rows, feats, strict=True):
        gold = [i for i, p in enumerate(candidates) if p in set(row["gold"])]
        if gold and len(candidates) > len(gold):
            out.append((x, gold, raw_weight if row["kind"] == "raw" else 1.0))
    return out


def fit_listwise(queries: list[tuple[np.ndarray, list[int], float]], lam: float) -> np.ndarray:
    """Softmax cross-entropy per query: each gold file against every other candidate
    (−log of its softmax share among the non-gold candidates and itself), by damped
    Newton steps. Unlike pairs, the loss is dominated by the highest-scoring rivals: what
    R@1 is about."""
    n = queries[0][0].shape[1]
    total = sum(q[2] for q in queries)
    groups = []
    for x, gold, weight in queries:
        rest = np.ones(len(x), dtype=bool)
        rest[gold] = False
        for g in gold:
            pick = rest.copy()
            pick[g] = True
            groups.append((x[pick], x[g], weight / len(gold) / total))

    def loss(w: np.ndarray) -> float:
        out = lam / 2 * float(w @ w)
        for xs, xg, c in groups:
            ss = xs @ w
            top = ss.max()
            out += c * (top + math.log(np.exp(ss - top).sum()) - float(xg @ w))
        return out

    w = np.zeros(n)
    current = loss(w)
    for _ in range(40):
        grad = lam * w
        hess = lam * np.eye(n)
        for xs, xg, c in groups:
            ss = xs @ w
            p = np.exp(ss - ss.max())
            p /= p.sum()
            mean = p @ xs
            grad = grad + c * (mean - xg)
            hess = hess + c * ((xs.T * p) @ xs - np.outer(mean, mean))
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-4:
            trial = w - t * step
            value = loss(trial)
            if value <= current:
                break
            t /= 2
        if current - value < 1e-9:
            w = trial if value <= current else w
            break
        w, current = trial, value
    return w


def ranked(candidates: list[str], x: np.ndarray, w: np.ndarray) -> list[str]:
    s = x @ w
    order = sorted(range(len(candidates)), key=lambda i: (-s[i], candidates[i]))
    return [candidates[i] for i in order]


def recall(row: Row, ranking: list[str], k: int) -> float:
    gold = set(row["gold"])
    return len(gold & set(ranking[:k])) / len(gold)


def table(rows: list[Row], lists: list[list[str]], name: str) -> dict[str, Any]:
    projects = sorted({r["project"] for r in rows})
    out: dict[str, Any] = {}
    for proj in [*projects, "overall"]:
        idx = [i for i, r in enumerate(rows) if proj in ("overall", r["project"])]
        cell = {}
        for kind in ("deleaked", "raw"):
            sub = [i for i in idx if rows[i]["kind"] == kind]
            for k in (1, 5):
                ours = statistics.mean(recall(rows[i], lists[i], k) for i in sub)
                base = statistics.mean(recall(rows[i], rows[i]["bm25-src"], k) for i in sub)
                cell[f"{kind} R@{k}"] = (ours, ours - base)
        out[proj] = cell
    wins = [sum(out[p][f"deleaked R@{k}"][1] >= 0.05 for p in projects) for k in (1, 5)]
    o = out["overall"]
    cells = " ".join(
        f"{p[:4]} {out[p]['deleaked R@1'][1]:+.2f}/{out[p]['deleaked R@5'][1]:+.2f}"
        for p in projects
    )
    print(
        f"{name:<30} {o['deleaked R@1'][0]:.3f}/{o['deleaked R@5'][0]:.3f} "
        f"(Δ {o['deleaked R@1'][1]:+.3f}/{o['deleaked R@5'][1]:+.3f}) "
        f"raw {o['raw R@1'][0]:.2f}/{o['raw R@5'][0]:.2f} +0.05: {wins[0]}/6 {wins[1]}/6 | {cells}"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path)
    parser.add_argument("--fit", action="store_true", help="fit on all of dev, print weights")
    parser.add_argument("--lam", type=float, default=0.01)
    parser.add_argument("--raw-weight", type=float, default=0.25)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--grid", action="store_true", help="cross-validate a small grid")
    parser.add_argument("--cv", choices=("lopo", "sha"), default="lopo")
    parser.add_argument(
        "--with-shipped",
        action="store_true",
        help="the shipped fusion's place as one more feature (residual model)",
    )
    parser.add_argument("--features", default="", help="regex: keep only matching features")
    parser.add_argument("--listwise", action="store_true", help="softmax loss, not pairs")
    parser.add_argument(
        "--role-scaled",
        action="store_true",
        help="evidence features × the role's TARGET_WEIGHT (as the shipped fusion)",
    )
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dump.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if not r["held"]]  # never the held-aside split
    feats = [row_features(r, args.role_scaled, args.with_shipped) for r in rows]
    if args.features:
        names = (["shipped"] if args.with_shipped else []) + list(FEATURES)
        keep = [i for i, n in enumerate(names) if re.fullmatch(args.features, n)]
        print("features:", [names[i] for i in keep])
        feats = [(c, x[:, keep]) for c, x in feats]
    print(f"{len({r['sha'] for r in rows})} dev commits; de-leaked R@1/R@5 (Δ vs bm25-src)")
    if args.fit:
        if args.listwise:
            w = fit_listwise(lists_for(rows, feats, args.raw_weight), args.lam)
        else:
            d, c = pairs(rows, feats, args.raw_weight, args.top)
            w = fit(d, c, args.lam)
        table(rows, [ranked(*f, w) for f in feats], "in-sample (all of dev)")
        names = (["shipped"] if args.with_shipped else []) + list(FEATURES)
        if args.features:
            names = [n for n in names if re.fullmatch(args.features, n)]
        print(json.dumps({n: round(float(v), 4) for n, v in zip(names, w, strict=True)}))
        return
    table(rows, [shipped(r, {}) for r in rows], "shipped (replayed)")
    if args.cv == "lopo":
        folds = [r["project"] for r in rows]
    else:  # two folds by sha, as scripts/cv_localize.py --cv sha
        folds = [str(int(r["sha"][8:16], 16) % 2) for r in rows]
    settings = [(args.lam, args.raw_weight, args.top)]
    if args.grid and args.listwise:
        settings = [(lam, 0.25, 0) for lam in (1e-4, 1e-3, 1e-2)]
    elif args.grid:
        settings = [(lam, rw, top) for lam in (1e-5, 1e-4, 0.001) for rw in (0.25,)
                    for top in (0, 30)]  # fmt: skip
    for lam, raw_weight, top in settings:
        lists: list[list[str]] = [[] for _ in rows]
        for fold in sorted(set(folds)):
            train = [i for i, f in enumerate(folds) if f != fold]
            sub_rows, sub_feats = [rows[i] for i in train], [feats[i] for i in train]
            if args.listwise:
                w = fit_listwise(lists_for(sub_rows, sub_feats, raw_weight), lam)
            else:
                d, c = pairs(sub_rows, sub_feats, raw_weight, top)
                w = fit(d, c, lam)
            for i, f in enumerate(folds):
                if f == fold:
                    lists[i] = ranked(*feats[i], w)
        table(rows, lists, f"{args.cv} lam={lam} raw={raw_weight} top={top}")


if __name__ == "__main__":
    main()
