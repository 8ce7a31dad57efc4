"""Lexical and history signals for ranking: BM25 (SQLite FTS5) over one field at a time.

Each function returns {file id: score}, higher is better, for at most LEXICAL_LIMIT files.
A field of its own per signal lets the ranker weigh them separately: the whole-content
field (every identifier, split on case and underscores: what full-text search sees), the
natural-language field (docstrings, comments, strings), path words, definition names,
each file's past commit messages, and each file's best definition (see `passages`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from mom_cli.index.passages import file_of

LEXICAL_LIMIT = 200
# A pasted log or spec can name thousands of words; the first few hundred carry the task,
# and SQLite caps a statement's parameters (32,766).
MAX_QUERY_TERMS = 500
LEXICON_COLUMNS = ("path_words", "def_words", "code_words", "text_words")


def match_expression(words: Sequence[str], column: str = "") -> str:
    """`"a" OR "b"`, limited to one column when `column` is given."""
    terms = " OR ".join('"' + w.replace('"', "") + '"' for w in words[:MAX_QUERY_TERMS])
    return f"{{{column}}} : ({terms})" if column else terms


def lexical_scores(
    conn: sqlite3.Connection, words: Sequence[str], weights: Sequence[float]
) -> dict[int, float]:
    """BM25 over the lexicon's columns, each column's hits scaled by its weight."""
    if not words:
        return {}
    return _bm25(conn, "lexicon", match_expression(words), ", ".join(map(str, weights)))


def field_scores(conn: sqlite3.Connection, words: Sequence[str], column: str) -> dict[int, float]:
    """BM25 over one lexicon column (`code_words`, `text_words`, `path_words`, ...)."""
    if not words:
        return {}
    return _bm25(conn, "lexicon", match_expression(words, column), "")


def history_scores(
    conn: sqlite3.Connection, words: Sequence[str], by_path: dict[str, int]
) -> dict[int, float]:
    """BM25 of each file's past commit messages (history reachable from HEAD)."""
    if not words:
        return {}
    try:
        rows = conn.execute(
            f"SELECT path, bm25(history) AS s FROM history WHERE history MATCH ? "
            f"ORDER BY s LIMIT {LEXICAL_LIMIT}",
            (match_expression(words),),
        ).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {by_path[p]: -float(s) for p, s in rows if p in by_path and s < 0}


def _bm25(
    conn: sqlite3.Connection, table: str, match: str, weights: str, limit: int = LEXICAL_LIMIT
) -> dict[int, float]:
    """rowid → BM25 score (higher is better) of the best `limit` matches, best first."""
    args = f"{table}, {weights}" if weights else table
    try:
        rows = conn.execute(
            f"SELECT rowid, bm25({args}) AS s FROM {table} WHERE {table} MATCH ? "
            f"ORDER BY s LIMIT {limit}",
            (match,),
        ).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {int(rowid): -float(score) for rowid, score in rows if score < 0}


PASSAGE_HITS = 2000  # best passages read; a file needs only its best two
PASSAGE_SECOND = 0.5  # of a file's second-best passage added to its best (cv_localize.py)


def passage_scores(
    conn: sqlite3.Connection, words: Sequence[str], second: float = PASSAGE_SECOND
) -> dict[int, float]:
    """Each file's best passage BM25 (one document per definition, see `passages`), plus
    `second` × its second best: the file whose one function reads like the task, rather
    than the file that has each word somewhere."""
    if not words:
        return {}
    best: dict[int, list[float]] = {}
    hits = _bm25(conn, "passages", match_expression(words), "", PASSAGE_HITS)
    for rowid, score in hits.items():  # best first
        top = best.setdefault(file_of(rowid), [])
        if len(top) < 2:
            top.append(score)
    return {f: s[0] + second * (s[1] if len(s) > 1 else 0.0) for f, s in best.items()}
