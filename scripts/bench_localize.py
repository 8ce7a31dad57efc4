#!/usr/bin/env python3
"""Localization on real commits: does `mom` rank the files a commit changed first?

    .venv/bin/python scripts/bench_localize.py                      # held-aside split, all projects
    .venv/bin/python scripts/bench_localize.py --split dev --projects click,jinja --commits 20
    .venv/bin/python scripts/bench_localize.py --split dev --set rank.W_HISTORY=0.45   # tuning

For each project (a clone under /work/real/<name>, made from the `fetch` mirror when
missing) it picks commits, newest first, that modify 1–3 existing non-test source files,
have a message of 8+ words and are not housekeeping (release, bump, typo, format, ...).
Each commit is replayed at its parent in a private clone whose refs are all deleted (no
branches, tags, remotes or reflogs; gc off): HEAD is a detached parent, and the run checks
that the commit itself is not reachable from anything (`git rev-list --all --reflog`).

Queries: raw (the message) and de-leaked (the message without any word that is a path
segment of a changed file, or a part of one, or an identifier in the changed lines of a
changed code file). Gold: the changed source files. Rankers, in the same run:
- ours: `CodeIndex(...).rank(query)` on the index of the parent;
- bm25: full-text BM25 over every indexable file, code words split on case and underscores;
- bm25-src: the same BM25, its list restricted to source files (the one to beat);
- random: a seeded shuffle of every indexable file.
Figures: R@1, R@5, Acc@5 (all gold files in the top 5) and MRR, per project and overall.

The split: a commit is held aside when int(sha[:8], 16) % 3 == 0. Nothing is fitted on it;
`--split dev` is the other two thirds, the only part used to tune ranking weights.

Cached under --cache (commit lists, diffs, baseline rankings): a rerun only re-ranks ours.
`--dump FILE` also writes each query's fusable signals as JSON lines, for
`scripts/fit_localize.py` and `scripts/cv_localize.py` (which read only the dev rows), with
the bm25/bm25-src lists and history variants computed from the commits reachable from the
parent (change counts, message-level BM25 of past commits). `--commits 200 --skip 100`
scores 100 older commits per project that no tuning has seen.
Output: tables, then one JSON line (the last line).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mom_cli.index.api import CodeIndex  # noqa: E402
from mom_cli.index.languages import language_for  # noqa: E402
from mom_cli.index.roles import file_role  # noqa: E402
from mom_cli.index.words import query_words, split_identifier  # noqa: E402

PROJECTS = {
    "click": "pallets+click",
    "requests": "psf+requests",
    "jinja": "pallets+jinja",
    "werkzeug": "pallets+werkzeug",
    "pluggy": "pytest-dev+pluggy",
    "cobra": "spf13+cobra",
}
REAL = Path("/work/real")
MIRRORS = Path("/work/.mirror")
BASELINE_VERSION = "4"  # bump when the selection, the de-leaking or a baseline changes
RANKERS = ("ours", "bm25", "bm25-src", "random")
MIN_WORDS = 8
MAX_CHANGED = 20
_HOUSEKEEPING = re.compile(
    r"\b(release|released|releasing|bump|bumped|typo|typos|format|formatting|reformat|lint|"
    r"linting|changelog|changes\.rst|version|merge|revert|pre-commit|pre-commit-ci|ci|"
    r"spelling|whitespace|copyright|license|readme|black|isort|flake8|ruff|mypy|pyupgrade|"
    r"dependabot|requirements|docs?)\b",
    re.IGNORECASE,
)
_TRAILER = re.compile(r"^[A-Za-z-]+-by:.*$|^\(cherry picked from.*\)$", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CODE_SHAPED = re.compile(r"_|[a-z][A-Z]|[0-9]")
_DEFINED = re.compile(
    r"\b(?:def|class|func|fn|function|type|struct|interface)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)"
)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_CODE_LIKE = re.compile(r"\w+(?:\.\w+)+|\w+\(")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, errors="replace"
    ).stdout


def source_repo(name: str) -> Path:
    """/work/real/<name>, cloned from the fetched mirror when missing."""
    path = REAL / name
    if not (path / ".git").exists():
        mirror = MIRRORS / PROJECTS[name] / "repo"
        if not mirror.exists():
            raise SystemExit(f"{name}: no clone at {path} and no mirror at {mirror}; fetch it")
        REAL.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", str(mirror), str(path)], check=True)
    return path


# --- commit selection (cached) --------------------------------------------------------


def is_source(path: str) -> bool:
    return language_for(path) is not None and file_role(path) == "source"


def select_commits(repo: Path, limit: int) -> list[dict[str, Any]]:
    """Commits newest first that fit the issue's rules, each with gold, queries and split."""
    log = git(repo, "log", "--no-merges", "--name-status", "--format=%x01%H%x00%P%x00%B%x02",
              "HEAD")  # fmt: skip
    out: list[dict[str, Any]] = []
    for chunk in log.split("\x01")[1:]:
        head, _, status = chunk.partition("\x02")
        sha, parents, message = head.split("\x00", 2)
        message = _TRAILER.sub("", message).strip()
        if not parents or len(parents.split()) != 1 or not message:
            continue
        subject = message.splitlines()[0]
        if len(_WORD.findall(message)) < MIN_WORDS or _HOUSEKEEPING.search(subject):
            continue
        changes = [line.split("\t") for line in status.strip().splitlines() if "\t" in line]
        if not changes or len(changes) > MAX_CHANGED:
            continue
        sources = [(c[0], c[-1]) for c in changes if is_source(c[-1])]
        if not 1 <= len(sources) <= 3 or any(kind != "M" for kind, _ in sources):
            continue
        diff = git(repo, "show", "--format=", "--unified=0", "--no-color", sha)
        out.append({
            "sha": sha, "parent": parents.strip(), "gold": sorted(p for _, p in sources),
            "raw": message, "deleaked": deleak(message, [c[-1] for c in changes], diff),
            "held": int(sha[:8], 16) % 3 == 0,
        })  # fmt: skip
        if len(out) >= limit:
            break
    return out


