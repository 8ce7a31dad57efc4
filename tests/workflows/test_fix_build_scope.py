"""fix-build's scope on temp git repos with real git, ruff, flake8 and pytest.

What broke since the base (merge-base with upstream, else HEAD~1) is repaired; lint debt
outside the changed lines and tests failing at the base are reported and left alone; the
user's uncommitted lines survive byte for byte; a broken last commit is in scope.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from git_repos import (
    add_upstream,
    add_venv,
    commit_files,
    git,
    init_repo,
    make_repo,
    write_files,
)
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.tempdirs import sweep_stale
from mom_cli.workflows.fix_scope import EMPTY_TREE, changed_lines, dirty_files, find_base

__all__ = ["add_venv", "make_repo"]  # pytest fixtures from git_repos

CORE = '''"""Core maths."""
import sys


def total(values):
    result = 0
    for value in values:
        result += value
    return result


def scale(values, factor):
    return [value * factor for value in values]
'''
OLD = '''"""Old code with lint debt nobody asked to fix."""
import os


def old():
    return 1
'''
TESTS = """from pkg.core import scale, total


def test_total():
    assert total([1, 2, 3]) == 6


def test_scale():
    assert scale([1, 2], 3) == [3, 6]
"""
RUFF = '[project]\nname = "pkg"\nversion = "0"\n\n[tool.ruff.lint]\nselect = ["E", "F"]\n'
FLAKE8 = "[tox]\nenvlist = py\n\n[flake8]\nmax-line-length = 100\n"
NO_COLON = ("def scale(values, factor):", "def scale(values, factor)")


def _files(lint: str = "ruff") -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "pkg/__init__.py": "",
        "pkg/core.py": CORE,
        "pkg/old.py": OLD,
        "tests/test_core.py": TESTS,
        "README.md": "# pkg\n",
    }
    files["pyproject.toml" if lint == "ruff" else "tox.ini"] = RUFF if lint == "ruff" else FLAKE8
    return files


@pytest.fixture
def project(
    make_repo: Callable[..., Path], add_venv: Callable[[Path], Path], tmp_path: Path
) -> Callable[..., Path]:
    """project(lint) -> a repo whose HEAD~1 holds the project (with its debt) and whose
    last commit is unrelated, so the base is HEAD~1 and the debt predates it."""

    def make(lint: str = "ruff") -> Path:
        repo = make_repo(_files(lint))
        add_venv(repo)
        commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")
        return repo

    os.environ["MOM_HOME"] = str(tmp_path / "home")
    return make


def _swap(repo: Path, rel: str, old: str, new: str) -> None:
    text = (repo / rel).read_text()
    assert old in text, (rel, old)
    (repo / rel).write_text(text.replace(old, new, 1))


def _fix_build(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, Any]:
    monkeypatch.setenv("MOM_TIERS__DEFAULT", '["rules"]')  # no model: $0, offline
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--json", *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_lint_debt_outside_the_changed_lines_is_reported_not_edited(
    project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = project()
    _swap(repo, "pkg/core.py", *NO_COLON)  # the user's change breaks a line
    _swap(repo, "pkg/core.py", "result = 0\n", "result = 0\n    import json\n")  # and adds F401
    old_before = (repo / "pkg/old.py").read_bytes()
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 0 and doc["passed"], doc["remaining"]
    assert (repo / "pkg/core.py").read_text() == CORE
    assert (repo / "pkg/old.py").read_bytes() == old_before  # debt: untouched
    scope = doc["scope"]
    assert scope["base"].startswith("HEAD~1")
    assert scope["lint_debt"] == 2  # `import sys` in core.py, `import os` in old.py
    assert scope["lint_debt_files"] == {"pkg/core.py": 1, "pkg/old.py": 1}
    assert doc["totals"]["fixed_by_rules"] >= 1
    # two autofixes judged by syntax, build and lint; the suite ran once, on the final change
    assert doc["totals"]["validations"] == 1


def test_a_codeless_preview_rule_on_unchanged_lines_is_debt_not_a_syntax_error(
    make_repo: Callable[..., Path],
    add_venv: Callable[[Path], Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Recent ruff reports preview rules that have no code yet (pytest-fixture-autouse)
    with `"code": null`, as it does parse errors; found on tox-dev/platformdirs."""
    files = _files()
    files["pyproject.toml"] = RUFF.replace(
        'select = ["E", "F"]', 'preview = true\nselect = ["E", "F", "pytest-fixture-autouse"]'
    )
    files["tests/test_core.py"] = TESTS.replace(
        "\n\n\ndef test_total",
        "\nimport pytest\n\n\n@pytest.fixture(autouse=True)\ndef _quiet():\n    return None"
        "\n\n\ndef test_total",
        1,
    )
    repo = make_repo(files)
    add_venv(repo)
    commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    tests_before = (repo / "tests/test_core.py").read_bytes()
    _swap(repo, "pkg/core.py", *NO_COLON)
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 0 and doc["passed"], doc["remaining"]
    assert (repo / "pkg/core.py").read_text() == CORE
    assert (repo / "tests/test_core.py").read_bytes() == tests_before
    assert doc["scope"]["lint_debt_files"].get("tests/test_core.py") == 1


