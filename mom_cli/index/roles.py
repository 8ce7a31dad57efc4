"""What a file is for: source, test, docs, example, script or build.

A bug report is almost always fixed in source; tests, docs builds (`docs/conf.py`),
examples, scripts and setup files share its words but are rarely the edit target. The
ranker scales each file's edit-target score by its role, and context labels a test as one.
Decided from the path alone, so it costs nothing at query time and needs no parse.
"""

from __future__ import annotations

import re

ROLES = ("source", "test", "docs", "example", "script", "build")
# How much of its evidence a file keeps as an edit target, by role. Fitted on the bench's
# non-held-aside split (scripts/bench_localize.py, cv_localize.py): the last fit's grid
# stopped at test = 0.2 and chose that edge in every fold; scaling every non-source weight
# by 0.5 (0.35 → 0.175 for tests) raised de-leaked R@5 out of fold from 0.847 to 0.859,
# and anything from 0.5 down to 0 scored the same, so the mildest is kept: a test the task
# is about still ranks (and a file the task names by path keeps its whole score, see rank).
TARGET_WEIGHT = {
    "source": 1.0,
    "test": 0.175,
    "docs": 0.1,
    "example": 0.15,
    "script": 0.175,
    "build": 0.125,
}

_TEST_DIRS = frozenset({"test", "tests", "testing", "testdata", "__tests__", "spec", "specs"})
_DOCS_DIRS = frozenset({"doc", "docs", "documentation", "site", "website"})
_EXAMPLE_DIRS = frozenset({"example", "examples", "demo", "demos", "samples", "sample"})
_SCRIPT_DIRS = frozenset({"script", "scripts", "tools", "bin", "benchmarks", "bench", "hack"})
_BUILD_NAMES = frozenset(
    {
        "setup.py",
        "conftest.py",
        "noxfile.py",
        "tasks.py",
        "fabfile.py",
        "build.rs",
        "gulpfile.js",
        "gruntfile.js",
        "webpack.config.js",
        "rollup.config.js",
        "vite.config.ts",
        "jest.config.js",
        "babel.config.js",
        "eslint.config.js",
        "magefile.go",
    }
)
_TEST_NAME = re.compile(
    r"(^test_.*|.*_test|.*_tests|^tests?|.*\.test|.*\.spec|.*Tests?|^conftest)$"
)


def file_role(path: str) -> str:
    """The role of a repo-relative path (forward slashes)."""
    parts = path.lower().split("/")
    name = parts[-1]
    dirs = parts[:-1]
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if name in _BUILD_NAMES and name != "conftest.py":
        return "build"
    if _TEST_NAME.match(stem) or not _TEST_DIRS.isdisjoint(dirs):
        return "test"
    package_dirs = name.endswith(".go")  # in Go a directory is a package: doc/ is code
    if not package_dirs and not _DOCS_DIRS.isdisjoint(dirs):
        return "docs"
    if not package_dirs and not _EXAMPLE_DIRS.isdisjoint(dirs):
        return "example"
    if not _SCRIPT_DIRS.isdisjoint(dirs[:1]) or (dirs[:1] == [".github"]):
        return "script"
    if name.endswith((".config.js", ".config.ts", ".config.mjs")):
        return "build"
    return "source"


def target_weight(path: str) -> float:
    return TARGET_WEIGHT[file_role(path)]