def deleak(message: str, changed: list[str], diff: str) -> str:
    """The message without the names the diff gives away.

    Removed: every path segment of a changed file (`_termui_impl`, `termui`, `core`); every
    identifier on a changed line of a changed code file that is shaped like code (has an
    underscore, an inner capital or a digit) or is defined there (`def`, `class`, `func`,
    `fn`, `function`, `type`, also in hunk headers); and any word the message itself writes
    as code (in backticks, dotted or called) that occurs on a changed line. Plain English
    words stay, even when a variable happens to share them.
    """
    leaked: set[str] = set()
    for path in changed:
        for segment in re.split(r"[/.]", path):
            leaked.update({segment.lower(), segment.strip("_").lower()})
    on_lines: set[str] = set()
    code = False
    for line in diff.splitlines():
        if line.startswith("diff --git"):
            code = language_for(line.rsplit(" b/", 1)[-1]) is not None
            continue
        changed_line = line[:1] in "+-" and not line.startswith(("+++", "---"))
        if not code or not (changed_line or line.startswith("@@")):
            continue
        text = line[1:] if changed_line else line.rsplit("@@", 1)[-1]
        for word in _WORD.findall(text):
            on_lines.add(word.lower())
            if _CODE_SHAPED.search(word.lstrip("_")) or word.startswith("_"):
                leaked.add(word.lower())
        leaked.update(w.lower() for w in _DEFINED.findall(text))
    as_code = _CODE_SPAN.findall(message) + _CODE_LIKE.findall(message)
    leaked.update(w.lower() for w in _WORD.findall(" ".join(as_code)) if w.lower() in on_lines)
    leaked.discard("")
    kept = _WORD.sub(lambda m: "" if m.group(0).lower() in leaked else m.group(0), message)
    return re.sub(r"[ \t]+", " ", kept).strip()


def load_commits(name: str, repo: Path, limit: int, cache: Path) -> list[dict[str, Any]]:
    head = git(repo, "rev-parse", "HEAD").strip()
    path = cache / name / f"commits-{BASELINE_VERSION}-{head[:12]}-{limit}.json"
    if path.exists():
        return list(json.loads(path.read_text()))
    commits = select_commits(repo, limit)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(commits))
    return commits


