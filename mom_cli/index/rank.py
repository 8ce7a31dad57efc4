"""Rank files for a task: personalized PageRank on the file graph, blended with BM25.

The personalization comes from the task text (identifiers it names, paths it mentions),
the files already in play, the last commits, and the best lexical hits, so a task that
names no symbol still gets a graph neighbourhood. Two small terms follow the blend: a file
lends PAIR_SHARE of its score to its test (or source) partner, since changes travel in
such pairs; and a global prior (weighted in-degree) ranks every remaining file, so the
list is never shorter than asked for and ties break towards central files.

PageRank is computed by forward push (Andersen, Chung & Lang 2006) over the stored sparse
adjacency: it touches only the part of the graph the seeds reach, so one query stays in
pure Python, with no numpy import.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections import defaultdict, deque
from collections.abc import Container, Iterable, Sequence

from mom_cli.index.graph import MAX_DEFINERS, unpack_adjacency
from mom_cli.index.pairs import load_partners
from mom_cli.index.roles import TARGET_WEIGHT, file_role
from mom_cli.index.signals import (
    MAX_QUERY_TERMS,
    field_scores,
    history_scores,
    lexical_scores,
    passage_scores,
)
from mom_cli.index.words import STOPWORDS, identifiers_in, query_words

ALPHA = 0.85  # probability of following an edge rather than jumping back to a seed
PUSH_EPSILON = 4e-3  # vs 1e-3: same top-10 on the bench queries, same recall, ~30% faster
MAX_PUSHES = 5_000
ADJACENCY_BATCH = 400
# Weights of the fused signals (see `_fuse`), chosen by cross-validation on the dev split of
# scripts/bench_localize.py (scripts/cv_localize.py: leave one project out and two folds by
# sha picked the same point in every fold; never the held-aside split). The passage signal
# (each file's best definition, see `passages`) leads and the whole-file fielded BM25 stays
# at half weight ("passage + lexical at l" in cv_localize.py, picked in 5 of 6 LOPO folds:
# 0.486/0.841 de-leaked R@1/R@5 out of fold, raw 0.64/0.92, vs 0.474/0.851 and 0.57/0.92
# without passages).
WEIGHTS = {
    "graph": 0.3,
    "lexical": 0.5,
    "history": 0.6,
    "code": 0.0,
    "text": 0.0,
    "path": 0.0,
    "defs": 0.0,
    "passage": 1.5,
    "module": 1.0,
}
FIELDS = {"code": "code_words", "text": "text_words", "path": "path_words", "defs": "def_words"}
FUSION = "max"
Z_SHARE = 0.25  # of a signal's positive z-score added to its max-scaled value (see `_fuse`)
RRF_K = 10.0
PAIR_SHARE = 0.1  # of a file's score lent to its test/source partner
COCHANGE_SHARE = 0.02  # of a file's score lent to the files it most often changes with
W_PRIOR = 0.01  # global prior: a tie-breaker and filler, never a match by itself
WEAK_NAME = 0.25  # strength of a plain word that is also a module name (see name_strength)
SEED_IDENT, SEED_PATH, SEED_IN_PLAY, SEED_RECENT, SEED_LEXICAL = 1.0, 2.0, 2.0, 0.3, 0.6
RECENT_DECAY = 0.8
RECENT_MAX_FILES = 40
BM25_WEIGHTS = [3.0, 1.0, 0.3, 0.1]  # path, definition, code and text (NL) words
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_CODE_LIKE = re.compile(r"\w+(?:\.\w+)+|\w+\(")
_PATHLIKE = re.compile(r"[\w.-]+(?:/[\w.-]+)+|[\w-]+\.[A-Za-z]{1,4}\b")
MAX_DOTTED = 20  # dotted names looked up per task
_DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


class Ranking:
    """Files best first, with the evidence used (for explaining and for context building).

    A plain slotted class: see `tags` for why the index modules use no dataclasses.
    """

    __slots__ = (
        "scores", "paths", "lexical", "seeds", "matched_names", "words", "roles", "signals"
    )  # fmt: skip

    def __init__(
        self,
        scores: dict[int, float],
        paths: dict[int, str],
        lexical: dict[int, float] | None = None,
        seeds: dict[int, float] | None = None,
        matched_names: dict[str, float] | None = None,
        words: list[str] | None = None,
    ) -> None:
        self.scores = scores
        self.paths = paths
        self.lexical: dict[int, float] = {} if lexical is None else lexical
        self.seeds: dict[int, float] = {} if seeds is None else seeds
        # name the task mentions → how surely it means that definition (0..1]
        self.matched_names: dict[str, float] = {} if matched_names is None else matched_names
        self.words: list[str] = [] if words is None else words
        self.roles: dict[int, str] = {}  # file id → role, for the files that were scored
        self.signals: dict[str, dict[int, float]] = {}  # each fused signal, before fusion

    def role(self, file_id: int) -> str:
        """source | test | docs | example | script | build (see `roles`)."""
        if file_id not in self.roles:
            self.roles[file_id] = file_role(self.paths[file_id])
        return self.roles[file_id]

    def top(self, limit: int) -> list[tuple[str, float]]:
        best = sorted(self.scores.items(), key=lambda kv: (-kv[1], self.paths[kv[0]]))[:limit]
        return [(self.paths[i], round(s, 6)) for i, s in best]


def rank(conn: sqlite3.Connection, query: str, files_in_play: Sequence[str] = ()) -> Ranking:
    """Score every reachable file for `query`; unreachable files score 0 and are omitted."""
    rows = conn.execute("SELECT id, path, indeg, inweight FROM files WHERE status != 'binary'")
    paths: dict[int, str] = {}
    indegree: dict[int, int] = {}
    inweight: dict[int, float] = {}
    for file_id, path, count, weight in rows:
        paths[file_id] = path
        if count:
            indegree[file_id], inweight[file_id] = count, weight
    by_path = {p: i for i, p in paths.items()}
    words = query_words(query)
    lexical = lexical_scores(conn, words, BM25_WEIGHTS)
    seeds: dict[int, float] = defaultdict(float)
    matched = _seed_identifiers(conn, query, seeds, _ModuleNames(paths.values()))
    named = _seed_paths(query, files_in_play, by_path, seeds)
    _seed_recent(conn, by_path, seeds)
    if lexical:
        top_lex = max(lexical.values()) or 1.0
        for file_id, score in sorted(lexical.items(), key=lambda kv: -kv[1])[:10]:
            seeds[file_id] += SEED_LEXICAL * score / top_lex
    ppr = _damp_hubs(personalized_pagerank(conn, seeds) if seeds else {}, indegree)
    signals = {"graph": ppr, "lexical": lexical}
    if WEIGHTS["history"]:
        signals["history"] = history_scores(conn, words, by_path)
    for name, column in FIELDS.items():
        if WEIGHTS[name]:
            signals[name] = field_scores(conn, words, column)
    if WEIGHTS["passage"]:
        signals["passage"] = passage_scores(conn, words)
    signals["module"] = named_modules(query, by_path)
    scores = fuse(signals, WEIGHTS)
    _lend_cochange(conn, scores, paths, by_path)
    _lend_to_partners(scores, load_partners(conn, paths))
    ranking = Ranking({}, paths, lexical, dict(seeds), matched, words)
    ranking.signals = signals
    for file_id, value in scores.items():  # edit targets: source first (see `roles`)
        if file_id not in named:  # unless the task names the file itself
            scores[file_id] = value * TARGET_WEIGHT[ranking.role(file_id)]
    _add_prior(scores, paths, inweight)
    ranking.scores = {i: s for i, s in scores.items() if i in paths and s > 0}
    return ranking


def fuse(signals: dict[str, dict[int, float]], weights: dict[str, float]) -> dict[int, float]:
    """The weighted sum of the signals, each added by `_fuse`."""
    scores: dict[int, float] = defaultdict(float)
    for name, signal in signals.items():
        _fuse(scores, weights[name], signal)
    return scores


def _fuse(scores: dict[int, float], weight: float, signal: dict[int, float]) -> None:
    """Add one signal: scaled to its best file = 1, plus Z_SHARE × how many standard
    deviations the file stands above the signal's mean (FUSION "max"); or by reciprocal
    rank (FUSION "rrf", weight / (RRF_K + rank)).

    Max-scaling alone rewards a signal's runner-ups as much as a clear winner; the z term
    lets a file that stands out of a flat list (one file whose past commits read like the
    task, among two hundred weak matches) outweigh a close second on another signal.
    Cross-validated on the bench's dev split: +0.03 R@1 over max-scaling alone; on 732
    commits no tuning saw, level with it (see CHANGELOG)."""
    if not signal:
        return
    if FUSION == "rrf":
        ordered = sorted(signal.items(), key=lambda kv: -kv[1])
        for place, (file_id, _value) in enumerate(ordered, start=1):
            scores[file_id] += weight * (RRF_K + 1) / (RRF_K + place)
        return
    top = max(signal.values()) or 1.0
    mean, spread = standard_scores(signal.values())
    for file_id, value in signal.items():
        above = max(0.0, (value - mean) / spread)
        scores[file_id] += weight * (value / top + Z_SHARE * above)


def standard_scores(values: Iterable[float]) -> tuple[float, float]:
    """Mean and standard deviation (1.0 when the values are all equal)."""
    data = list(values)
    mean = sum(data) / len(data)
    spread = math.sqrt(sum((v - mean) ** 2 for v in data) / len(data))
    return mean, spread or 1.0


def _lend_cochange(
    conn: sqlite3.Connection,
    scores: dict[int, float],
    paths: dict[int, str],
    by_path: dict[str, int],
) -> None:
    """A file lends COCHANGE_SHARE of its score, split by pair count, to the files it most
    often changed with (from history reachable from HEAD)."""
    stored = get_meta_value(conn, "cochange")
    if not stored or not scores:
        return
    partners = json.loads(stored)
    lent: dict[int, float] = defaultdict(float)
    for file_id, value in sorted(scores.items(), key=lambda kv: -kv[1])[:50]:
        others = partners.get(paths.get(file_id, ""), [])
        total = sum(n for _p, n in others) or 1
        for other, n in others:
            other_id = by_path.get(other)
            if other_id is not None:
                lent[other_id] += COCHANGE_SHARE * value * n / total
    for file_id, value in lent.items():
        scores[file_id] += value


def get_meta_value(conn: sqlite3.Connection, key: str) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return str(row[0]) if row else ""


def _lend_to_partners(scores: dict[int, float], partners_of: dict[int, list[int]]) -> None:
    """foo.py ↔ test_foo.py: each side gets PAIR_SHARE of the other's evidence score."""
    if not scores:
        return
    lent: dict[int, float] = defaultdict(float)
    for file_id, partners in partners_of.items():
        share = PAIR_SHARE * scores.get(file_id, 0.0)
        if share > 0:
            for other in partners:
                lent[other] = max(lent[other], share)
    for file_id, value in lent.items():
        scores[file_id] += value


