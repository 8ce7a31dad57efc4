"""The edit-block parser: model noise tolerated, never crashes, round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.match import apply_block
from mom_cli.edits.parse import EDIT_FORMAT_PROMPT, format_edit_blocks, parse_edit_blocks
from mom_cli.errors import EditError

NOISY = """Sure! Here is the fix for the missing colon.

**calc/ops.py**
```python
<<<<<<< SEARCH
def add(a, b){TRAILING}
    return a + b
=======
def add(a, b):
    return a + b
>>>>>>> REPLACE
```

And a second change in the same file:

<<<<<<< SEARCH
x = 1
=======
x = 2
>>>>>>> REPLACE

Hope this helps!
""".replace("{TRAILING}", "   ")


def test_parses_fenced_block_with_prose_and_trailing_whitespace() -> None:
    blocks = parse_edit_blocks(NOISY)
    assert blocks == [
        EditBlock(
            "calc/ops.py", "def add(a, b)\n    return a + b\n", "def add(a, b):\n    return a + b\n"
        ),
        EditBlock("calc/ops.py", "x = 1\n", "x = 2\n"),
    ]


@pytest.mark.parametrize(
    "header",
    ["calc.py", "`calc.py`", "**calc.py**", "# calc.py", "File: calc.py", "./calc.py", "calc.py:"],
)
def test_path_line_decorations(header: str) -> None:
    text = f"{header}\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
    assert parse_edit_blocks(text) == [EditBlock("calc.py", "a\n", "b\n")]


def test_path_inside_the_fence_and_crlf() -> None:
    text = "\r\n".join(
        [
            "```",
            "src/lib.rs",
            "<<<<<<< SEARCH",
            "fn a() {}",
            "=======",
            "fn b() {}",
            ">>>>>>> REPLACE",
        ]
    )
    assert parse_edit_blocks(text) == [EditBlock("src/lib.rs", "fn a() {}\n", "fn b() {}\n")]


def test_whole_file_form() -> None:
    text = "Here is the new file.\n\nsmall.py\n```python\nX = 1\nY = 2\n```\n"
    assert parse_edit_blocks(text) == [EditBlock("small.py", "", "X = 1\nY = 2\n", whole_file=True)]


def test_code_sample_without_a_path_is_not_an_edit() -> None:
    assert parse_edit_blocks("Try this:\n```python\nprint(1)\n```\n") == []


def test_whole_file_after_a_fenced_search_block() -> None:
    text = "a.py\n```\n<<<<<<< SEARCH\n1\n=======\n2\n>>>>>>> REPLACE\n```\nb.py\n```\nB\n```\n"
    assert parse_edit_blocks(text) == [
        EditBlock("a.py", "1\n", "2\n"),
        EditBlock("b.py", "", "B\n", whole_file=True),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "a.py\n<<<<<<< SEARCH\nx\n",  # no divider
        "a.py\n<<<<<<< SEARCH\nx\n=======\ny\n",  # no REPLACE
        "<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n",  # no path
        "a.py\n<<<<<<< SEARCH\nx\n<<<<<<< SEARCH\n",  # nested
    ],
)
def test_malformed_blocks_raise_edit_error_with_detail(text: str) -> None:
    with pytest.raises(EditError) as info:
        parse_edit_blocks(text)
    assert info.value.detail


def test_a_copy_of_the_format_example_is_refused_not_applied() -> None:
    """The embedded model once answered with the example itself: a new path/to/file.py."""
    reply = (
        "path/to/file.py\n<<<<<<< SEARCH\n=======\n"
        "# to create a new file, leave SEARCH empty.\n>>>>>>> REPLACE\n"
    )
    with pytest.raises(EditError) as caught:
        parse_edit_blocks(reply)
    assert caught.value.detail and "placeholder" in caught.value.detail
    assert "path/to/file.py" in EDIT_FORMAT_PROMPT  # the placeholder the check knows


def test_prompt_mentions_every_marker() -> None:
    for marker in ("<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE", "```"):
        assert marker in EDIT_FORMAT_PROMPT


MARKERS = st.sampled_from(
    ["<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE", "```", "```python", "a.py", "**b.rs**", ""]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(MARKERS, st.text(max_size=40)), max_size=30))
def test_never_crashes_on_arbitrary_text(lines: list[str]) -> None:
    try:
        blocks = parse_edit_blocks("\n".join(lines))
    except EditError as exc:
        assert exc.detail
        return
    assert all(isinstance(b, EditBlock) and b.path for b in blocks)


_SAFE_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"
)
_LINE = (
    st.text(_SAFE_CHARS, max_size=30)
    .map(str.rstrip)
    .filter(lambda s: not s.lstrip().startswith(("<<<<<", "=====", ">>>>>", "```", "~~~")))
)
_TEXT = st.lists(_LINE, max_size=6).map(lambda ls: "".join(line + "\n" for line in ls))
_PATH = st.from_regex(r"[a-z]{1,6}(/[a-z]{1,6}){0,2}\.(py|rs|ts)", fullmatch=True)


@st.composite
def blocks(draw: st.DrawFn) -> EditBlock:
    path = draw(_PATH)
    if draw(st.booleans()):
        return EditBlock(path, "", draw(_TEXT), whole_file=True)
    return EditBlock(path, draw(_TEXT), draw(_TEXT))


@settings(max_examples=300, deadline=None)
@given(st.lists(blocks(), max_size=5))
def test_format_then_parse_round_trips(items: list[EditBlock]) -> None:
    assert parse_edit_blocks(format_edit_blocks(items)) == items


# ---- applying one block to text ------------------------------------------------------


def test_apply_exact_and_tolerant_matches() -> None:
    src = "def f():\n    x = 1   \n    return x\n"
    assert apply_block(src, EditBlock("f.py", "    x = 1\n", "    x = 2\n")) == (
        "def f():\n    x = 2\n    return x\n"
    )
    # the model lost the indentation: matched ignoring it, replacement re-indented
    assert apply_block(src, EditBlock("f.py", "x = 1\nreturn x\n", "y = 1\nreturn y\n")) == (
        "def f():\n    y = 1\n    return y\n"
    )


def test_apply_keeps_crlf() -> None:
    src = "a = 1\r\nb = 2\r\n"
    assert apply_block(src, EditBlock("f.py", "b = 2\n", "b = 3\n")) == "a = 1\r\nb = 3\r\n"


def test_crlf_block_on_crlf_file_does_not_double_carriage_returns() -> None:
    """Rules quote the raw CRLF text; the match used to miss and insert "\r\r\n"."""
    src = 'x = "é"\r\nimport os\r\ny = x\r\n'
    block = EditBlock("f.py", 'x = "é"\r\nimport os\r\ny = x\r\n', 'x = "é"\r\ny = x\r\n')
    assert apply_block(src, block) == 'x = "é"\r\ny = x\r\n'
    indented = EditBlock("f.py", "  import os\r\n", "  import sys\r\n")
    assert apply_block(src, indented) == 'x = "é"\r\nimport sys\r\ny = x\r\n'


def test_whole_file_keeps_crlf_and_mixed_files_keep_untouched_endings() -> None:
    crlf = "a = 1\r\nb = 2\r\n"
    whole = EditBlock("f.py", "", "a = 1\nb = 3\n", whole_file=True)
    assert apply_block(crlf, whole) == "a = 1\r\nb = 3\r\n"
    mixed = "a = 1\r\nb = 2\nc = 3\n"
    assert apply_block(mixed, EditBlock("f.py", "c = 3\n", "c = 4\n")) == "a = 1\r\nb = 2\nc = 4\n"


def test_ambiguous_search_is_refused() -> None:
    with pytest.raises(EditError, match="2 places"):
        apply_block("x = 1\nx = 1\n", EditBlock("f.py", "x = 1\n", "x = 2\n"))


def test_miss_reports_the_nearest_lines() -> None:
    src = "".join(f"line {i}\n" for i in range(50)) + "def total(items):\n    return sum(items)\n"
    with pytest.raises(EditError) as info:
        apply_block(src, EditBlock("f.py", "def totl(item):\n    return sum(item)\n", "x\n"))
    detail = info.value.detail
    assert "51 | def total(items):" in detail
    assert "52 |     return sum(items)" in detail


def test_empty_search_creates_but_never_clobbers() -> None:
    assert apply_block(None, EditBlock("new.py", "", "x = 1\n")) == "x = 1\n"
    with pytest.raises(EditError, match="empty SEARCH"):
        apply_block("old\n", EditBlock("f.py", "", "new\n"))