# --- the replay clone: refs trimmed, so nothing after the parent is reachable ---------


def replay_clone(name: str, repo: Path, cache: Path) -> Path:
    clone = cache / name / "replay"
    if not (clone / ".git").exists():
        shutil.rmtree(clone, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(repo), str(clone)], check=True)
        git(clone, "config", "gc.auto", "0")
        git(clone, "config", "core.logAllRefUpdates", "false")
        git(clone, "checkout", "-q", "--detach", "HEAD")
        for ref in git(clone, "for-each-ref", "--format=%(refname)").split():
            git(clone, "update-ref", "-d", ref)
        git(clone, "remote", "remove", "origin")
        shutil.rmtree(clone / ".git" / "logs", ignore_errors=True)
    return clone


def check_out_parent(clone: Path, commit: dict[str, Any]) -> None:
    """Detached HEAD at the parent; fails loudly if the commit is reachable from any ref."""
    git(clone, "checkout", "-q", "--force", "--detach", commit["parent"])
    reachable = git(clone, "rev-list", "--all", "--reflog")
    if commit["sha"] in reachable or git(clone, "for-each-ref").strip():
        raise SystemExit(f"{clone}: commit {commit['sha'][:10]} is reachable at its parent")


# --- baselines ------------------------------------------------------------------------


class Bm25Corpus:
    """Full-text BM25 over code words split on case and underscores, per file content;
    token counts are cached by blob id across commits."""

    def __init__(self) -> None:
        self.by_blob: dict[str, Counter[str]] = {}

    def docs(self, clone: Path) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {}
        for line in git(clone, "ls-files", "-s").splitlines():
            meta, path = line.split("\t", 1)
            blob = meta.split()[1]
            if language_for(path) is None:
                continue
            if blob not in self.by_blob:
                text = (clone / path).read_text("utf-8", "replace")
                words: Counter[str] = Counter()
                for ident in _WORD.findall(text):
                    words.update(split_identifier(ident))
                self.by_blob[blob] = words
            out[path] = self.by_blob[blob]
        return out


def bm25(docs: dict[str, Counter[str]], query: str, k1: float = 1.2, b: float = 0.75) -> list[str]:
    terms = query_words(query)
    lengths = {p: sum(c.values()) for p, c in docs.items()}
    avg = statistics.mean(lengths.values()) if lengths else 1.0
    n = len(docs)
    df = {t: sum(1 for c in docs.values() if t in c) for t in terms}
    scores: dict[str, float] = {}
    for path, counts in docs.items():
        score = 0.0
        for term in terms:
            tf = counts.get(term, 0)
            if tf:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[path] / avg))
        if score > 0:
            scores[path] = score
    return sorted(scores, key=lambda p: (-scores[p], p))


def baselines(docs: dict[str, Counter[str]], query: str, sha: str) -> dict[str, list[str]]:
    full = bm25(docs, query)
    shuffled = sorted(docs)
    random.Random(sha).shuffle(shuffled)
    return {
        "bm25": full[:10],
        "bm25-src": [p for p in full if file_role(p) == "source"][:10],
        "random": shuffled[:10],
    }


# --- metrics --------------------------------------------------------------------------


