"""The file graph: an edge from a file to each file defining a name it references.

Weights follow the intuition of aider's repo map: a reference counts sqrt(times used); a
name defined in many files says little about any one of them (1/definers, dropped past
MAX_DEFINERS); private and very short names count less. Only each file's TOP_EDGES
heaviest edges are kept, so the graph stays sparse and a query can walk it cheaply.
Edges are stored per source, so a refresh recomputes only the sources it affects.
"""

from __future__ import annotations

import heapq
import math
import sqlite3
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

MAX_DEFINERS = 25
TOP_EDGES = 24
_CHUNK = 500
_T = TypeVar("_T")


def name_weight(name: str, definers: int) -> float:
    """How much a reference to `name` says about the files defining it."""
    if definers == 0 or definers > MAX_DEFINERS or name.startswith("__"):
        return 0.0
    weight = 1.0 / definers
    if name.startswith("_"):
        weight *= 0.3
    if len(name) < 3:
        weight *= 0.1
    elif len(name) >= 8:
        weight *= 2.0
    return weight


def out_edges(
    src: int, refs: Iterable[tuple[str, int]], definers: Mapping[str, Sequence[int]]
) -> list[tuple[int, int, float]]:
    """The TOP_EDGES heaviest (src, dst, weight) edges leaving one file."""
    acc: dict[int, float] = defaultdict(float)
    for name, count in refs:
        files = definers.get(name)
        if not files:
            continue
        weight = name_weight(name, len(files))
        if weight == 0.0:
            continue
        weight *= math.sqrt(count)
        for dst in files:
            if dst != src:
                acc[dst] += weight
    best = heapq.nlargest(TOP_EDGES, acc.items(), key=lambda item: item[1])
    return [(src, dst, round(w, 6)) for dst, w in best]


def rebuild_all(conn: sqlite3.Connection) -> int:
    """Recompute every edge from the symbols and refs tables; returns the edge count."""
    definers = _definers(conn, None)
    refs: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for file_id, name, count in conn.execute("SELECT file_id, name, count FROM refs"):
        if name in definers:
            refs[file_id].append((name, count))
    return link_all(conn, refs, definers)


def link_all(
    conn: sqlite3.Connection,
    refs: Mapping[int, Iterable[tuple[str, int]]],
    definers: Mapping[str, Sequence[int]],
) -> int:
    """Replace every edge, from refs and definers already in memory (the cold build)."""
    conn.execute("DELETE FROM edges")
    conn.execute("DELETE FROM adjacency")
    rows: list[tuple[int, int, float]] = []
    packed: list[tuple[int, bytes, bytes]] = []
    for src, items in refs.items():
        out = out_edges(src, items, definers)
        rows.extend(out)
        packed.append(pack_adjacency(src, out))
    conn.executemany("INSERT INTO edges VALUES (?, ?, ?)", rows)
    conn.executemany("INSERT INTO adjacency VALUES (?, ?, ?)", packed)
    refresh_indegree(conn, None)
    return len(rows)


def refresh_indegree(conn: sqlite3.Connection, dsts: Collection[int] | None) -> None:
    """Store each file's in-degree and in-weight (the ranker's hub damping and prior).

    `dsts=None` recomputes every file; otherwise only those whose in-edges changed.
    """
    if dsts is None:
        conn.execute("UPDATE files SET indeg = 0, inweight = 0")
        conn.executemany(
            "UPDATE files SET indeg = ?, inweight = ? WHERE id = ?",
            [
                (count, weight, dst)
                for dst, count, weight in conn.execute(
                    "SELECT dst, count(*), total(weight) FROM edges GROUP BY dst"
                )
            ],
        )
        return
    conn.executemany(
        "UPDATE files SET indeg = (SELECT count(*) FROM edges WHERE dst = ?1), "
        "inweight = (SELECT total(weight) FROM edges WHERE dst = ?1) WHERE id = ?1",
        [(dst,) for dst in dsts],
    )


def rebuild_sources(
    conn: sqlite3.Connection, sources: Collection[int], moved: Collection[int] = ()
) -> None:
    """Recompute the out-edges of some files only (after a small refresh); `moved` are
    files whose in-edges changed otherwise (targets of deleted files)."""
    src_list = list(sources)
    refs: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for chunk in _chunks(src_list):
        marks = ",".join("?" * len(chunk))
        for file_id, name, count in conn.execute(
            f"SELECT file_id, name, count FROM refs WHERE file_id IN ({marks})", chunk
        ):
            refs[file_id].append((name, count))
    # Dunder names never weigh anything (see name_weight), and `__init__` alone has
    # thousands of definers to read back.
    names = {name for items in refs.values() for name, _ in items if not name.startswith("__")}
    definers = _definers(conn, names)
    dsts: set[int] = set(moved)
    for chunk in _chunks(src_list):
        marks = ",".join("?" * len(chunk))
        dsts.update(
            r[0] for r in conn.execute(f"SELECT dst FROM edges WHERE src IN ({marks})", chunk)
        )
        conn.executemany("DELETE FROM edges WHERE src=?", [(s,) for s in chunk])
    for src in src_list:
        rows = out_edges(src, refs[src], definers)
        dsts.update(dst for _, dst, _ in rows)
        conn.executemany("INSERT INTO edges VALUES (?, ?, ?)", rows)
        conn.execute("INSERT OR REPLACE INTO adjacency VALUES (?, ?, ?)", pack_adjacency(src, rows))
    refresh_indegree(conn, dsts)


def pack_adjacency(src: int, rows: Sequence[tuple[int, int, float]]) -> tuple[int, bytes, bytes]:
    """(src, dst ids, shares summing to 1) as an `adjacency` row; see `unpack_adjacency`."""
    total = sum(weight for _, _, weight in rows) or 1.0
    dsts = array("q", [dst for _, dst, _ in rows])
    shares = array("d", [weight / total for _, _, weight in rows])
    return src, dsts.tobytes(), shares.tobytes()


def unpack_adjacency(dsts: bytes, shares: bytes) -> list[tuple[int, float]]:
    ids, weights = array("q"), array("d")
    ids.frombytes(dsts)
    weights.frombytes(shares)
    return list(zip(ids, weights, strict=True))


def referencing_files(conn: sqlite3.Connection, names: Collection[str]) -> set[int]:
    """Files that reference any of `names` (their edges may change when a definer does)."""
    out: set[int] = set()
    for chunk in _chunks(list(names)):
        marks = ",".join("?" * len(chunk))
        out.update(
            r[0]
            for r in conn.execute(
                f"SELECT DISTINCT file_id FROM refs WHERE name IN ({marks})", chunk
            )
        )
    return out


def _definers(conn: sqlite3.Connection, names: Collection[str] | None) -> dict[str, list[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    if names is None:
        for name, file_id in conn.execute("SELECT name, file_id FROM symbols"):
            found[name].add(file_id)
    else:
        for chunk in _chunks(list(names)):
            marks = ",".join("?" * len(chunk))
            for name, file_id in conn.execute(
                f"SELECT name, file_id FROM symbols WHERE name IN ({marks})", chunk
            ):
                found[name].add(file_id)
    return {name: sorted(ids) for name, ids in found.items()}


def _chunks(items: Sequence[_T]) -> Iterator[list[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])
