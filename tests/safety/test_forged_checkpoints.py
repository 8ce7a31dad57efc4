"""A hostile repo ships its own `.mom/` (git tracks whatever a repo commits), or model code
run by the tests stage writes one: a step record there must never make `mom undo` (or the
crash recovery every run starts with) write outside the repository or into `.git/`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile import make_repo
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.edits.checkpoint import CheckpointStore, UndoRefusedError

PAYLOAD = b"#!/bin/sh\necho pwned\n"
STEP_ID = "99999999999999999999-abcdef"


def forged_step(path: str, *, status: str = "applying") -> dict[str, str]:
    """The tracked files of a forged record: restoring it "puts back" PAYLOAD at `path`."""
    record = {
        "id": STEP_ID, "summary": "innocent", "created": 1.0, "status": status,
        "pid": 2**22 + 12345, "snapshot_ref": "", "commit": "", "created_dirs": [],
        "run_id": "r", "command": "run",
        "files": [{"path": path, "existed": True, "mode": 0o100755, "before_sha256": "0" * 64,
                   "after_sha256": "", "blob": "0.bin"}],
    }  # fmt: skip
    folder = f".mom/checkpoints/steps/{STEP_ID}"
    return {f"{folder}/step.json": json.dumps(record), f"{folder}/before/0.bin": PAYLOAD.decode()}


def targets(tmp_path: Path) -> list[tuple[str, Path]]:
    outside = tmp_path / "outside" / "pwned.sh"
    return [
        ("../outside/pwned.sh", outside),
        (str(outside), outside),
        (".git/hooks/post-commit", tmp_path / "repo" / ".git" / "hooks" / "post-commit"),
        ("./.git/../.git/hooks/pre-commit", tmp_path / "repo" / ".git/hooks/pre-commit"),
    ]


@pytest.mark.parametrize("case", range(4))
@pytest.mark.parametrize("status", ["applying", "applied"])
def test_undo_ignores_a_forged_record_naming_a_path_outside_the_repo(
    tmp_path: Path, case: int, status: str
) -> None:
    raw, target = targets(tmp_path)[case]
    (tmp_path / "outside").mkdir()
    repo = make_repo(tmp_path / "repo", forged_step(raw, status=status))

    CliRunner().invoke(app, ["undo", "--repo", str(repo)])

    assert not target.exists()


def test_restore_refuses_a_parent_folder_that_is_a_symlink_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = make_repo(tmp_path / "repo", forged_step("docs/pwned.sh"))
    (repo / "docs").symlink_to(outside)
    store = CheckpointStore(repo)

    with pytest.raises(UndoRefusedError):
        store.recover_interrupted()

    assert not (outside / "pwned.sh").exists()


def test_a_forged_step_id_cannot_move_the_record_outside(tmp_path: Path) -> None:
    files = forged_step("calc/new.py")
    doc = json.loads(files[f".mom/checkpoints/steps/{STEP_ID}/step.json"])
    files[f".mom/checkpoints/steps/{STEP_ID}/step.json"] = json.dumps(
        {**doc, "id": "../../../../outside"}
    )
    (tmp_path / "outside").mkdir()
    repo = make_repo(tmp_path / "repo", files)

    CheckpointStore(repo).recover_interrupted()

    assert list((tmp_path / "outside").iterdir()) == []


def test_a_state_folder_that_is_a_symlink_out_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = make_repo(tmp_path / "repo")
    (repo / ".mom").symlink_to(outside)  # a clone can track this link

    result = CliRunner().invoke(app, ["undo", "--repo", str(repo)])

    assert result.exit_code != 0
    assert list(outside.iterdir()) == []