def test_a_dirty_user_file_is_edited_only_at_the_fault(
    project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = project()
    mine = CORE.replace(
        "    return result\n", "    # my note: keep me exactly\n    return result\n"
    )
    mine += "\n\ndef triple(values):\n    return [v * 3 for v in values]  # mine\n"
    (repo / "pkg/core.py").write_text(mine.replace("in values]  # mine", "in valuse]  # mine"))
    with (repo / "pkg/old.py").open("a") as fh:  # dirty, with debt on an unchanged line
        fh.write("\n\n# more of my work\n")
    (repo / "notes.txt").write_bytes(b"untracked\r\nnotes\x00\n")
    old_before = (repo / "pkg/old.py").read_bytes()
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 0, doc["remaining"]
    assert (repo / "pkg/core.py").read_text() == mine  # only the misspelt name changed
    assert (repo / "pkg/old.py").read_bytes() == old_before
    assert (repo / "notes.txt").read_bytes() == b"untracked\r\nnotes\x00\n"
    assert doc["scope"]["user_files_edited"] == ["pkg/core.py"]


def test_a_fix_to_a_staged_file_says_the_commit_needs_git_add(
    project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """schedule: the pre-commit hook blocked a staged F841, fix-build fixed the work tree
    and said "pass", and the next `git commit` took the staged, unfixed version again."""
    repo = project("flake8")
    _swap(repo, "pkg/core.py", '"""\n', '"""\nimport json\n')
    git(repo, "add", "pkg/core.py")
    staged = git(repo, "diff", "--cached")
    monkeypatch.setenv("MOM_TIERS__DEFAULT", '["rules"]')
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo)])
    assert result.exit_code == 0 and "import json" not in (repo / "pkg/core.py").read_text()
    assert "git add pkg/core.py" in " ".join(result.output.split())
    assert git(repo, "diff", "--cached") == staged  # mom never touches the index
    assert CliRunner().invoke(app, ["undo", "--repo", str(repo)]).exit_code == 0
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 0 and doc["scope"]["staged_files_edited"] == ["pkg/core.py"]


@pytest.mark.parametrize(
    ("fault", "lint", "rel", "old", "new", "fixable"),
    [
        ("syntax", "ruff", "pkg/core.py", *NO_COLON, True),
        ("unused import", "flake8", "pkg/core.py", '"""\n', '"""\nimport json\n', True),
        ("misspelt name", "ruff", "pkg/core.py", "    return result", "    return reslt", True),
        ("failing test", "ruff", "pkg/core.py", "result += value", "result += value * 2", False),
    ],
)  # fmt: skip
def test_a_broken_last_commit_is_in_scope(
    project: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    lint: str,
    rel: str,
    old: str,
    new: str,
    fixable: bool,
) -> None:
    repo = project(lint)
    _swap(repo, rel, old, new)
    git(repo, "commit", "-qam", f"broken: {fault}")  # red CI: the tree is otherwise clean
    (repo / "README.md").write_text("# pkg\n\nthe user's unrelated edit\n")
    code, doc = _fix_build(repo, monkeypatch)
    assert doc["scope"]["base"].startswith("HEAD~1")
    assert (repo / "README.md").read_text() == "# pkg\n\nthe user's unrelated edit\n"
    if fixable:
        assert code == 0 and doc["passed"], doc["remaining"]
        assert (repo / rel).read_text() == _files(lint)[rel]  # repaired exactly
        assert doc["totals"]["fixed_by_rules"] == 1
    else:  # a logic bug needs a model: exit 1, and the test is not blamed on the base
        assert code == 1 and not doc["passed"]
        failing = {d["code"]: d["preexisting"] for d in doc["remaining"] if d["stage"] == "tests"}
        assert failing == {"tests/test_core.py::test_total": False}
        assert doc["head_baseline"]["failing_at_head"] == []


