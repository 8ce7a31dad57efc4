"""fix-build's scope for failing tests: real temp git repos, real pytest.

A failure the base (here HEAD~1: `_older` commits something unrelated on top of the broken
test) already has is `preexisting` and out of scope: reported, never worked on, and it does
not fail the run. One the recent change introduced is in scope. Nothing of the user's work
tree or index is touched to find out.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fix_build_helpers import FIVE_FAULTS, LOGIC_BUG, ScriptedProvider, make_project
from git_repos import add_venv, init_repo
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.config import load_config
from mom_cli.ledger.store import Ledger
from mom_cli.providers.pool import ProviderPool
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.head_tests import (
    MAX_IDS,
    head_baseline,
    pytest_selection,
    same_failures,
)
from mom_cli.workflows.fix_build import FixBuild, FixBuildResult

__all__ = ["add_venv"]  # a pytest fixture from git_repos
MEAN_ID = "tests/test_stats.py::test_mean"
OPS_ID = "tests/test_ops.py::test_ops"
NEW_ID = "tests/test_ops.py::test_new_in_worktree"
# committed: the test asserts a wrong value, so HEAD already fails it
BROKEN_OPS_TEST = {"tests/test_ops.py": [("add(2, 3) == 5", "add(2, 3) == 6")]}
MISSING_COLON = FIVE_FAULTS["calc/ops.py"][:1]


def _seed(repo: Path, swaps: list[tuple[str, str]], rel: str) -> None:
    """An uncommitted edit by the user."""
    text = (repo / rel).read_text()
    for old, new in swaps:
        assert old in text, (rel, old)
        text = text.replace(old, new, 1)
    (repo / rel).write_text(text)


def _older(repo: Path) -> Path:
    """Commit something unrelated, so that the broken test predates the base (HEAD~1)."""
    (repo / "CHANGES.txt").write_text("unrelated\n")
    _git(repo, "add", "CHANGES.txt")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "unrelated")
    return repo


def _run(repo: Path, tmp_path: Path, *, dry_run: bool = False) -> FixBuildResult:
    cfg = load_config(repo).config
    ledger = Ledger(tmp_path / "ledger.sqlite3")

    async def go() -> FixBuildResult:
        pool = ProviderPool(cfg, ledger, adapters={"embedded": ScriptedProvider([])})
        try:
            return await FixBuild(repo, cfg, caller=pool, ledger=ledger).run(dry_run=dry_run)
        finally:
            await pool.aclose()

    return asyncio.run(go())


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True).stdout.decode()


def _tests_left(result: FixBuildResult) -> dict[str, bool]:
    return {d.code: result.preexisting(d) for d in result.remaining if d.stage == "tests"}


def test_failure_already_at_the_base_is_out_of_scope(tmp_path: Path) -> None:
    repo = _older(make_project(tmp_path / "calc", BROKEN_OPS_TEST))
    test_before = (repo / "tests/test_ops.py").read_bytes()
    _seed(repo, MISSING_COLON, "calc/ops.py")  # masks the old failure until rules fix it
    (repo / "README.md").write_bytes(b"my notes\r\n\x00 uncommitted\n")
    result = _run(repo, tmp_path)
    assert result.passed and result.exit_code == 0  # the change is repaired; debt is not ours
    assert _tests_left(result) == {OPS_ID: True}
    assert [d.code for d in result.debt if d.stage == "tests"] == [OPS_ID]
    assert result.head is not None and result.head.failing == [OPS_ID]
    assert all(s.file != "tests/test_ops.py" for s in result.steps)  # never worked on
    assert (repo / "tests/test_ops.py").read_bytes() == test_before
    assert "def add(a: float, b: float) -> float:" in (repo / "calc/ops.py").read_text()
    assert (repo / "README.md").read_bytes() == b"my notes\r\n\x00 uncommitted\n"


def test_failure_from_the_uncommitted_change_is_not_preexisting(tmp_path: Path) -> None:
    repo = _older(make_project(tmp_path / "calc", BROKEN_OPS_TEST))
    _seed(repo, LOGIC_BUG["calc/stats.py"], "calc/stats.py")  # the user's new bug
    new_test = "\n\ndef test_new_in_worktree() -> None:\n    assert add(1, 1) == 3\n"
    (repo / "tests/test_ops.py").write_text((repo / "tests/test_ops.py").read_text() + new_test)
    result = _run(repo, tmp_path)
    # a test id HEAD does not have must not abort the HEAD run for the others
    assert _tests_left(result) == {OPS_ID: True, MEAN_ID: False, NEW_ID: False}
    assert result.head is not None and result.head.failing == [OPS_ID]
    assert sorted(result.head.checked) == sorted([OPS_ID, MEAN_ID, NEW_ID])
    by_file = {s.file: s.preexisting for s in result.steps}
    # steps are traced to the code under test; the one for calc/ops.py is about the new
    # test only: test_ops fails at the base
    assert by_file == {"calc/ops.py": [], "calc/stats.py": []}
    step = next(s for s in result.steps if s.file == "calc/ops.py")
    assert all(OPS_ID not in d for d in step.diagnostics)
    assert not result.passed and result.exit_code == 1


def test_head_run_never_touches_work_tree_or_index(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc", BROKEN_OPS_TEST)
    _seed(repo, [("add(2, 3) == 6", "add(2, 3) == 7")], "tests/test_ops.py")
    (repo / "calc/stats.py").write_text("staged edit\n")
    _git(repo, "add", "calc/stats.py")
    index, status = (repo / ".git/index").read_bytes(), _git(repo, "status", "--porcelain")
    diag = Diagnostic("tests", "tests/test_ops.py", 5, "failed", code=OPS_ID, tool="pytest")
    head = head_baseline(repo, [diag], timeout=120)
    assert head.failing == [OPS_ID] and head.note == ""
    assert (repo / ".git/index").read_bytes() == index
    assert _git(repo, "status", "--porcelain") == status
    assert "== 7" in (repo / "tests/test_ops.py").read_text()


def test_passing_at_head_and_no_head_commit(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc")
    diag = Diagnostic("tests", "tests/test_ops.py", 5, "failed", code=OPS_ID, tool="pytest")
    assert head_baseline(repo, [diag], timeout=120).failing == []
    bare = init_repo(tmp_path / "bare")
    none = head_baseline(bare, [diag], timeout=120)
    assert none.failing == [] and "no HEAD commit" in none.note


def test_selection_reruns_ids_or_whole_files_for_collection_errors() -> None:
    def fail(code: str, tool: str = "pytest") -> Diagnostic:
        return Diagnostic("tests", code.split("::")[0], 1, "x", code=code, tool=tool)

    collection = fail("tests/test_a.py::tests.test_a")
    diags = [collection, fail("tests/test_a.py::test_x"), fail("tests/test_b.py::T::test_y")]
    diags += [fail("", "pytest"), fail("src/lib.rs::t", "cargo")]
    assert pytest_selection(diags) == (["tests/test_b.py::T::test_y"], ["tests/test_a.py"])
    many = [fail(f"tests/test_{i % 3}.py::test_{i}") for i in range(MAX_IDS + 1)]
    assert pytest_selection(many) == ([], [f"tests/test_{i}.py" for i in range(3)])


def test_cli_json_and_dry_run_show_what_fails_at_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOM_TIERS__DEFAULT", '["rules"]')  # no model: a fast, offline run
    repo = _older(make_project(tmp_path / "calc", BROKEN_OPS_TEST))
    _seed(repo, LOGIC_BUG["calc/stats.py"], "calc/stats.py")
    before = (repo / "calc/stats.py").read_bytes()
    dry = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "failing at the base too" in dry.stdout and OPS_ID in dry.stdout
    assert (repo / "calc/stats.py").read_bytes() == before
    run = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--json"])
    assert run.exit_code == 1, run.output
    doc = json.loads(run.stdout)
    assert {d["code"]: d["preexisting"] for d in doc["remaining"] if d["stage"] == "tests"} == {
        MEAN_ID: False,  # "remaining" lists what is in scope and still fails
    }
    assert doc["scope"]["tests_failing_at_base"] == [OPS_ID]
    assert doc["scope"]["base"].startswith("HEAD~1")
    assert doc["head_baseline"]["failing_at_head"] == [OPS_ID]
    assert set(doc["head_baseline"]) == {"checked", "failing_at_head", "note", "seconds"}
    assert all(isinstance(s["preexisting"], list) for s in doc["steps"])
    assert (repo / "calc/stats.py").read_bytes() == before  # nothing fixed: user's bug stays


def test_a_head_error_is_no_evidence_for_a_failure() -> None:
    def diag(code: str, message: str) -> Diagnostic:
        return Diagnostic("tests", "tests/t.py", 1, message, code=code, tool="pytest")

    now = [diag("tests/t.py::a", "failed a: assert 1 == 2"), diag("tests/t.py::b", "failed b")]
    head = [
        diag("tests/t.py::a", "failed a: assert 1 == 3"),  # fails the same way: counted
        diag("tests/t.py::b", "error in b: FileNotFoundError: data.bin"),  # export lacks it
        diag("tests/t.py::c", "failed c"),  # found by running the whole file
        diag("tests/t.py::d", "error in d: fixture 'db' not found"),
    ]
    assert same_failures(now, head) == ["tests/t.py::a", "tests/t.py::c"]


def test_generated_version_module_is_in_the_export(tmp_path: Path) -> None:
    """setuptools-scm / hatch-vcs write an ignored `_version.py` the package imports: the
    base run must have it, or every test there fails to collect and no failure counts as
    pre-existing (found on tox-dev/filelock)."""
    from mom_cli.validate.pipeline import copy_generated_sources, exported_index

    repo = init_repo(
        tmp_path / "gen",
        {
            ".gitignore": "pkg/_version.py\n.venv/\n",
            "pkg/__init__.py": "from pkg._version import version\n",
            "tests/test_pkg.py": "import pkg\n\n\ndef test_version() -> None:\n"
            "    assert pkg.version == '2.0'\n",
        },
    )
    (repo / "pkg/_version.py").write_text("version = '1.0'\n")  # written by the build
    (repo / ".venv/lib").mkdir(parents=True)
    (repo / ".venv/lib/site.py").write_text("x = 1\n")
    diag = Diagnostic(
        "tests", "tests/test_pkg.py", 5, "failed", code="tests/test_pkg.py::test_version",
        tool="pytest",
    )  # fmt: skip
    head = head_baseline(repo, [diag], timeout=120)
    assert head.failing == ["tests/test_pkg.py::test_version"], head
    with exported_index(repo, "HEAD") as tree:
        assert (tree / "pkg/_version.py").read_text() == "version = '1.0'\n"
        assert not (tree / ".venv").exists()
        (tree / "pkg/__init__.py").write_text("committed\n")
        assert copy_generated_sources(repo, tree) == []  # already there: never replaced
        assert (tree / "pkg/__init__.py").read_text() == "committed\n"


def test_a_relative_repo_path_still_finds_its_venv_in_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, add_venv: Callable[[Path], Path]
) -> None:
    """The base run happens in an export (another cwd): the project's interpreter must be
    named by an absolute path, or the run fails with "No such file" and checks nothing."""
    repo = make_project(tmp_path / "calc", BROKEN_OPS_TEST)
    add_venv(repo)
    monkeypatch.chdir(tmp_path)
    diag = Diagnostic("tests", "tests/test_ops.py", 5, "failed", code=OPS_ID, tool="pytest")
    head = head_baseline(Path("calc"), [diag], timeout=120)
    assert head.note == "" and head.failing == [OPS_ID]


def test_a_step_no_usable_tier_would_take_is_not_planned_on_one(tmp_path: Path) -> None:
    """jaraco.functools: `--dry-run` planned a failing doctest on local/smollm2, which the
    real run then skipped (the embedded model has no validated test fix on record), and
    the real run's table put "rules" beside steps no rule had tried."""
    repo = _older(make_project(tmp_path / "calc"))
    _seed(repo, LOGIC_BUG["calc/stats.py"], "calc/stats.py")
    plan = _run(repo, tmp_path, dry_run=True)
    assert [(s.file, s.tier, s.model) for s in plan.steps] == [("calc/stats.py", "-", "")]
    done = _run(repo, tmp_path)
    assert [(s.file, s.tier, s.status) for s in done.steps] == [("calc/stats.py", "-", "failed")]
