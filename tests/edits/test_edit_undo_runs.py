"""`mom undo` reverts mom's whole last run (one command), all-or-nothing, on real git repos."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mom_cli.cli.app import app
from mom_cli.edits import checkpoint
from mom_cli.edits.apply import apply_edits
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.checkpoint import CheckpointStore, StepRecord
from mom_cli.edits.runs import group_runs

Git = Callable[..., str]


@pytest.fixture(autouse=True)
def fresh_process_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """begin_run sets a process-wide run; keep one test's run out of the next."""
    monkeypatch.setattr(checkpoint, "_process_run", checkpoint.RunInfo("proc-test", "mom"))


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    """Committed a.py/b.py/c.py, then uncommitted user work in a.py, c.py and notes.txt."""
    root = make_repo({"a.py": "a = 1\nb = 2\n", "b.py": "x = 0\n", "c.py": "c = 1\r\n"})
    (root / "a.py").write_text("a = 1\nb = 2\n# user note\n")
    (root / "c.py").write_bytes(b"c = 1\r\n# user, crlf\r\n")
    (root / "notes.txt").write_bytes(bytes(range(256)))
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not {".git", ".mom"} & set(p.relative_to(root).parts)
    }


def mom(root: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["undo", "--repo", str(root), *args])


def fix_build_run(root: Path, run_id: str = "fix-build-t1") -> list[StepRecord]:
    """3 steps over 2 files, one of them created by mom in a new folder."""
    store = CheckpointStore(root)
    store.begin_run(run_id, "fix-build")
    return [
        apply_edits(root, [EditBlock("a.py", "a = 1", "a = 10")], summary="rule F1", store=store),
        apply_edits(root, [EditBlock("pkg/new.py", "", "n = 1\n", True)], summary="rule F2"),
        apply_edits(
            root,
            [EditBlock("a.py", "b = 2", "b = 20"), EditBlock("pkg/new.py", "n = 1", "n = 2")],
            summary="rule F3",
            store=store,
        ),
    ]


def test_one_undo_reverts_every_step_of_the_run_byte_exact(repo: Path, run_git: Git) -> None:
    before = tree(repo)
    status = run_git(repo, "status", "--porcelain")
    steps = fix_build_run(repo)
    assert {s.run_id for s in steps} == {"fix-build-t1"}  # also the store made inside
    (repo / "c.py").write_bytes(b"user typed more\r\n")  # the user works on, elsewhere
    before["c.py"] = b"user typed more\r\n"

    done = mom(repo)

    assert done.exit_code == 0, done.output
    assert tree(repo) == before  # user's a.py edit back, pkg/new.py gone, c.py kept
    assert not (repo / "pkg").exists()  # the folder mom created went with it
    assert run_git(repo, "status", "--porcelain") == status
    out = " ".join(done.output.split())
    assert "undid run fix-build-t1 (fix-build," in out and "3 steps" in out
    assert "restored a.py" in out and "removed pkg/new.py" in out
    assert [r.status for r in CheckpointStore(repo).steps()] == ["undone"] * 3
    again = mom(repo)
    assert again.exit_code == 1 and "nothing to undo" in again.output


@pytest.mark.parametrize(
    ("touch", "culprit"),
    [
        (lambda r: (r / "a.py").write_text("the user rewrote it\n"), "a.py"),
        (lambda r: (r / "pkg" / "new.py").unlink(), "pkg/new.py"),
    ],
    ids=["edited", "deleted"],
)
def test_refuses_and_changes_nothing_when_the_user_touched_a_file_of_the_run(
    repo: Path, touch: Callable[[Path], object], culprit: str
) -> None:
    fix_build_run(repo)
    touch(repo)
    after = tree(repo)

    refused = mom(repo)
    as_json = mom(repo, "--json")

    assert refused.exit_code == 1
    text = " ".join(refused.output.split())
    assert culprit in text and "fix-build-t1" in text and "nothing was changed" in text
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 1 and data["files"] == [culprit]
    assert data["run_id"] == "fix-build-t1"
    assert tree(repo) == after
    assert [r.status for r in CheckpointStore(repo).steps()] == ["applied"] * 3


def test_a_user_edit_between_two_of_moms_steps_refuses_the_whole_undo(repo: Path) -> None:
    store = CheckpointStore(repo)
    store.begin_run("run-x", "run")
    apply_edits(repo, [EditBlock("a.py", "a = 1", "a = 10")], store=store)
    (repo / "a.py").write_text((repo / "a.py").read_text() + "# typed mid-run\n")
    apply_edits(repo, [EditBlock("a.py", "b = 2", "b = 20")], store=store)
    after = tree(repo)  # a.py is exactly what mom's newest step wrote

    refused = mom(repo)

    assert refused.exit_code == 1 and "a.py" in refused.output
    assert tree(repo) == after


