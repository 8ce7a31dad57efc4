"""Python module names and import edges, for the build stage's import check and for
choosing the affected tests. Regex-based on purpose: it must be fast on hundreds of files
and must not choke on files that do not parse."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

_IMPORT = re.compile(
    r"^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)", re.M
)
# Imports by string: pytest.importorskip("a.b"), importlib.import_module("a.b"), __import__.
# Tests use these for modules that may not exist yet (a milestone's new file), and missing
# them would make a change look untested.
_DYNAMIC = re.compile(r"""(?:importorskip|import_module|__import__)\(\s*["']([\w.]+)["']""")
_FROM = re.compile(r"^\s*from\s+(\.*[\w.]*)\s+import\s+(?:\(([^)]*)\)|([^\n#;]+))", re.M)


def module_name(root: Path, rel: str) -> str | None:
    """`pkg.sub.mod` for a module inside a package, None for scripts, tests and setup files.

    Only modules inside a package (a folder with `__init__.py`) are imported by the build
    check: importing a top-level script could run it.
    """
    path = PurePosixPath(rel)
    if is_test_file(rel) or path.name in ("conftest.py", "__main__.py", "setup.py"):
        return None
    if not path.parent.parts or not (root / path.parent / "__init__.py").is_file():
        return None
    if _in_test_folder(_import_root(root, path.parent.parts)):
        return None  # tests/test_pkg/: pytest imports it its own way, not as `test_pkg`
    return dotted_name(root, rel)


def _import_root(root: Path, parts: tuple[str, ...]) -> tuple[str, ...]:
    """The folders above a package's top: `("tests",)` for tests/test_pkg/sub/."""
    i = len(parts)
    while i > 0 and (root.joinpath(*parts[:i]) / "__init__.py").is_file():
        i -= 1
    return parts[:i]


def _in_test_folder(parts: tuple[str, ...]) -> bool:
    return any(p in ("tests", "test") or p.startswith("test_") for p in parts)


def dotted_name(root: Path, rel: str) -> str | None:
    """The name `import` would use for `rel`: climbs while folders are packages, and
    treats `src/` and plain folders as import roots."""
    path = PurePosixPath(rel)
    if path.suffix not in (".py", ".pyi"):
        return None
    parts = path.parent.parts
    i = len(parts)
    while i > 0 and (root.joinpath(*parts[:i]) / "__init__.py").is_file():
        i -= 1
    names = [*parts[i:], *([] if path.stem == "__init__" else [path.stem])]
    return ".".join(names) or None


def is_test_file(rel: str) -> bool:
    name = PurePosixPath(rel).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def imported_names(source: str, own_module: str = "") -> set[str]:
    """Dotted names a file imports: `a.b` for `import a.b`, `a.b` and `a.b.c` for
    `from a.b import c`. Relative imports are resolved against `own_module`."""
    names: set[str] = set()
    for match in _IMPORT.finditer(source):
        for item in match.group(1).split(","):
            names.add(item.split(" as ")[0].strip())
    for match in _FROM.finditer(source):
        base = _absolute(match.group(1), own_module)
        if not base:
            continue
        names.add(base)
        for item in (match.group(2) or match.group(3) or "").split(","):
            word = item.split("#")[0].strip().split(" as ")[0].strip()
            if word and word != "*" and word.isidentifier():
                names.add(f"{base}.{word}")
    names.update(match.group(1) for match in _DYNAMIC.finditer(source))
    return {n for n in names if n}


def _absolute(base: str, own_module: str) -> str:
    dots = len(base) - len(base.lstrip("."))
    if not dots:
        return base
    package = own_module.split(".")[:-dots] if own_module else []
    rest = base[dots:]
    return ".".join([*package, rest] if rest else package)
