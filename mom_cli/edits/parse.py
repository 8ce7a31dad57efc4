"""Parse a model's reply into EditBlocks, and the prompt text that teaches the format.

Two forms are accepted, because models (small ones especially) drift between them:

* search/replace (aider-style): a path line, then ``<<<<<<< SEARCH`` / ``=======`` /
  ``>>>>>>> REPLACE``. Consecutive blocks without a new path line reuse the last path.
* whole file: a path line immediately followed by a fenced code block with no markers.
  Meant for small files and small models, which rarely reproduce search text exactly.

The reply is untrusted: the parser never touches the file system and never raises
anything but EditError (with a `detail` written for the retry prompt).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mom_cli.edits.blocks import EditBlock
from mom_cli.errors import EditError

# The placeholders of the format example below. Small models copy the example itself
# (the embedded one created path/to/file.py holding a line of these rules, on
# hukkin/tomli-w); an edit to one of them is refused, never applied.
EXAMPLE_PATHS = frozenset({"path/to/file.py", "path/to/small_file.py"})
EDIT_FORMAT_PROMPT = """\
Reply with edit blocks only. For each change, write the file path on its own line,
then a SEARCH/REPLACE block:

path/to/file.py
<<<<<<< SEARCH
the exact existing lines to change (copy them character for character,
with a few unchanged lines around them so they match one place only)
=======
the new lines that replace them
>>>>>>> REPLACE

Rules:
- Paths are relative to the repository root. Never use absolute paths, `..` or `.git/`.
- SEARCH must match the current file exactly, once. Keep blocks small; use several blocks
  for several changes.
- To create a new file, leave SEARCH empty.
- For a small file you may instead give the whole new content: the path on its own line,
  then the complete file in one fenced code block:

path/to/small_file.py
```python
...entire new file...
```
"""

_SEARCH = re.compile(r"^\s*<{5,9} ?SEARCH\b.*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9} ?REPLACE\b.*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+#.-]*)\s*$")
# A path on its own line, optionally decorated the way models like to: `x`, **x**,
# "File: x", "# x", "x:". Must contain a dot or a slash and no spaces.
_PATH_LINE = re.compile(
    r"^\s*(?:#+\s*)?(?:(?:file(?:name)?|path)\s*:\s*)?[`*'\"]*"
    r"(?P<path>[A-Za-z0-9_.~@+\-][^\s`*'\"]*?)[`*'\"]*:?\s*$",
    re.IGNORECASE,
)


def parse_edit_blocks(text: str) -> list[EditBlock]:
    """Every edit block in `text`, in order. Raises EditError on a malformed block.

    Returns [] when the reply holds no block at all; the caller decides whether that is
    an error (a model that "explains" instead of editing).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[EditBlock] = []
    last_path: str | None = None
    wrapping: str | None = None  # the fence that wraps SEARCH blocks we are inside of
    i = 0
    while i < len(lines):
        line = lines[i]
        if _SEARCH.match(line):
            path = _path_before(lines, i) or last_path
            if path is None:
                raise EditError(
                    "edit block without a file path",
                    detail=f"Line {i + 1} starts a SEARCH block, but no file path precedes it. "
                    "Put the repository-relative path on its own line before each block.",
                )
            block, i = _read_search_block(lines, i, path)
            blocks.append(block)
            last_path = path
            continue
        fence = _FENCE.match(line)
        if fence and wrapping is not None and not fence.group(2):
            wrapping = None  # the close of a fence around SEARCH blocks
            i += 1
            continue
        if fence:
            end = _fence_end(lines, i, fence.group(1))
            body = lines[i + 1 : end]
            if any(_SEARCH.match(b) for b in body):
                wrapping = fence.group(1)  # parse the inside of a fence around SEARCH blocks
                i += 1
                continue
            path = _path_before(lines, i, skip_fences=False)
            if path is not None and end < len(lines):
                content = "".join(line + "\n" for line in body)
                blocks.append(EditBlock(path, "", content, whole_file=True))
                last_path = path
            i = end + 1
            continue
        i += 1
    for block in blocks:
        if block.path in EXAMPLE_PATHS:
            raise EditError(
                f"edit to the format example's placeholder {block.path}",
                detail=f"{block.path} is the placeholder from the format example, not a file "
                "of this repository. Write the real repository-relative path of the file "
                "the task is about.",
            )
    return blocks