def _add_prior(scores: dict[int, float], paths: dict[int, str], inweight: dict[int, float]) -> None:
    """W_PRIOR × log in-weight (scaled to 0..1) for every file; a tiny floor lists the rest."""
    scale = math.log1p(max(inweight.values(), default=0.0)) or 1.0
    for file_id in paths:
        scores[file_id] += W_PRIOR * math.log1p(inweight.get(file_id, 0.0)) / scale + 1e-9


def personalized_pagerank(conn: sqlite3.Connection, seeds: dict[int, float]) -> dict[int, float]:
    """Approximate PPR by forward push; the residual left at each node is below epsilon."""
    total = sum(seeds.values())
    residual: dict[int, float] = {i: w / total for i, w in seeds.items() if w > 0}
    estimate: dict[int, float] = defaultdict(float)
    adjacency: dict[int, list[tuple[int, float]]] = {}
    # FIFO with each node queued at most once; seeds go in heaviest first, so the mass that
    # matters is pushed before MAX_PUSHES can cut the walk short.
    queue = deque(sorted(residual, key=lambda n: -residual[n]))
    queued = set(queue)
    pushes = 0
    while queue and pushes < MAX_PUSHES:
        node = queue.popleft()
        queued.discard(node)
        mass = residual.get(node, 0.0)
        if mass <= PUSH_EPSILON:
            continue
        pushes += 1
        residual[node] = 0.0
        estimate[node] += (1 - ALPHA) * mass
        if node not in adjacency:
            _load_adjacency(conn, [node, *queue], adjacency)
        out = adjacency[node]
        spread = ALPHA * mass  # a dangling node's onward mass is dropped: order is all we need
        for dst, share in out:
            after = residual.get(dst, 0.0) + spread * share
            residual[dst] = after
            if after > PUSH_EPSILON and dst not in queued:
                queued.add(dst)
                queue.append(dst)
    return dict(estimate)


