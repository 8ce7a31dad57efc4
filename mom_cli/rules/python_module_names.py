"""The names a Python module defines, read from its source without importing it.

A rule that corrects `module 'marshmallow.fields' has no attribute 'Lists'` needs the
names `marshmallow.fields` has. Importing it would run the project's (or a dependency's)
code inside mom; reading the source is enough for the common case of a misspelt class or
function. The module is looked up where the project's tests would import it from: the
repository (flat or `src/` layout), the project's virtualenv, then the standard library.
A standard-library module mom itself has already imported (`os`, `posixpath`, `sys`,
written in C or filled by `from x import *`) is asked directly: that runs nothing new.
When the answer cannot be trusted (`from x import *`, unreadable or unparsable source),
there is no answer: a rule must not pick a "closest" name from an incomplete list.
"""

from __future__ import annotations

import ast
import os
import sys
import sysconfig
from pathlib import Path

from mom_cli.validate.runner import find_venv

_MAX_SOURCE_BYTES = 2_000_000
_PROJECT_ROOTS = ("", "src")


def module_names(module: str, repo: Path) -> set[str] | None:
    """Top-level names `module` defines (plus a package's submodules), or None when its
    source cannot be found or read completely."""
    parts = module.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    source = _module_source(parts, repo)
    loaded = sys.modules.get(module) if parts[0] in sys.stdlib_module_names else None
    if loaded is not None and (source is None or _is_stdlib(source)):
        return set(dir(loaded))
    if source is None:
        return None
    try:
        if source.stat().st_size > _MAX_SOURCE_BYTES:
            return None
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    names = _top_level_names(tree.body)
    if names is None:
        return None
    if source.name == "__init__.py":
        names |= _submodules(source.parent)
    return names


def _is_stdlib(source: Path) -> bool:
    return source.is_relative_to(sysconfig.get_paths()["stdlib"])


def _search_paths(repo: Path) -> list[Path]:
    paths = [repo / root if root else repo for root in _PROJECT_ROOTS]
    venvs = [
        find_venv(repo),
        Path(os.environ["VIRTUAL_ENV"]) if "VIRTUAL_ENV" in os.environ else None,
    ]
    for venv in venvs:
        if venv is not None:
            paths.extend(sorted((venv / "lib").glob("python3*/site-packages")))
    paths.append(Path(sysconfig.get_paths()["stdlib"]))
    return paths


def _module_source(parts: list[str], repo: Path) -> Path | None:
    for base in _search_paths(repo):
        for candidate in (
            base.joinpath(*parts[:-1], parts[-1] + ".py"),
            base.joinpath(*parts, "__init__.py"),
        ):
            if candidate.is_file():
                return candidate
    return None


def _top_level_names(body: list[ast.stmt]) -> set[str] | None:
    """Names bound at module level, including under `if`/`try`/`with`; None on `import *`."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if any(a.name == "*" for a in node.names):
                return None
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(
                    n.id
                    for n in ast.walk(target)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                )
        else:
            for block in _nested_blocks(node):
                inner = _top_level_names(block)
                if inner is None:
                    return None
                names |= inner
    return names


def _nested_blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    if isinstance(node, ast.If | ast.For | ast.While):
        return [node.body, node.orelse]
    if isinstance(node, ast.With):
        return [node.body]
    if isinstance(node, ast.Try | ast.TryStar):
        return [node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)]
    return []


def _submodules(package: Path) -> set[str]:
    """A package's submodules are attributes once imported: listed so that a real but
    unimported submodule is never "corrected" to a neighbour."""
    try:
        entries = list(package.iterdir())
    except OSError:
        return set()
    return {
        e.stem if e.suffix == ".py" else e.name
        for e in entries
        if (e.suffix == ".py" or (e / "__init__.py").is_file()) and e.stem.isidentifier()
    }