def test_step_undoes_one_step_and_list_shows_the_runs(repo: Path) -> None:
    fix_build_run(repo)
    step = mom(repo, "--step", "--json")
    assert step.exit_code == 0, step.output
    data = json.loads(step.stdout)
    assert data["mode"] == "step" and data["undone"]["summary"] == "rule F3"
    assert (repo / "pkg" / "new.py").read_text() == "n = 1\n"  # only F3 was reverted

    listed = mom(repo, "--list", "--json")
    (run,) = json.loads(listed.stdout)["runs"]
    assert run["run_id"] == "fix-build-t1" and run["command"] == "fix-build"
    assert run["status"] == "partly undone" and run["live_steps"] == 2
    assert [s["status"] for s in run["steps"]] == ["applied", "applied", "undone"]
    text = mom(repo, "--list")
    assert text.exit_code == 0 and "fix-build-t1" in text.output and "rule F2" in text.output

    rest = mom(repo, "--json")
    assert [s["summary"] for s in json.loads(rest.stdout)["undone"]["steps"]] == [
        "rule F2",
        "rule F1",
    ]
    assert not (repo / "pkg").exists()
    assert mom(repo, "--step", "--list").exit_code == 2


def test_two_runs_take_two_undos_newest_first(repo: Path) -> None:
    start = tree(repo)
    store = CheckpointStore(repo)
    store.begin_run("run-a", "run")
    apply_edits(repo, [EditBlock("a.py", "a = 1", "a = 5")], store=store)
    after_a = tree(repo)
    store.begin_run("fix-build-b", "fix-build")
    apply_edits(repo, [EditBlock("b.py", "x = 0", "x = 1")], store=store)
    apply_edits(repo, [EditBlock("a.py", "a = 5", "a = 6")], store=store)

    first = json.loads(mom(repo, "--json").stdout)["undone"]
    assert first["run_id"] == "fix-build-b" and len(first["steps"]) == 2
    assert tree(repo) == after_a
    second = json.loads(mom(repo, "--json").stdout)["undone"]
    assert second["run_id"] == "run-a" and second["command"] == "run"
    assert tree(repo) == start


def test_steps_without_a_run_group_per_process_and_old_records_stand_alone(
    repo: Path,
) -> None:
    one = apply_edits(repo, [EditBlock("a.py", "a = 1", "a = 2")])
    two = apply_edits(repo, [EditBlock("b.py", "x = 0", "x = 2")])  # another store
    assert one.run_id == two.run_id == "proc-test"
    legacy = StepRecord("0001-old", "old step", 1.0, "applied", 1)
    runs = group_runs([two, legacy, one])
    assert [(r.run_id, len(r.steps)) for r in runs] == [("0001-old", 1), ("proc-test", 2)]


def test_a_committed_run_drops_its_commits_when_still_at_head(repo: Path, run_git: Git) -> None:
    head = run_git(repo, "rev-parse", "HEAD").strip()
    run_git(repo, "add", "c.py")  # the user's staged work must stay staged
    staged = run_git(repo, "diff", "--cached")
    before = tree(repo)
    store = CheckpointStore(repo)
    store.begin_run("run-c", "run")
    edit = apply_edits(repo, [EditBlock("a.py", "a = 1", "a = 3")], store=store)
    apply_edits(repo, [EditBlock("a.py", "b = 2", "b = 3")], store=store)  # a rule repair
    store.commit_step(edit.id, "mom: a")
    new = apply_edits(repo, [EditBlock("new.py", "", "z = 1\n", True)], store=store)
    store.commit_step(new.id, "mom: new")

    done = mom(repo, "--json")

    assert done.exit_code == 0, done.output
    assert len(json.loads(done.stdout)["undone"]["commits"]) == 2
    assert run_git(repo, "rev-parse", "HEAD").strip() == head
    assert run_git(repo, "diff", "--cached") == staged
    assert tree(repo) == before


def test_a_committed_run_is_refused_once_the_user_committed_on_top(
    repo: Path, run_git: Git
) -> None:
    store = CheckpointStore(repo)
    store.begin_run("run-d", "run")
    step = apply_edits(repo, [EditBlock("b.py", "x = 0", "x = 9")], store=store)
    store.commit_step(step.id, "mom: b")
    run_git(repo, "commit", "-q", "--allow-empty", "-m", "user commit")
    head = run_git(repo, "rev-parse", "HEAD").strip()
    after = tree(repo)

    refused = mom(repo)

    assert refused.exit_code == 1
    text = " ".join(refused.output.split())
    assert "no longer the newest commits on HEAD" in text and "run-d" in text
    assert run_git(repo, "rev-parse", "HEAD").strip() == head
    assert tree(repo) == after