def _load_adjacency(
    conn: sqlite3.Connection, nodes: list[int], adjacency: dict[int, list[tuple[int, float]]]
) -> None:
    """Normalized out-edges of `nodes` (up to ADJACENCY_BATCH not yet loaded), in one query:
    the push would otherwise ask SQLite once per node, hundreds of times a query."""
    batch = [n for n in dict.fromkeys(nodes) if n not in adjacency][:ADJACENCY_BATCH]
    for node in batch:
        adjacency[node] = []  # a file with no out-edges has no row
    marks = ",".join("?" * len(batch))
    for src, dsts, shares in conn.execute(
        f"SELECT src, dsts, shares FROM adjacency WHERE src IN ({marks})", batch
    ):
        adjacency[src] = unpack_adjacency(dsts, shares)


def _damp_hubs(ppr: dict[int, float], indegree: dict[int, int]) -> dict[int, float]:
    """Divide by sqrt(in-degree): files everything uses (utilities) would otherwise win
    every query, though they are rarely what a task is about."""
    return {i: v / math.sqrt(1 + indegree.get(i, 0)) for i, v in ppr.items()}


class _ModuleNames:
    """Answers "is this word a directory name or a file stem?" for the indexed paths, by
    substring search over one string (a set of every path's parts costs ~10 ms a query)."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._text = "\n/" + "\n/".join(paths).lower() + "\n"

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and (f"/{word}/" in self._text or f"/{word}." in self._text)


def _written_as_code(query: str) -> set[str]:
    """Names the task marks as code: in `backticks`, dotted (`Message.json`) or called."""
    spans = _CODE_SPAN.findall(query) + _CODE_LIKE.findall(query)
    return set(identifiers_in(" ".join(spans)))


def name_strength(name: str, modules: Container[str], as_code: Container[str]) -> float:
    """How surely a task word names a definition. `JSONDecoder`, `max_age` or `v2` can only
    be code; a plain lower-case word that is also a module name (`json` in "fix the json
    decoder") more likely means the module than the one method somewhere called `json`,
    unless the task writes it as code (`as_code`)."""
    plain = name.isalpha() and name.islower()
    return WEAK_NAME if plain and name not in as_code and name in modules else 1.0


def _seed_identifiers(
    conn: sqlite3.Connection, query: str, seeds: dict[int, float], modules: Container[str]
) -> dict[str, float]:
    """Files defining identifiers the task names (rarer and surer names count more);
    returns each matched name's strength (see `name_strength`)."""
    idents = [
        name for name in identifiers_in(query) if len(name) >= 3 and name.lower() not in STOPWORDS
    ][:MAX_QUERY_TERMS]
    if not idents:
        return {}
    marks = ",".join("?" * len(idents))
    definers: dict[str, set[int]] = defaultdict(set)
    for name, file_id in conn.execute(
        f"SELECT name, file_id FROM symbols WHERE name IN ({marks})", idents
    ):
        definers[name].add(file_id)
    as_code = _written_as_code(query)
    strength = {name: name_strength(name, modules, as_code) for name in definers}
    for name, files in definers.items():
        if len(files) > MAX_DEFINERS:
            continue
        for file_id in files:
            seeds[file_id] += SEED_IDENT * strength[name] / len(files)
    return strength


def _seed_paths(
    query: str, in_play: Sequence[str], by_path: dict[str, int], seeds: dict[int, float]
) -> set[int]:
    """Seed the files in play and the files the task names by path; returns their ids
    (a file named this way is meant, whatever its role)."""
    named: set[int] = set()
    for path in in_play:
        file_id = by_path.get(path.strip("./"))
        if file_id is not None:
            seeds[file_id] += SEED_IN_PLAY
            named.add(file_id)
    for token in _PATHLIKE.findall(query):
        token = token.strip("./")
        hits = [i for p, i in by_path.items() if p == token or p.endswith("/" + token)]
        for file_id in hits[:10]:
            seeds[file_id] += SEED_PATH / len(hits)
        if len(hits) == 1:
            named.update(hits)
    return named


def named_modules(query: str, by_path: dict[str, int]) -> dict[int, float]:
    """Python modules the task names by import path: "the werkzeug.routing API" means
    `src/werkzeug/routing/__init__.py`, `click.shell_completion.ShellComplete` means
    `shell_completion.py`. The longest prefix of a dotted name that is a module counts; a
    name several modules end with splits its 1.0. A path-like task word seeds the graph
    (`_seed_paths`); a dotted one is its own signal, since no word search finds
    `__init__.py` for "routing" (on the bench's dev split: raw R@5 0.931 → 0.934, de-leaked
    unchanged, as de-leaking drops the changed files' path words)."""
    tokens = list(dict.fromkeys(_DOTTED.findall(query)))[:MAX_DOTTED]
    if not tokens:
        return {}
    modules = [(_module_of(path), file_id) for path, file_id in by_path.items()]
    found: dict[int, float] = defaultdict(float)
    for token in tokens:
        parts = token.split(".")
        for cut in range(len(parts), 1, -1):
            stem = "/".join(parts[:cut])
            hits = [i for module, i in modules if module == stem or module.endswith("/" + stem)]
            if hits:
                for file_id in hits:
                    found[file_id] += 1.0 / len(hits)
                break
    return dict(found)


def _module_of(path: str) -> str:
    """`src/pkg/mod.py` → `src/pkg/mod`, `src/pkg/__init__.py` → `src/pkg`; other files
    keep a name no dotted word can end with."""
    if not path.endswith(".py"):
        return "\0"
    return path[:-3].removesuffix("/__init__")


def _seed_recent(
    conn: sqlite3.Connection, by_path: dict[str, int], seeds: dict[int, float]
) -> None:
    row = conn.execute("SELECT value FROM meta WHERE key='recent'").fetchone()
    if not row:
        return
    weight = SEED_RECENT
    for commit in json.loads(row[0]):
        if len(commit) > RECENT_MAX_FILES:
            continue  # an import or a mass reformat says nothing about any one file
        files = [by_path[p] for p in commit if p in by_path]
        for file_id in files:
            seeds[file_id] += weight / len(files)
        weight *= RECENT_DECAY
