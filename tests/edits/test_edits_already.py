"""already_applied: is a model's edit already in place? Model output is untrusted input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_cli.edits.already import already_applied
from mom_cli.edits.blocks import EditBlock

OPS = "def add(a, b):\n    return a + b\n"


def test_replacement_present_and_search_gone(tmp_path: Path) -> None:
    (tmp_path / "ops.py").write_text(OPS)
    done = EditBlock("ops.py", "    return a - b", "    return a + b")
    assert already_applied(tmp_path, [done]) == ["ops.py"]
    todo = EditBlock("ops.py", "    return a + b", "    return a * b")
    assert already_applied(tmp_path, [todo]) == []
    assert already_applied(tmp_path, [done, todo]) == []  # all blocks, or nothing


def test_search_left_only_inside_the_replacement_counts_as_done(tmp_path: Path) -> None:
    added = OPS + "\n\ndef double(x):\n    return x * 2\n"
    (tmp_path / "ops.py").write_text(added)
    again = EditBlock(
        "ops.py", "    return a + b", "    return a + b\n\n\ndef double(x):\n    return x * 2"
    )
    assert already_applied(tmp_path, [again]) == ["ops.py"]
    (tmp_path / "ops.py").write_text(added + "\n\ndef sub(a, b):\n    return a + b\n")
    assert already_applied(tmp_path, [again]) == []  # a second SEARCH site is still to do


def test_paths_outside_the_repo_or_missing_are_not_done(tmp_path: Path) -> None:
    (tmp_path / "ops.py").write_text(OPS)
    for path in ("../ops.py", "/etc/passwd", ".git/config", "missing.py", ""):
        assert already_applied(tmp_path, [EditBlock(path, "x", "def add")]) == []


@settings(max_examples=60, deadline=None)
@given(
    path=st.text(max_size=30),
    search=st.text(max_size=40),
    replace=st.text(max_size=40),
    whole=st.booleans(),
)
def test_never_raises_and_only_claims_files_that_contain_the_replacement(
    tmp_path_factory: pytest.TempPathFactory, path: str, search: str, replace: str, whole: bool
) -> None:
    root = tmp_path_factory.mktemp("already")
    (root / "ops.py").write_text(OPS)
    block = EditBlock(path, search, replace, whole_file=whole)
    for rel in already_applied(root, [block]):
        assert replace.strip("\n") in (root / rel).read_text()
