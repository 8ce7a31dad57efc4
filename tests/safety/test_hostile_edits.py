"""A hostile reply's edit paths and SEARCH text: no spelling of a path leaves the repo or
reaches `.git/`/`.mom/`, and no SEARCH text keeps mom busy for minutes."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mom_cli.edits.containment import resolve_repo_path
from mom_cli.errors import EditError

PIECES = ["..", ".", "/", "\\", "~", ".git", ".GIT", ".mom", "hooks", "out", "in", "docs",
          "a", "x.py", "\0", " ", "\u200c", "C:", "//", "./", "gitlink"]  # fmt: skip


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("escape")
    repo, outside = base / "repo", base / "outside"
    for folder in (repo / ".git" / "hooks", repo / ".mom", repo / "in", outside):
        folder.mkdir(parents=True)
    (repo / "out").symlink_to(outside)  # a tracked link out of the repo
    (repo / "gitlink").symlink_to(repo / ".git")  # and one into .git
    (repo / "in" / "docs").symlink_to("../out")  # a link to a link out
    return repo, outside


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8))
def test_no_spelling_of_a_path_escapes(tree: tuple[Path, Path], pieces: list[str]) -> None:
    repo, _ = tree
    try:
        target, rel = resolve_repo_path(repo, "".join(pieces))
    except EditError:
        return
    root = repo.resolve()
    assert target.is_relative_to(root) and target.resolve() == target
    parts = [p.lower() for p in target.relative_to(root).parts]
    assert ".git" not in parts and ".mom" not in parts
    assert rel == target.relative_to(root).as_posix()


HANG = """
import random, sys
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.match import apply_block
from mom_cli.errors import EditError
random.seed(1)
base = "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789 =+-*/()") for _ in range(100))
def shuffled():
    chars = list(base)
    random.shuffle(chars)
    return "".join(chars)
text = "".join(shuffled() + "\\n" for _ in range(150))
search = "".join(shuffled() + "\\n" for _ in range(40))
try:
    apply_block(text, EditBlock("f.py", search, "x\\n"))
except EditError:
    pass
"""


def test_a_missed_search_over_a_hostile_file_does_not_hang() -> None:
    """Every window of these lines looks alike to difflib's quick filters; comparing a
    40-line SEARCH with each one took ~30 s (scripts/bench_nearest_lines.py)."""
    subprocess.run([sys.executable, "-c", HANG], check=True, timeout=20)


def test_the_hint_still_points_at_a_long_misquoted_block() -> None:
    from mom_cli.edits.blocks import EditBlock
    from mom_cli.edits.match import apply_block

    rng = random.Random(3)
    lines = [f"value_{i} = compute({rng.randint(0, 10**6)}, step={i})\n" for i in range(3000)]
    wanted = [line.replace("compute", "compte") for line in lines[2000:2400]]
    with pytest.raises(EditError) as info:
        apply_block("".join(lines), EditBlock("f.py", "".join(wanted), "x\n"))
    assert " 2001 | value_2000 = compute(" in info.value.detail


@pytest.mark.parametrize(
    "path", ["wf/ci.yml", "./.GitHub/Workflows/ci.yml", "conf/routing.toml", "Routing.TOML"]
)
def test_protected_files_are_refused_however_they_are_reached(tmp_path: Path, path: str) -> None:
    from mom_cli.config import SafetySection
    from mom_cli.edits.apply import plan_edits
    from mom_cli.edits.blocks import EditBlock

    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "wf").symlink_to(".github/workflows")  # a tracked link into a protected folder
    (repo / "conf").mkdir()
    (repo / "conf" / "routing.toml").write_text("")

    with pytest.raises(EditError, match="protected"):
        plan_edits(repo, [EditBlock(path, "", "x: 1\n")], safety=SafetySection())


@pytest.mark.parametrize(
    "path",
    [
        ".g\u200cit/hooks/pre-commit",  # HFS+ ignores U+200C: this is .git/hooks there
        ".m\ufeffom/lock",
        "src/\u202eyp.evil",  # a right-to-left override shows as "src/live.py"
    ],
)
def test_invisible_format_characters_in_paths_are_refused(tmp_path: Path, path: str) -> None:
    from mom_cli.edits.apply import plan_edits
    from mom_cli.edits.blocks import EditBlock

    with pytest.raises(EditError, match="format character"):
        plan_edits(tmp_path, [EditBlock(path, "", "x = 1\n", whole_file=True)])