def metrics(gold: list[str], ranked: list[str]) -> dict[str, float]:
    truth = set(gold)
    first = next((i for i, p in enumerate(ranked) if p in truth), None)
    return {
        "R@1": len(truth & set(ranked[:1])) / len(truth),
        "R@5": len(truth & set(ranked[:5])) / len(truth),
        "Acc@5": float(truth <= set(ranked[:5])),
        "MRR": 0.0 if first is None else 1.0 / (first + 1),
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean of each metric by (query kind, ranker)."""
    out: dict[str, Any] = {"commits": len({r["sha"] for r in rows})}
    for kind in ("raw", "deleaked"):
        for ranker in RANKERS:
            picked = [r["metrics"][kind][ranker] for r in rows]
            out[f"{kind}/{ranker}"] = {
                m: round(statistics.mean(p[m] for p in picked), 3) if picked else None
                for m in ("R@1", "R@5", "Acc@5", "MRR")
            }
    return out


# --- the run --------------------------------------------------------------------------


def run_project(
    name: str, limit: int, split: str, cache: Path, verbose: bool, reindex: bool, skip: int = 0
) -> list[dict[str, Any]]:
    repo = source_repo(name)
    commits = load_commits(name, repo, limit, cache)[skip:]
    if split != "all":
        commits = [c for c in commits if c["held"] == (split == "held")]
    clone = replay_clone(name, repo, cache)
    state = cache / name / "states"
    base_path = cache / name / f"baselines-{BASELINE_VERSION}.json"
    cached: dict[str, Any] = json.loads(base_path.read_text()) if base_path.exists() else {}
    corpus = Bm25Corpus()
    rows: list[dict[str, Any]] = []
    for commit in reversed(commits):  # oldest first: each checkout moves a little forward
        # One index per parent, kept: a rerun (tuning on --split dev) only re-ranks.
        index = CodeIndex(clone, state / commit["parent"][:12])
        checked_out = False
        if reindex or not index.is_built():
            check_out_parent(clone, commit)
            checked_out = True
            shutil.rmtree(index.state_dir, ignore_errors=True)
            index.state_dir.mkdir(parents=True)
            index.refresh()
        result: dict[str, Any] = {}
        for kind in ("raw", "deleaked"):
            query = commit[kind]
            key = f"{commit['sha']}:{kind}"
            if key not in cached:
                if not checked_out:
                    check_out_parent(clone, commit)
                    checked_out = True
                cached[key] = baselines(corpus.docs(clone), query, commit["sha"])
            ranked = {"ours": [p for p, _ in index.rank(query, limit=10)], **cached[key]}
            if DUMP is not None:
                head = {"project": name, "sha": commit["sha"], "kind": kind,
                        "held": commit["held"], "gold": commit["gold"],
                        "bm25": cached[key]["bm25"],
                        "bm25-src": cached[key]["bm25-src"], "ours": ranked["ours"]}  # fmt: skip
                dump_signals(index, query, head, past_commits(clone, commit["parent"]))
            result[kind] = {r: metrics(commit["gold"], ranked[r]) for r in RANKERS}
            if verbose and kind == "deleaked":
                print(f"{name} {commit['sha'][:8]} gold={commit['gold']} q={query[:70]!r}")
                print(f"    ours={ranked['ours'][:5]}\n    bm25-src={ranked['bm25-src'][:5]}")
        rows.append({"project": name, "sha": commit["sha"], "held": commit["held"],
                     "gold": commit["gold"], "metrics": result})  # fmt: skip
    base_path.write_text(json.dumps(cached))
    return rows


DUMP: Any = None  # an open file when --dump is given
_LOGS: dict[str, list[tuple[list[str], list[str]]]] = {}


def past_commits(clone: Path, parent: str) -> list[tuple[list[str], list[str]]]:
    """(message words, files) of the commits reachable from `parent`, newest first, as the
    index reads them (recent.read_log), for history variants fitted offline."""
    from mom_cli.index.recent import MAX_FILES_PER_COMMIT, read_log
    from mom_cli.index.words import identifier_words, identifiers_in

    if parent not in _LOGS:
        _LOGS.clear()
        _LOGS[parent] = [
            (identifier_words(identifiers_in(message)).lower().split(), files)
            for message, files in read_log(clone, rev=parent)
            if files and len(files) <= MAX_FILES_PER_COMMIT
        ]
    return _LOGS[parent]


def history_variants(
    log: list[tuple[list[str], list[str]]], words: list[str]
) -> dict[str, dict[str, float]]:
    """Change counts per file (plain and recency-weighted) and message-level BM25 of past
    commits aggregated per file (max, sum of the best 3, recency-weighted sum), next to a
    per-file-document BM25 computed the same way (no stemming) for a fair comparison."""
    k1, b = 1.2, 0.75
    out: dict[str, dict[str, float]] = {
        k: {} for k in ("churn", "churn_decay", "hist_doc", "hist_max", "hist_top3", "hist_decay")
    }
    per_file: dict[str, list[tuple[int, float]]] = {}
    terms = set(words)
    n = len(log) or 1
    avg = sum(len(m) for m, _ in log) / n or 1.0
    df = Counter(t for m, _ in log for t in set(m) if t in terms)
    docs: dict[str, Counter[str]] = {}
    for age, (message, files) in enumerate(log):
        counts = Counter(t for t in message if t in terms)
        score = 0.0
        for term, tf in counts.items():
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(message) / avg))
        for path in files:
            out["churn"][path] = out["churn"].get(path, 0.0) + 1
            out["churn_decay"][path] = out["churn_decay"].get(path, 0.0) + 0.5 ** (age / 200)
            docs.setdefault(path, Counter()).update(message)
            if score > 0:
                per_file.setdefault(path, []).append((age, score))
    for path, hits in per_file.items():
        best = sorted((s for _a, s in hits), reverse=True)
        out["hist_max"][path] = best[0]
        out["hist_top3"][path] = sum(best[:3])
        out["hist_decay"][path] = sum(s * 0.5 ** (a / 200) for a, s in hits)
    lengths = {p: sum(c.values()) for p, c in docs.items()}
    avg_doc = sum(lengths.values()) / (len(docs) or 1) or 1.0
    ddf = Counter(t for c in docs.values() for t in c if t in terms)
    for path, counts in docs.items():
        score = 0.0
        for term in terms:
            tf = counts.get(term, 0)
            if tf:
                idf = math.log(1 + (len(docs) - ddf[term] + 0.5) / (ddf[term] + 0.5))
                score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[path] / avg_doc))
        if score > 0:
            out["hist_doc"][path] = score
    return out


def dump_signals(
    index: CodeIndex, query: str, head: dict[str, Any], log: list[tuple[list[str], list[str]]]
) -> None:
    """One JSON line: every signal the ranker can fuse, per candidate file (for fitting
    weights offline on the dev split)."""
    from mom_cli.index import rank as rank_module
    from mom_cli.index.pairs import load_partners
    from mom_cli.index.signals import field_scores, history_scores, passage_scores
    from mom_cli.index.store import db_path, open_db

    conn, _ = open_db(db_path(index.state_dir))
    try:
        ranking = rank_module.rank(conn, query)
        paths = ranking.paths
        by_path = {p: i for i, p in paths.items()}
        signals = dict(ranking.signals)
        signals["history"] = history_scores(conn, ranking.words, by_path)
        for field, column in rank_module.FIELDS.items():
            signals[field] = field_scores(conn, ranking.words, column)
        signals["passage"] = passage_scores(conn, ranking.words)  # as ranked
        signals["passage_best"] = passage_scores(conn, ranking.words, second=0.0)
        signals["passage_top2"] = passage_scores(conn, ranking.words, second=1.0)
        files = set().union(*signals.values())
        partners = load_partners(conn, paths)
        files |= {o for f in list(files) for o in partners.get(f, [])}
        inweight = dict(conn.execute("SELECT id, inweight FROM files"))
        out = {
            **head,
            "signals": {k: {paths[i]: v for i, v in s.items() if i in paths}
                        for k, s in signals.items()},
            "roles": {paths[i]: file_role(paths[i]) for i in files if i in paths},
            "partners": {paths[i]: [paths[o] for o in partners.get(i, []) if o in paths]
                         for i in files if i in paths and partners.get(i)},
            "inweight": {paths[i]: inweight.get(i, 0.0) for i in files if i in paths},
            "maxweight": max(inweight.values(), default=0.0),
            "extra": {k: {p: v for p, v in s.items() if p in by_path}
                      for k, s in history_variants(log, ranking.words).items()},
        }  # fmt: skip
    finally:
        conn.close()
    DUMP.write(json.dumps(out) + "\n")


def print_table(title: str, summaries: dict[str, dict[str, Any]]) -> None:
    print(f"\n{title}")
    cols = [f"{r}" for r in RANKERS]
    print(f"{'project':<9} {'n':>3}  " + "  ".join(f"{c + ' R@1/R@5/Acc5/MRR':<30}" for c in cols))
    for name, summary in summaries.items():
        cells = []
        for ranker in RANKERS:
            m = summary.get(title.split()[0] + "/" + ranker) or {}
            if not summary["commits"]:  # --skip went past this project's selected commits
                cells.append("no commits")
                continue
            cells.append("/".join(f"{m.get(k) or 0:.2f}" for k in ("R@1", "R@5", "Acc@5", "MRR")))
        print(f"{name:<9} {summary['commits']:>3}  " + "  ".join(f"{c:<30}" for c in cells))


def override(item: str) -> None:
    """`rank.W_HISTORY=0.5`, `rank.BM25_WEIGHTS.3=2` or `roles.TARGET_WEIGHT.test=0.3`."""
    import importlib

    target, _, value = item.partition("=")
    module_name, name, *key = target.split(".")
    module = importlib.import_module(f"mom_cli.index.{module_name}")
    if key:
        container = getattr(module, name)
        container[int(key[0]) if isinstance(container, list) else key[0]] = float(value)
        return
    else:
        setattr(module, name, value if name == "FUSION" else float(value))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", default=",".join(PROJECTS), help="comma-separated")
    parser.add_argument("--commits", type=int, default=100, help="commits per project")
    parser.add_argument(
        "--skip", type=int, default=0,
        help="leave out the newest N selected commits (with --commits 200 --skip 100: 100 "
        "older commits per project that no tuning has seen, a fresh test set)",
    )  # fmt: skip
    parser.add_argument("--split", choices=("held", "dev", "all"), default="held")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mom-bench-localize"))
    parser.add_argument(
        "--set", action="append", default=[], metavar="MODULE.NAME[.KEY]=VALUE",
        help="override a ranking constant for this run (tuning on --split dev), "
        "e.g. rank.W_HISTORY=0.5 or roles.TARGET_WEIGHT.test=0.3",
    )  # fmt: skip
    parser.add_argument(
        "--reindex", action="store_true", help="rebuild the kept per-commit indexes"
    )
    parser.add_argument("--dump", type=Path, help="write every query's signals (JSON lines)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show each de-leaked miss")
    args = parser.parse_args()
    names = [n.strip() for n in args.projects.split(",") if n.strip()]
    unknown = [n for n in names if n not in PROJECTS]
    if unknown:
        raise SystemExit(f"unknown project(s): {', '.join(unknown)} (known: {', '.join(PROJECTS)})")
    for item in args.set:
        override(item)
    global DUMP
    if args.dump:
        DUMP = args.dump.open("w")
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for name in names:
        rows += run_project(
            name, args.commits, args.split, args.cache, args.verbose, args.reindex, args.skip
        )
    per_project = {n: summarize([r for r in rows if r["project"] == n]) for n in names}
    per_project["overall"] = summarize(rows)
    beat = {}
    for kind in ("raw", "deleaked"):
        for metric in ("R@1", "R@5"):
            wins = [
                n for n in names
                if per_project[n][f"{kind}/ours"][metric] is not None
                and per_project[n][f"{kind}/ours"][metric]
                >= per_project[n][f"{kind}/bm25-src"][metric] + 0.05
            ]  # fmt: skip
            beat[f"{kind}/{metric}"] = wins
    print(f"split: {args.split} ({len(rows)} commits); {time.perf_counter() - start:.0f} s")
    print_table("raw queries", per_project)
    print_table("deleaked queries", per_project)
    scored = [n for n in names if per_project[n]["commits"]]
    for key, wins in beat.items():
        print(f"ours ≥ bm25-src + 0.05 on {key}: {len(wins)}/{len(scored)} {wins}")
    for name in sorted(set(names) - set(scored)):
        print(f"{name}: no commits in this selection (fewer than --skip qualify)")
    digest = hashlib.sha1("".join(sorted(r["sha"] for r in rows)).encode()).hexdigest()[:10]
    print(json.dumps({"split": args.split, "commits": len(rows), "commit_set": digest,
                      "seconds": round(time.perf_counter() - start, 1), "summary": per_project,
                      "beats_role_aware_bm25_by_0.05": beat}, separators=(",", ":")))  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("GIT_TERMINAL_PROMPT", "0")
    main()
