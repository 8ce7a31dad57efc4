"""A first answer before the index exists: a lexical pass over raw text, then a parse of
only the files it picked.

A cold index of a stdlib-sized repository takes seconds (parsing every file); a user's
first `mom context` should not wait for it. This scans the files' bytes for the task's
words (BM25 over substring counts, in C via `bytes.count`), scales the scores by file role
like the full ranker, parses the best few (QUICK_FILES, at most QUICK_BYTES of them) into
an in-memory index, and builds the context from that with the usual ranker and renderer.
The caller starts the full build.

Only source files are read: tests are most of a large repository's bytes (19 of the
stdlib's 32 MB) and rarely the edit target, so other roles are matched by their path words
alone, unless the task itself speaks of tests.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mom_cli.index.discover import Candidate, discover
from mom_cli.index.roles import file_role, target_weight
from mom_cli.index.words import path_words, query_words

if TYPE_CHECKING:
    from mom_cli.index.context import ContextResult, ContextSession, Mode

QUICK_FILES = 12
QUICK_BYTES = 300_000  # parse no more than this much (after the first QUICK_MIN_PARSE files)
QUICK_MIN_PARSE = 3
# Below this many files a full build is about as quick as the first answer: just build.
QUICK_MIN_FILES = 300
MAX_WORDS = 16
K1, B = 1.2, 0.75
PATH_BONUS = 2.0  # a query word in the file's path counts as this many extra hits


def scan(
    root: Path, candidates: Sequence[Candidate], query: str, files_in_play: Sequence[str] = ()
) -> list[tuple[str, float]]:
    """Files best first by BM25 of the query words' substring counts in their raw text."""
    texts = query_words(query)[:MAX_WORDS]
    words = [w.encode() for w in texts]
    read_all = any(w.startswith("test") for w in texts)
    in_play = {p.strip("./") for p in files_in_play}
    base = os.fspath(root) + os.sep
    counts: dict[str, list[float]] = {}
    lengths: dict[str, int] = {}
    for cand in candidates:
        if not read_all and cand.path not in in_play and file_role(cand.path) != "source":
            in_path = set(path_words(cand.path).split())
            counts[cand.path] = [PATH_BONUS * (w in in_path) for w in texts]
            lengths[cand.path] = max(1, cand.size)
            continue
        try:
            with open(base + cand.path, "rb") as handle:
                data = handle.read().lower()
        except OSError:
            continue
        lowered = cand.path.lower().encode()
        counts[cand.path] = [data.count(w) + PATH_BONUS * (w in lowered) for w in words]
        lengths[cand.path] = max(1, len(data))
    n = len(counts) or 1
    avg = sum(lengths.values()) / n
    df = [sum(1 for c in counts.values() if c[i]) for i in range(len(words))]
    idf = [math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df]
    scores: dict[str, float] = {}
    for path, tfs in counts.items():
        norm = K1 * (1 - B + B * lengths[path] / avg)
        score = sum(w * tf * (K1 + 1) / (tf + norm) for w, tf in zip(idf, tfs, strict=True) if tf)
        if path in in_play:
            score += max(idf, default=1.0) * 2
        if score > 0:
            scores[path] = score * target_weight(path)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def first_context(
    root: Path,
    query: str,
    budget: int,
    mode: Mode = "targeted",
    files_in_play: Sequence[str] = (),
    session: ContextSession | None = None,
) -> ContextResult | None:
    """Context for `query` from the best lexical candidates, parsed in this process; None
    when the repository is small enough to index outright (QUICK_MIN_FILES)."""
    from mom_cli.index.bulk import BulkWriter
    from mom_cli.index.context import build_context
    from mom_cli.index.pairs import store_partners
    from mom_cli.index.parse import parse_file
    from mom_cli.index.store import create_schema, ensure_indexes

    candidates = discover(root).candidates
    if len(candidates) < QUICK_MIN_FILES:
        return None
    stats = {c.path: c for c in candidates}
    picked: list[str] = []
    size = 0
    for path, _score in scan(root, candidates, query, files_in_play)[:QUICK_FILES]:
        if len(picked) >= QUICK_MIN_PARSE and size + stats[path].size > QUICK_BYTES:
            break
        picked.append(path)
        size += stats[path].size
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        create_schema(conn)
        writer = BulkWriter(conn)
        for path in picked:
            cand = stats.get(path)
            if cand is None:
                continue
            parsed = parse_file(os.fspath(root), path, cand.language, cand.mtime_ns, cand.size)
            if parsed.status in ("ok", "partial"):
                writer.add(parsed)
        writer.link()
        store_partners(conn)
        ensure_indexes(conn)
        return build_context(conn, root, query, budget, mode, files_in_play, session)
    finally:
        conn.close()
