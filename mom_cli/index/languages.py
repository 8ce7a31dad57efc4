"""The language table: file extensions → grammar wheel + tags queries.

Adding a language is one `LanguageSpec` entry here plus its queries in `queries.py`.
Grammars come from the per-language wheels (`tree-sitter-python`, …): they work offline
with tree-sitter ≥ 0.25, unlike `tree-sitter-languages` (breaks on ≥ 0.22) or
`tree-sitter-language-pack` (downloads grammars at run time). Grammar modules are imported
lazily so a process only pays for the languages it meets.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from mom_cli.index import queries as q

if TYPE_CHECKING:
    from tree_sitter import Language, Parser, Query


class LanguageSpec(NamedTuple):
    """One language: where its grammar lives and what to ask of its trees."""

    name: str
    extensions: tuple[str, ...]
    module: str
    defs_query: str
    refs_query: str
    entry: str = "language"
    # Definitions never start deeper than this (None = anywhere). Bounding it lets the
    # query cursor skip function bodies, which is most of the tree.
    def_depth: int | None = None


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec("python", (".py", ".pyi"), "tree_sitter_python", q.PYTHON_DEFS, q.PYTHON_REFS,
                 def_depth=6),
    LanguageSpec("javascript", (".js", ".mjs", ".cjs", ".jsx"), "tree_sitter_javascript",
                 q.JAVASCRIPT_DEFS, q.JAVASCRIPT_REFS),
    LanguageSpec("typescript", (".ts", ".mts", ".cts"), "tree_sitter_typescript",
                 q.TYPESCRIPT_DEFS, q.TYPESCRIPT_REFS, entry="language_typescript"),
    LanguageSpec("tsx", (".tsx",), "tree_sitter_typescript", q.TYPESCRIPT_DEFS,
                 q.TYPESCRIPT_REFS, entry="language_tsx"),
    LanguageSpec("rust", (".rs",), "tree_sitter_rust", q.RUST_DEFS, q.RUST_REFS),
    LanguageSpec("go", (".go",), "tree_sitter_go", q.GO_DEFS, q.GO_REFS),
    LanguageSpec("java", (".java",), "tree_sitter_java", q.JAVA_DEFS, q.JAVA_REFS),
    LanguageSpec("c", (".c", ".h"), "tree_sitter_c", q.C_DEFS, q.C_REFS),
    LanguageSpec("cpp", (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"), "tree_sitter_cpp",
                 q.CPP_DEFS, q.CPP_REFS),
)  # fmt: skip

BY_NAME: dict[str, LanguageSpec] = {spec.name: spec for spec in LANGUAGES}
BY_EXTENSION: dict[str, LanguageSpec] = {ext: spec for spec in LANGUAGES for ext in spec.extensions}


def language_for(path: str) -> LanguageSpec | None:
    """The language of a path by its extension, or None when we do not index it."""
    dot = path.rfind(".")
    if dot < 0 or "/" in path[dot:]:
        return None
    return BY_EXTENSION.get(path[dot:].lower())


class Loaded(NamedTuple):
    """A language's compiled grammar, parser and queries (built once per process)."""

    language: Language
    parser: Parser
    defs: Query
    refs: Query


# Only `@name` of a reference is read: compiling the query without its `@reference.KIND`
# captures halves the Node objects a cold index creates (a million on the stdlib).
_REFERENCE_KIND = re.compile(r"@reference\.[\w.]+")


# Natural-language text (comments, docstrings, string literals) is captured as `@text` in
# the same pass as the references: the cursor walks every node once either way.
NL_NODES = {
    "python": ("comment", "string"),
    "javascript": ("comment", "string", "template_string"),
    "typescript": ("comment", "string", "template_string"),
    "tsx": ("comment", "string", "template_string"),
    "rust": ("line_comment", "block_comment", "string_literal", "raw_string_literal"),
    "go": ("comment", "interpreted_string_literal", "raw_string_literal"),
    "java": ("line_comment", "block_comment", "string_literal"),
    "c": ("comment", "string_literal"),
    "cpp": ("comment", "string_literal", "raw_string_literal"),
}


def _with_text(name: str, refs_query: str) -> str:
    return refs_query + "".join(f"\n({node}) @text" for node in NL_NODES.get(name, ()))


@cache
def load(name: str) -> Loaded:
    """Import the grammar wheel and compile the queries for one language."""
    from tree_sitter import Language, Parser, Query

    spec = BY_NAME[name]
    module = importlib.import_module(spec.module)
    language = Language(getattr(module, spec.entry)())
    return Loaded(
        language=language,
        parser=Parser(language),
        defs=Query(language, spec.defs_query),
        refs=Query(language, _with_text(name, _REFERENCE_KIND.sub("", spec.refs_query))),
    )