def format_edit_blocks(blocks: Iterable[EditBlock]) -> str:
    """The canonical text for `blocks`; `parse_edit_blocks` reads it back unchanged."""
    out: list[str] = []
    for block in blocks:
        if block.whole_file:
            body = _body_lines(block.replace)
            fence = "````" if any("```" in line for line in body) else "```"
            out += [block.path, fence, *body, fence, ""]
        else:
            out += [block.path, "<<<<<<< SEARCH"]
            out += _body_lines(block.search)
            out.append("=======")
            out += _body_lines(block.replace)
            out += [">>>>>>> REPLACE", ""]
    return "\n".join(out)


def _body_lines(text: str) -> list[str]:
    if not text:
        return []
    return (text[:-1] if text.endswith("\n") else text).split("\n")


def _read_search_block(lines: list[str], start: int, path: str) -> tuple[EditBlock, int]:
    """Read SEARCH … ======= … REPLACE starting at `start`; return the block and next index."""
    search: list[str] = []
    replace: list[str] = []
    i = start + 1
    while i < len(lines) and not _DIVIDER.match(lines[i]):
        if _SEARCH.match(lines[i]) or _REPLACE.match(lines[i]):
            raise _malformed(path, start, "expected ======= before the next marker")
        search.append(lines[i])
        i += 1
    if i >= len(lines):
        raise _malformed(path, start, "missing the ======= divider")
    i += 1
    while i < len(lines) and not _REPLACE.match(lines[i]):
        if _SEARCH.match(lines[i]) or _DIVIDER.match(lines[i]):
            raise _malformed(path, start, "expected >>>>>>> REPLACE to close the block")
        replace.append(lines[i])
        i += 1
    if i >= len(lines):
        raise _malformed(path, start, "missing the closing >>>>>>> REPLACE line")
    return EditBlock(path, _join(search), _join(replace)), i + 1


def _join(lines: list[str]) -> str:
    return "".join(line.rstrip() + "\n" for line in lines) if lines else ""


def _malformed(path: str, start: int, why: str) -> EditError:
    return EditError(
        f"malformed edit block for {path}: {why}",
        detail=f"The block for {path} starting at line {start + 1} is malformed: {why}. "
        "Each block is: path line, <<<<<<< SEARCH, old lines, =======, new lines, "
        ">>>>>>> REPLACE.",
    )


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the fence opened at `start` (len(lines) if unclosed)."""
    for j in range(start + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
            return j
    return len(lines)


def _path_before(lines: list[str], index: int, *, skip_fences: bool = True) -> str | None:
    """The path named on the nearest non-blank line above `index`, if that line is a path.

    With `skip_fences`, an opening fence between the path and the SEARCH marker is skipped
    (```python then <<<<<<< SEARCH is the most common shape of model output).
    """
    j = index - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if skip_fences and j >= 0 and _FENCE.match(lines[j]):
        j -= 1
        while j >= 0 and not lines[j].strip():
            j -= 1
    if j < 0:
        return None
    return _as_path(lines[j])


def _as_path(line: str) -> str | None:
    if _FENCE.match(line) or _REPLACE.match(line) or _DIVIDER.match(line):
        return None
    match = _PATH_LINE.match(line)
    if not match:
        return None
    path = match.group("path").rstrip(".:")
    if "." not in path and "/" not in path:
        return None
    if path.startswith("./"):
        path = path[2:]
    return path or None
