"""Turn a ranking into the exact text a step is sent, inside a token budget.

Three modes (see the seeds' "Context Minimization Strategies"):
- targeted: excerpts of the best-ranked definitions, with the lines around them;
- differential: as targeted, but an excerpt a `ContextSession` already sent is replaced by a
  one-line reference to it;
- summarized: a module list plus public signatures, for planning and architecture steps.
Excerpts are cut only at line boundaries, and every piece is measured with the same
additive estimate as the whole, so the rendered text never exceeds the budget.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from mom_cli.index.body_match import lines_holding, stem, words_between
from mom_cli.index.budget import (
    HEADER_FLOOR,
    MIN_PIECE_TOKENS,
    Budget,
    add_lines,
    fit_excerpt,
    path_cost,
)
from mom_cli.index.rank import Ranking, rank
from mom_cli.index.tokens import estimate_tokens
from mom_cli.index.words import split_identifier

Mode = Literal["targeted", "summarized"]
TOP_FILES = 20
FILE_DECAY = 0.7  # each further symbol from the same file counts less: spreads the budget
BODY_FILES = 5  # definitions of this many best files are also scored by the words inside them
BODY_SHARE = 1.5  # a definition holding every task word inside it (docstring, code) scores ×2.5
BODY_MAX_LINES = 400  # a longer definition (a big class) is judged by its first lines
KIND_WEIGHT = {"constant": 0.5, "declaration": 0.4, "module": 0.3, "impl": 0.6}
PUBLIC_KINDS = frozenset(
    {"class", "function", "method", "interface", "type", "macro", "module", "impl"}
)
_LEAD_PREFIXES = ("@", "#", "//", "/*", "*", "///", "#[")


class Excerpt(NamedTuple):
    """One piece of the rendered context: which lines of which definition, at what cost."""

    path: str
    start_line: int
    end_line: int
    symbol: str
    kind: str
    score: float
    text: str
    tokens: int
    already_sent: bool = False


class ContextResult:
    """What a step would be sent: the rendered `text` and how it was chosen.

    A plain slotted class, as callers prepend their own warnings (see `tags` for why the
    index modules use no dataclasses).
    """

    __slots__ = ("mode", "query", "budget", "files", "excerpts", "text", "tokens", "warnings")

    def __init__(
        self,
        mode: str,
        query: str,
        budget: int,
        files: list[tuple[str, float]],
        excerpts: list[Excerpt],
        text: str,
        tokens: int,
        warnings: list[str] | None = None,
    ) -> None:
        self.mode = mode
        self.query = query
        self.budget = budget
        self.files = files
        self.excerpts = excerpts
        self.text = text
        self.tokens = tokens
        self.warnings: list[str] = [] if warnings is None else warnings

    @property
    def bytes(self) -> int:
        return len(self.text.encode("utf-8"))

    def to_json(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "query": self.query,
            "budget": self.budget,
            "files": [{"path": p, "score": s} for p, s in self.files],
            "bytes": self.bytes,
            "tokens": self.tokens,
            "tokens_are_estimate": True,
            "excerpts": [e._asdict() for e in self.excerpts],
            "warnings": self.warnings,
        }


class ContextSession:
    """What one run or conversation has already sent (differential context)."""

    __slots__ = ("sent",)

    def __init__(self, sent: set[str] | None = None) -> None:
        self.sent: set[str] = set() if sent is None else sent

    def to_json(self) -> str:
        return json.dumps(sorted(self.sent))

    @classmethod
    def from_json(cls, text: str) -> ContextSession:
        return cls(set(json.loads(text)))


class _Candidate:
    """A definition that may become an excerpt; `score` is discounted by its rank in its file."""

    __slots__ = ("file_id", "path", "name", "kind", "line", "end_line", "score")

    def __init__(
        self, file_id: int, path: str, name: str, kind: str, line: int, end_line: int, score: float
    ) -> None:
        self.file_id = file_id
        self.path = path
        self.name = name
        self.kind = kind
        self.line = line
        self.end_line = end_line
        self.score = score


def build_context(
    conn: sqlite3.Connection,
    root: Path,
    query: str,
    budget: int,
    mode: Mode = "targeted",
    files_in_play: Sequence[str] = (),
    session: ContextSession | None = None,
) -> ContextResult:
    """Rank, select and render context for one step; never over `budget` (estimated)."""
    ranking = rank(conn, query, files_in_play)
    files = ranking.top(TOP_FILES)
    reader = _Reader(root)
    left = Budget(budget)
    if mode == "summarized":
        pieces, excerpts = _summarized(conn, ranking, reader, left)
    else:
        pieces, excerpts = _targeted(conn, ranking, reader, left, session)
    return ContextResult(
        mode=mode,
        query=query,
        budget=budget,
        files=files,
        excerpts=excerpts,
        text="\n".join(pieces),
        tokens=left.used,  # == estimate_tokens(text): the estimate is additive over lines
        warnings=reader.warnings,
    )


def _targeted(
    conn: sqlite3.Connection,
    ranking: Ranking,
    reader: _Reader,
    left: Budget,
    session: ContextSession | None,
) -> tuple[list[str], list[Excerpt]]:
    pieces: list[str] = []
    excerpts: list[Excerpt] = []
    taken: dict[str, list[tuple[int, int]]] = defaultdict(list)
    path_costs: dict[str, int] = {}
    for cand in _candidates(conn, ranking, reader):
        if left.left < MIN_PIECE_TOKENS:
            break
        # Priced before the file is read: once the budget runs low, most candidates can
        # be seen not to fit from their header alone (see `path_cost`).
        if not left.fits(path_cost(cand.path, path_costs) + HEADER_FLOOR):
            continue
        role = ranking.role(cand.file_id)  # a test (or docs, ...) is context, labelled so
        label = f"{cand.kind} {cand.name}" + ("" if role == "source" else f" [{role}]")
        head = path_costs[cand.path] + 1 + estimate_tokens(f" {label}")
        if not left.fits(head + 3):  # two line numbers and the first line's newline
            continue
        lines = reader.lines(cand.path)
        if lines is None:
            continue
        start = _lead_start(lines, cand.line)
        end = min(cand.end_line, len(lines))
        if any(start <= b and a <= end for a, b in taken[cand.path]):
            continue
        body = lines[start - 1 : end]
        key = f"{cand.path}:{start}-{end}:{_digest(body)}" if session is not None else ""
        if session is not None and key in session.sent:
            piece = f"== {cand.path}:{start}-{end} {label} (already sent; unchanged)"
            cost = estimate_tokens(piece)
            if not left.fits(cost):
                continue
            left.take(cost)
            pieces.append(piece)
            excerpts.append(Excerpt(cand.path, start, end, cand.name, cand.kind,
                                    round(cand.score, 6), "", cost, already_sent=True))  # fmt: skip
            taken[cand.path].append((start, end))
            continue
        fitted = fit_excerpt(cand.path, start, body, label, head, left)
        if fitted is None:
            continue
        piece, shown_end, cost = fitted
        left.take(cost)
        pieces.append(piece)
        excerpts.append(Excerpt(cand.path, start, shown_end, cand.name, cand.kind,
                                round(cand.score, 6), piece, cost))  # fmt: skip
        taken[cand.path].append((start, end))
        if session is not None and shown_end == end:
            session.sent.add(key)
    return pieces, excerpts


def _candidates(
    conn: sqlite3.Connection, ranking: Ranking, reader: _Reader | None = None
) -> list[_Candidate]:
    """Definitions of the top files, scored by file rank, name match and kind, and (in the
    best files, with a `reader`) by the task words inside them (see `_weigh_bodies`)."""
    top = sorted(ranking.scores.items(), key=lambda kv: -kv[1])[:TOP_FILES]
    if not top:
        return []
    file_score = dict(top)
    marks = ",".join("?" * len(top))
    rows = conn.execute(
        f"SELECT file_id, name, kind, line, end_line, scope FROM symbols "
        f"WHERE file_id IN ({marks})",
        [i for i, _ in top],
    ).fetchall()
    words = set(ranking.words)
    # A name can share a word with the task only if it contains that word, case aside: one
    # search per name instead of splitting each of the top files' thousands of names.
    maybe = re.compile("|".join(map(re.escape, words)), re.IGNORECASE | re.ASCII).search
    per_file: dict[int, list[_Candidate]] = defaultdict(list)
    for file_id, name, kind, line, end_line, scope in rows:
        score = file_score[file_id] * KIND_WEIGHT.get(kind, 1.0)
        score *= 1.0 + 3.0 * ranking.matched_names.get(name, 0.0)  # ×4 for a sure match
        if words and maybe(name):
            score *= 1.0 + 0.5 * len(words.intersection(split_identifier(name)))
        if scope:
            score *= 0.8
        qualified = f"{scope}.{name}" if scope else name
        path = ranking.paths[file_id]
        per_file[file_id].append(_Candidate(file_id, path, qualified, kind, line, end_line, score))
    if reader is not None and words:
        for file_id, _score in top[:BODY_FILES]:
            _weigh_bodies(per_file.get(file_id, []), reader, words)
    out: list[_Candidate] = []
    for items in per_file.values():
        items.sort(key=lambda c: -c.score)
        for k, cand in enumerate(items):
            cand.score *= FILE_DECAY**k
            out.append(cand)
    out.sort(key=lambda c: (-c.score, c.path, c.line))
    return out


def _weigh_bodies(cands: list[_Candidate], reader: _Reader, words: set[str]) -> None:
    """Scale each definition by the share of the task's words found inside it: a task
    about escaping strings wants `format_string` (whose body escapes) before the file's
    first functions, though no name says "escape". Words are compared by `stem`."""
    if not cands:
        return
    lines = reader.lines(cands[0].path)
    wanted = {stem(w) for w in words}
    if lines is None or not wanted:
        return
    where = lines_holding(lines, wanted)
    if not where:
        return
    for cand in cands:
        end = min(cand.end_line, cand.line + BODY_MAX_LINES)
        cand.score *= 1.0 + BODY_SHARE * words_between(where, cand.line, end) / len(wanted)


def _summarized(
    conn: sqlite3.Connection, ranking: Ranking, reader: _Reader, left: Budget
) -> tuple[list[str], list[Excerpt]]:
    """Module list, then each top file's public signatures, best file first."""
    top = sorted(ranking.scores.items(), key=lambda kv: -kv[1])[: TOP_FILES * 2]
    if not top:
        return [], []
    pieces: list[str] = []
    excerpts: list[Excerpt] = []
    tree_lines = ["== modules (best match first)"] + [
        f"{ranking.paths[i]}  ({s:.3f})" for i, s in top
    ]
    add_lines(tree_lines, left, pieces)
    for file_id, score in top:
        path = ranking.paths[file_id]
        rows = conn.execute(
            "SELECT name, kind, line, end_line, scope, signature FROM symbols "
            "WHERE file_id=? ORDER BY line",
            (file_id,),
        ).fetchall()
        sigs = [
            f"  {sig}" if scope else sig
            for name, kind, _line, _end, scope, sig in rows
            if kind in PUBLIC_KINDS and not name.startswith("_")
        ]
        if not sigs:
            continue
        shown = add_lines([f"== {path} (signatures)", *sigs], left, pieces)
        if shown > 1:
            piece = pieces[-1]
            first, last = rows[0][2], rows[-1][3]
            cost = estimate_tokens(piece)
            excerpts.append(
                Excerpt(path, first, last, path, "summary", round(score, 6), piece, cost)
            )
    return pieces, excerpts


def _lead_start(lines: list[str], line: int) -> int:
    """Include decorators, attributes and doc comments just above a definition."""
    start = line
    while start > 1 and lines[start - 2].lstrip().startswith(_LEAD_PREFIXES):
        start -= 1
        if line - start >= 8:
            break
    return start


def _digest(lines: list[str]) -> str:
    import hashlib  # differential context only: OpenSSL's start-up is ~5 ms of a warm call

    return hashlib.blake2b("\n".join(lines).encode("utf-8"), digest_size=6).hexdigest()


class _Reader:
    """Reads source files once per build, recording (not raising) failures."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[str, list[str] | None] = {}
        self.warnings: list[str] = []

    def lines(self, path: str) -> list[str] | None:
        if path not in self.cache:
            try:
                data = (self.root / path).read_bytes()
                self.cache[path] = data.decode("utf-8", "replace").splitlines()
            except OSError as exc:
                self.warnings.append(f"{path}: cannot read for context: {exc.strerror or exc}")
                self.cache[path] = None
        return self.cache[path]
