"""Stage 1: does every changed file parse? tree-sitter for all languages, and for Python
also `compile()`, whose messages ("expected ':'") are what a model needs to fix the line.

Deterministic and in-process: no toolchain needed, ~1 ms per file.
"""

from __future__ import annotations

import importlib
import sys
import time
import warnings
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from mom_cli.validate.detect import language_of
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.result import StageContext, StageResult

MAX_ERRORS_PER_FILE = 5
# language → (grammar module, function returning the language pointer)
GRAMMARS = {
    "python": ("tree_sitter_python", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
}


@cache
def parser_for(language: str) -> Any | None:
    """A tree-sitter Parser for `language`, or None when its grammar wheel is missing."""
    spec = GRAMMARS.get(language)
    if spec is None:
        return None
    try:
        import tree_sitter

        module = importlib.import_module(spec[0])
        return tree_sitter.Parser(tree_sitter.Language(getattr(module, spec[1])()))
    except (ImportError, AttributeError, ValueError):
        return None


def check_syntax(root: Path, files: Sequence[str]) -> list[Diagnostic]:
    """Syntax diagnostics for `files` (repo-relative, under `root`)."""
    out: list[Diagnostic] = []
    for rel in files:
        language = language_of(rel)
        if language is None:
            continue
        try:
            source = (root / rel).read_bytes()
        except OSError:
            continue  # deleted files have no syntax
        out += check_source(rel, source, language)
    return out


def check_source(rel: str, source: bytes, language: str) -> list[Diagnostic]:
    parser = parser_for(language)
    found = _tree_sitter_errors(rel, source, parser, language) if parser is not None else []
    if language != "python":
        return found
    compiled = _compile_error(rel, source)
    if compiled is None:
        return []  # compile() accepts it: a grammar lag, not an error in the file
    if found:
        return [compiled]
    # Only compile() objects: a semantic SyntaxError ('return' outside function) or syntax
    # newer than this interpreter. The build stage re-checks with the project's python.
    note = f" (Python {sys.version_info.major}.{sys.version_info.minor} compile())"
    return [
        Diagnostic(
            "syntax",
            rel,
            compiled.line,
            compiled.message + note,
            "warning",
            compiled.column,
            compiled.code,
            "python",
        )
    ]


def _compile_error(rel: str, source: bytes) -> Diagnostic | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, rel, "exec", dont_inherit=True)
    except SyntaxError as exc:
        kind = type(exc).__name__
        return Diagnostic(
            "syntax",
            rel,
            exc.lineno or 0,
            f"{kind}: {exc.msg}",
            "error",
            exc.offset or 0,
            kind,
            "python",
        )
    except ValueError as exc:  # source code string cannot contain null bytes
        return Diagnostic("syntax", rel, 0, str(exc), "error", 0, "ValueError", "python")
    return None


# tree-sitter's C grammars accept a preprocessor directive only where a statement or a
# declaration may stand: `#ifdef` inside an initializer list (CPython extension modules
# do this: markupsafe's `_speedups.c`) parses as an error the compiler never sees. An
# error that starts at a directive is the grammar's limit, not evidence; the build stage
# compiles the file for real.
PREPROCESSED = {"c", "cpp"}


def _tree_sitter_errors(
    rel: str, source: bytes, parser: Any, language: str = ""
) -> list[Diagnostic]:
    tree = parser.parse(source)
    if not tree.root_node.has_error:
        return []
    out: list[Diagnostic] = []
    stack = [tree.root_node]
    while stack and len(out) < MAX_ERRORS_PER_FILE:
        node = stack.pop()
        if node.is_missing:
            out.append(_node_diagnostic(rel, node, f"missing `{node.type}`"))
            continue
        inner = [c for c in node.children if c.has_error or c.is_missing]
        if node.is_error and not any(c.is_error or c.is_missing for c in inner):
            text = (node.text or b"").decode("utf-8", "replace").strip().split("\n")[0][:40]
            if not (language in PREPROCESSED and text.startswith("#")):
                out.append(_node_diagnostic(rel, node, f"syntax error near `{text}`"))
            continue
        stack.extend(reversed(inner))
    return out


def _node_diagnostic(rel: str, node: Any, message: str) -> Diagnostic:
    row, col = node.start_point
    return Diagnostic("syntax", rel, row + 1, message, "error", col + 1, "", "tree-sitter")


def run_syntax_stage(ctx: StageContext) -> StageResult:
    started = time.monotonic()
    files = ctx.files_of(*GRAMMARS)
    diagnostics = check_syntax(ctx.root, files)
    errors = [d for d in diagnostics if d.severity == "error"]
    return StageResult(
        "syntax",
        passed=not errors,
        seconds=time.monotonic() - started,
        diagnostics=diagnostics,
        tool_used="tree-sitter" + (" + compile()" if any(f.endswith(".py") for f in files) else ""),
        skipped=not files,
        note=f"{len(files)} file(s) parsed" if files else "no source files to parse",
    )
