"""For a failing test the tracer cannot read (anything but Python): the code the change
touched, in the files the test exercises, first.

The base check has shown the change broke the test, so what the change touched is the
prime suspect. Without a tracer a cargo or npm test step showed the test file and the
changed sources from their first line (a 3,500-character cut: the changed function of a
long file was often not in it). Here the step names the functions the change touched
(tree-sitter definitions of the code index, else the bare line numbers) and its excerpts
are centred on those lines. "Exercised" is what the test file pulls in: its relative
`import`/`require`s (JS, TS), its own package (Go), its crate (a Rust test); the
change's other sources of that language follow. Nothing is run; only files are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from mom_cli.validate.detect import language_of

Changed = Mapping[str, "set[int] | None"]  # file → lines changed since the base (None: all)
_TEST_PART = re.compile(r"(^|/)(tests?|__tests__|spec)/|[._-](test|spec)\.[^/]*$")
# relative specifiers only, including a bare "." / ".." (`require('..')`: the package
# root, as expressjs/cookie-parser's and commander.js's tests load themselves)
_JS_IMPORT = re.compile(
    r"""(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(?\s*)['"](\.{1,2}(?:/[^'"]*)?)['"]"""
)
_JS_SUFFIXES = ("", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", "/index.js", "/index.ts")
_TS_FOR_JS = {"js": ("ts", "tsx"), "mjs": ("mts",), "cjs": ("cts",), "jsx": ("tsx",)}
_FUNCTION_KINDS = {"function", "method"}
MAX_NAMED = 4


def is_test_path(rel: str) -> bool:
    return bool(_TEST_PART.search(rel))


def exercised(repo: Path, test_file: str, candidates: Sequence[str]) -> list[str]:
    """The `candidates` the test file pulls in (see the module docstring), in their order."""
    language = language_of(test_file)
    wanted: set[str] = set()
    if language in ("javascript", "typescript", "tsx"):
        wanted = js_imports(repo, test_file)
    elif language == "go":
        folder = str(PurePosixPath(test_file).parent)
        wanted = {c for c in candidates if str(PurePosixPath(c).parent) == folder}
    elif language == "rust":
        wanted = {c for c in candidates if c == test_file or c.startswith("src/")}
    return [c for c in candidates if c in wanted]


def js_imports(repo: Path, source: str) -> set[str]:
    """The project files `source` imports by a relative specifier: a file, a folder's
    index, or a folder's package.json `main`."""
    try:
        text = (repo / source).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    base = PurePosixPath(source).parent
    found = set()
    for spec in _JS_IMPORT.findall(text):
        target = _folder_or_file(base / spec)
        if target is None:
            continue  # leaves the repository
        candidates = [(target + suffix).lstrip("/") for suffix in _JS_SUFFIXES]
        # TypeScript's ESM convention: `import { x } from './x.js'` reads x.ts
        stem, dot, ext = target.rpartition(".")
        if dot and ext in _TS_FOR_JS:
            candidates += [f"{stem}.{ts}".lstrip("/") for ts in _TS_FOR_JS[ext]]
        if (main := _package_main(repo, target)) is not None:
            candidates.insert(1, main)
        for rel in candidates:
            if rel and (repo / rel).is_file() and _inside(repo, rel):
                found.add(rel)
                break
    return found


def _inside(repo: Path, rel: str) -> bool:
    """Not through a symlink out of the repository (its files are untrusted)."""
    try:
        return (repo / rel).resolve().is_relative_to(repo.resolve())
    except (OSError, RuntimeError):
        return False


def _folder_or_file(path: PurePosixPath) -> str | None:
    """`test/..` → "" (the repository's root), `a/./b` → `a/b`; None when it leaves."""
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _package_main(repo: Path, folder: str) -> str | None:
    """A folder's package.json `main`, relative to the repository."""
    try:
        data = json.loads((repo / folder / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    main = data.get("main") if isinstance(data, dict) else None
    if not isinstance(main, str) or not main or main.startswith("/"):
        return None
    return _normal(PurePosixPath(folder or ".") / main) or None


def _normal(path: PurePosixPath) -> str:
    """`a/../b` → `b`; "" for a path that leaves the repository."""
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                return ""
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def changed_sources(
    repo: Path, test_file: str, changed: Changed, have: Sequence[str], limit: int = 2
) -> list[str]:
    """The changed non-test files of the test's language, those it exercises first."""
    language = language_of(test_file)
    pool = [
        rel
        for rel in sorted(changed)
        if rel != test_file
        and rel not in have
        and language_of(rel) == language
        and not is_test_path(rel)
    ]
    first = exercised(repo, test_file, pool)
    return [*first, *(rel for rel in pool if rel not in first)][:limit]


def changed_focus(
    repo: Path, files: Sequence[str], changed: Changed
) -> tuple[dict[str, list[int]], list[str]]:
    """(file → the lines the change touched, to centre its excerpt on; one line per file
    naming the functions around them, e.g. "lib.js: add (lines 1-3)")."""
    focus: dict[str, list[int]] = {}
    notes: list[str] = []
    for rel in files:
        lines = changed.get(rel)
        if not lines:
            continue  # unchanged, or new as a whole: nothing narrower to point at
        focus[rel] = sorted(lines)
        named = _enclosing(repo, rel, lines)
        where = ", ".join(named[:MAX_NAMED]) if named else "lines " + _ranges(sorted(lines))
        notes.append(f"{rel}: {where}")
    return focus, notes


def _enclosing(repo: Path, rel: str, lines: set[int]) -> list[str]:
    """The innermost function (else any definition) around each changed line."""
    from mom_cli.index.languages import language_for

    spec = language_for(rel)
    if spec is None:
        return []
    try:
        from mom_cli.index.tags import extract

        defs = extract((repo / rel).read_bytes(), spec.name).definitions
    except Exception:  # a parser missing or failing is no reason to fail a step
        return []
    out: list[str] = []
    for line in sorted(lines):
        around = [d for d in defs if d.line <= line <= d.end_line]
        functions = [d for d in around if d.kind in _FUNCTION_KINDS] or around
        inner = min(functions, key=lambda d: d.end_line - d.line, default=None)
        if inner is not None:
            label = f"{inner.name} (lines {inner.line}-{inner.end_line})"
            if label not in out:
                out.append(label)
    return out


def _ranges(lines: list[int]) -> str:
    spans: list[list[int]] = []
    for n in lines:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans[:MAX_NAMED])