def test_the_projects_flake8_judges_lint(
    project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = project("flake8")
    _swap(repo, "pkg/core.py", '"""\n', '"""\nimport json\n')
    result = CliRunner().invoke(app, ["validate", "--repo", str(repo), "--json"])
    lint = next(s for s in json.loads(result.stdout)["stages"] if s["name"] == "lint")
    assert "flake8" in lint["tool_used"] and "ruff" not in lint["tool_used"]
    found = {(d["file"], d["code"], d["severity"]) for d in lint["diagnostics"]}
    assert ("pkg/core.py", "F401", "error") in found  # the new one fails
    assert ("pkg/old.py", "F401", "info") in found  # HEAD's one is labelled, not counted


def test_a_branch_with_an_upstream_is_scoped_from_the_merge_base(
    make_repo: Callable[..., Path],
    add_venv: Callable[[Path], Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    repo = make_repo(_files("ruff"))
    add_venv(repo)
    add_upstream(repo)
    # two local commits: the first one's unused import is HEAD~2, still the branch's change
    commit_files(repo, {"pkg/core.py": CORE.replace('"""\n', '"""\nimport json\n', 1)}, "wip")
    commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")
    code, doc = _fix_build(repo, monkeypatch)
    assert doc["scope"]["base"].startswith("merge-base with origin/main")
    assert code == 0, doc["remaining"]
    assert (repo / "pkg/core.py").read_text() == CORE
    assert doc["scope"]["lint_debt_files"] == {"pkg/core.py": 1, "pkg/old.py": 1}


def test_lint_all_applies_safe_fixes_but_not_to_the_users_files(
    project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = project()
    with (repo / "pkg/core.py").open("a") as fh:
        fh.write("\n\n# the user's work in progress\n")
    mine = (repo / "pkg/core.py").read_bytes()
    code, doc = _fix_build(repo, monkeypatch, "--lint", "all")
    assert code == 0, doc["remaining"]
    assert "import os" not in (repo / "pkg/old.py").read_text()  # debt: safe fix applied
    assert (repo / "pkg/core.py").read_bytes() == mine  # the user's file: left alone
    assert doc["scope"]["lint_debt_files"] == {"pkg/core.py": 1}
    bad = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--lint", "some"])
    assert bad.exit_code == 2 and "--lint" in bad.output


def test_lint_all_applies_safe_fixes_in_a_project_with_a_symlinked_module(
    make_repo: Callable[..., Path],
    add_venv: Callable[[Path], Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """python-semver links tests/coerce.py to docs/advanced/coerce.py: the link's block
    was refused (mom edits no symlink) and took the whole sweep with it."""
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    repo = make_repo(_files())
    (repo / "tests/old_link.py").symlink_to("../pkg/old.py")
    add_venv(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "link")
    commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")
    code, doc = _fix_build(repo, monkeypatch, "--lint", "all")
    assert code == 0, doc["remaining"]
    assert "import os" not in (repo / "pkg/old.py").read_text()  # fixed through its target
    assert (repo / "tests/old_link.py").is_symlink()
    assert [s["status"] for s in doc["steps"] if s["id"] == "lint-all"] == ["fixed"]


def test_lint_all_keeps_a_fix_that_leaves_old_debt_on_the_line_it_rewrote(
    make_repo: Callable[..., Path],
    add_venv: Callable[[Path], Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """python-semver: ruff's safe SIM300 fix turns `1 > v1` into `v1 < 1`, still B015 (old
    debt); the sweep took it for a new finding and rolled every file back."""
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    files = _files()
    files["pyproject.toml"] = RUFF.replace('["E", "F"]', '["E", "F", "B015", "SIM300"]')
    files["pkg/old.py"] = '"""Old code."""\n\n\ndef old(v):\n    1 > v\n    return 1\n'
    repo = make_repo(files)
    add_venv(repo)
    commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")
    code, doc = _fix_build(repo, monkeypatch, "--lint", "all")
    assert code == 0, doc["remaining"]
    assert "    v < 1\n" in (repo / "pkg/old.py").read_text()
    assert [s["status"] for s in doc["steps"] if s["id"] == "lint-all"] == ["fixed"]
    assert doc["scope"]["lint_debt_files"].get("pkg/old.py") == 1  # B015 stays, as debt


def test_base_and_changed_lines(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.py": "1\n2\n3\n4\n5\n"})
    assert find_base(repo).rev == EMPTY_TREE  # one commit: everything is the change
    assert changed_lines(repo, find_base(repo)) == {"a.py": None}
    first = git(repo, "rev-parse", "HEAD").strip()
    commit_files(repo, {"a.py": "1\n2\nthree\n4\n5\n"})
    base = find_base(repo)
    assert base.rev == first and base.label.startswith("HEAD~1")
    write_files(repo, {"a.py": "1\n3\n4\n5\nsix\n", "new.py": "x\n"})  # delete 2, add six
    git(repo, "add", "new.py")  # staged counts too
    write_files(repo, {"untracked.py": "y\n"})
    changed = changed_lines(repo, base)
    assert changed["new.py"] is None and changed["untracked.py"] is None
    assert changed["a.py"] == {1, 2, 5}  # both sides of the deleted "2", and "six"
    assert dirty_files(repo) == ["a.py", "new.py", "untracked.py"]


def test_sweep_removes_only_dead_runs_temp_dirs(tmp_path: Path) -> None:
    dead = tmp_path / "mom-junit-999999999-abc"
    live = tmp_path / f"mom-junit-{os.getpid()}-abc"
    legacy = tmp_path / "mom-junit-old"
    other = tmp_path / "mom-bench-x"
    for path in (dead, live, legacy, other):
        path.mkdir()
    removed = sweep_stale(tmp_path, now=legacy.stat().st_mtime + 10)
    assert removed == [dead]
    assert sweep_stale(tmp_path, now=legacy.stat().st_mtime + 7200) == [legacy]
    assert live.is_dir() and other.is_dir()


def test_the_lint_all_hint_is_shown_only_when_lint_all_could_fix_something(
    make_repo: Callable[..., Path],
    add_venv: Callable[[Path], Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Debt with no ruff fix (here E741, as platformdirs' pyproject.toml and codeless
    preview findings) is not a reason to run `--lint all`: that run changes nothing."""
    files = _files()
    files["pkg/core.py"] = CORE.replace("import sys\n", "")
    files["pkg/old.py"] = '"""Old code."""\n\n\ndef old():\n    l = 1\n    return l\n'
    repo = make_repo(files)
    add_venv(repo)
    commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MOM_TIERS__DEFAULT", '["rules"]')
    monkeypatch.setenv("COLUMNS", "300")
    _swap(repo, "pkg/core.py", "    return result", "    return result  # mine")
    shown = CliRunner().invoke(app, ["fix-build", "--repo", str(repo)])
    assert shown.exit_code == 0, shown.output
    assert "lint debt outside the changed lines" in shown.output
    assert "--lint all" not in shown.output
    _swap(repo, "pkg/old.py", '"""\n', '"""\n\nimport os\n')  # fixable debt, committed
    git(repo, "commit", "-qam", "old: import os")
    commit_files(repo, {"CHANGES.txt": "again\n"}, "unrelated again")
    hinted = CliRunner().invoke(app, ["fix-build", "--repo", str(repo)])
    assert "`mom fix-build --lint all` applies ruff's safe fixes" in hinted.output
    after = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--lint", "all"])
    assert after.exit_code == 0, after.output
    assert "--lint all` applies" not in after.output


RUST_LIB = """pub fn below(i: usize, r: usize) -> usize {
    if i > r {
        i - r
    } else {
        0
    }
}

pub fn double(x: u32) -> u32 {
    x * 2
}

#[cfg(test)]
mod tests {
    #[test]
    fn doubles() {
        assert_eq!(super::double(2), 4);
    }
}
"""


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_clippy_debt_on_untouched_lines_of_a_changed_rust_file_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No base lint exists for Rust, so a finding on a line the change did not touch was
    taken for new, and clippy's fixes rewrote untouched functions (rapidfuzz/strsim-rs)."""
    cargo = '[package]\nname = "t"\nversion = "0.1.0"\nedition = "2021"\n'
    # not the make_repo fixture: its HOME hides rustup's default toolchain
    repo = init_repo(tmp_path / "crate", {"Cargo.toml": cargo, "src/lib.rs": RUST_LIB})
    commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    lib = repo / "src/lib.rs"
    mine = RUST_LIB.replace("    x * 2\n", "    x * 3\n")  # a logic bug: a model's job
    lib.write_text(mine)
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 1 and not doc["passed"]
    assert lib.read_text() == mine  # clippy's fix for `below` (untouched) was not applied
    assert doc["scope"]["lint_debt_files"] == {"src/lib.rs": 1}
