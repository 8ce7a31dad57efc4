"""Pair source files with their tests by file name (foo.py ↔ test_foo.py, foo_test.go, …).

A change to a module usually changes its test too, and the test rarely shares the task's
words or graph neighbourhood (tests reference the module, not the other way round), so the
ranker lends each file a share of its partner's score. The pairs depend only on the set of
paths, so a refresh that adds or removes files stores them (`store_partners`) and a query
reads them back instead of re-deriving them from every path.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Mapping

from mom_cli.index.store import get_meta, set_meta

# Test markers around a file's stem, across the conventions of the indexed languages:
# test_foo.py, foo_test.go, foo.test.ts, foo.spec.js, FooTest.java, FooTests.java.
_TEST_MARK = re.compile(r"^tests?_|(?:_tests?|\.test|\.spec|Tests?)$")
_NO_PAIR_STEMS = frozenset({"__init__", "index", "main", "mod", "lib", "conftest", "setup", ""})
MAX_GROUP = 4  # more files sharing a stem (e.g. many utils.py) says nothing about pairs


def stem_key(path: str) -> tuple[str, bool]:
    """The file's stem with any test marker removed, and whether it had one."""
    name = path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0]  # foo.test.ts → foo.test: the marker goes below
    bare = _TEST_MARK.sub("", stem)
    return bare.lower(), bare != stem


def partners_by_file(paths: Mapping[int, str]) -> dict[int, list[int]]:
    """file id → ids of files on the other side of a source/test pair with the same stem."""
    groups: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for file_id, path in paths.items():
        key, is_test = stem_key(path)
        if key not in _NO_PAIR_STEMS:
            groups[key].append((file_id, is_test))
    partners: dict[int, list[int]] = defaultdict(list)
    for members in groups.values():
        if not 2 <= len(members) <= MAX_GROUP:
            continue
        for a, a_test in members:
            for b, b_test in members:
                if a_test != b_test:
                    partners[a].append(b)
    return dict(partners)


def store_partners(conn: sqlite3.Connection) -> None:
    """Recompute the pairs of every indexed file (inside the caller's transaction)."""
    paths = dict(conn.execute("SELECT id, path FROM files WHERE status != 'binary'"))
    set_meta(conn, "partners", json.dumps(partners_by_file(paths)))


def load_partners(conn: sqlite3.Connection, paths: Mapping[int, str]) -> dict[int, list[int]]:
    """The stored pairs; derived from `paths` when an older cache has none."""
    stored = get_meta(conn, "partners")
    if not stored:
        return partners_by_file(paths)
    return {int(file_id): ids for file_id, ids in json.loads(stored).items()}
