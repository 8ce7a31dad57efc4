"""Extract definitions and references from one file's source with tree-sitter queries.

Pure function of (bytes, language): it runs in worker processes during a cold index, so it
touches no database and keeps its output small and picklable.

The index modules use NamedTuples and plain slotted classes, never `dataclasses`: `mom index`
and `mom context` run before every step and must start in milliseconds, and importing
`dataclasses` alone costs ~10 ms (it pulls in `inspect`), plus ~1 ms per class.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, NamedTuple

from mom_cli.index.languages import BY_NAME, load

if TYPE_CHECKING:
    from tree_sitter import Node, Query

MAX_SIGNATURE = 200
MAX_TEXT_NODES = 4000  # comments and strings kept per file for the NL field
MAX_TEXT_BYTES = 200_000
_CLASS_KINDS = frozenset({"class", "interface", "impl", "type"})


class Definition(NamedTuple):
    """A named definition with its line span (1-based, inclusive) and one-line signature."""

    name: str
    kind: str
    line: int
    end_line: int
    scope: str
    signature: str


class FileTags:
    """Everything the index keeps about one parsed file (filled in as `extract` goes)."""

    __slots__ = (
        "definitions",
        "references",
        "reference_counts",
        "error_line",
        "line_count",
        "text",
    )

    def __init__(
        self,
        definitions: list[Definition] | None = None,
        references: dict[str, int] | None = None,
        reference_counts: dict[str, int] | None = None,
        error_line: int | None = None,
        line_count: int = 0,
    ) -> None:
        self.definitions: list[Definition] = [] if definitions is None else definitions
        # name → the first line (1-based) where it is referenced; its count is beside it.
        self.references: dict[str, int] = {} if references is None else references
        self.reference_counts: dict[str, int] = {} if reference_counts is None else reference_counts
        self.error_line = error_line  # first line with a syntax error, if any
        self.line_count = line_count
        # comments, docstrings and string literals, joined by newlines (the NL field)
        self.text = ""


def extract(source: bytes, language: str) -> FileTags:
    """Definitions (with scope and signature) and references of one source file."""
    from tree_sitter import QueryCursor

    loaded = load(language)
    tree = loaded.parser.parse(source)
    root = tree.root_node
    tags = FileTags(line_count=source.count(b"\n") + 1)
    if root.has_error:
        tags.error_line = _first_error_line(root)

    cursor = QueryCursor(loaded.defs)
    depth = BY_NAME[language].def_depth
    if depth is not None:
        cursor.set_max_start_depth(depth)
    found: list[tuple[int, int, int, int, str, str, str]] = []
    seen: set[tuple[int, int]] = set()
    for _pattern, captures in cursor.matches(root):
        names = captures.get("name")
        if not names:
            continue
        for capture, nodes in captures.items():
            if not capture.startswith("definition."):
                continue
            node = nodes[0]
            start, end = node.start_byte, node.end_byte
            if (start, end) in seen:
                continue
            seen.add((start, end))
            name_node = names[0]
            found.append(
                (
                    start,
                    end,
                    node.start_point[0] + 1,
                    node.end_point[0] + 1,
                    capture[11:],  # len("definition.")
                    source[name_node.start_byte : name_node.end_byte].decode("utf-8", "replace"),
                    _signature(source, node, start, end),
                )
            )
    tags.definitions = _with_scopes(found)

    tags.references, tags.reference_counts, tags.text = _references(source, loaded.refs, root)
    return tags


def _references(
    source: bytes, query: Query, root: Node
) -> tuple[dict[str, int], dict[str, int], str]:
    """name → first line, name → count, and the comment/string text. The hot loop of a
    cold index (600k captures on the stdlib): names are sliced once, counted in C, and only
    the first occurrence of each pays for a line number."""
    from tree_sitter import QueryCursor

    captures = QueryCursor(query).captures(root)
    nodes = captures.get("name", [])
    pieces = [source[n.start_byte : n.end_byte] for n in captures.get("text", ())[:MAX_TEXT_NODES]]
    text = b"\n".join(pieces)[:MAX_TEXT_BYTES].decode("utf-8", "replace")
    keys = [source[node.start_byte : node.end_byte] for node in nodes]
    counts = Counter(keys)
    first = dict(zip(reversed(keys), reversed(nodes), strict=True))  # the earliest wins
    decode = {key: key.decode("utf-8", "replace") for key in counts}
    return (
        {decode[k]: node.start_point.row + 1 for k, node in first.items()},
        {decode[k]: v for k, v in counts.items()},
        text,
    )


def _with_scopes(found: list[tuple[int, int, int, int, str, str, str]]) -> list[Definition]:
    """Attach the enclosing definition's name; a function inside a class becomes a method."""
    found.sort(key=lambda item: (item[0], -item[1]))
    stack: list[tuple[int, str, str]] = []  # (end_byte, name, kind)
    out: list[Definition] = []
    for start, end, line, end_line, kind, name, signature in found:
        while stack and stack[-1][0] <= start:
            stack.pop()
        scope = stack[-1][1] if stack else ""
        if kind == "function" and stack and stack[-1][2] in _CLASS_KINDS:
            kind = "method"
        out.append(Definition(name, kind, line, end_line, scope, signature))
        stack.append((end, name, kind))
    return out


def _signature(source: bytes, node: Node, start: int, end: int) -> str:
    """The definition's header: from its start up to its body, on one line."""
    body = node.child_by_field_name("body")
    if body is not None:
        end = body.start_byte
    else:
        newline = source.find(b"\n", start, end)
        if newline >= 0:
            end = newline
    text = source[start : min(end, start + 4 * MAX_SIGNATURE)].decode("utf-8", "replace")
    # str.split() and the regex's \s agree on what whitespace is; split+join is ~3x cheaper.
    text = " ".join(text.split()).rstrip("{").rstrip()
    if len(text) > MAX_SIGNATURE:
        text = text[: MAX_SIGNATURE - 1] + "…"
    return text


def _first_error_line(root: Node) -> int:
    """Line of the first ERROR/MISSING node, found by descending into erroneous subtrees."""
    node = root
    while True:
        bad = [c for c in node.children if c.has_error or c.is_error or c.is_missing]
        if not bad:
            return node.start_point[0] + 1
        node = bad[0]
        if node.is_error or node.is_missing:
            return node.start_point[0] + 1
