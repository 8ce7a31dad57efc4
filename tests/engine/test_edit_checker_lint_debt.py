"""`mom run` judges an edit's lint by what it adds: findings in the files it edits that were
there before the run (committed debt, or the user's own uncommitted ones) neither fail the
edit nor get "fixed" by mom's rules, even when the project configures ruff itself."""

from __future__ import annotations

from pathlib import Path

from edit_repo import GOOD_EDIT, OPS, caller, config, git, make_repo
from test_edit_checker import in_order, run_edit

DEBT = "import os\n"  # F401 under the project's own select = ["E", "F"]
USERS = "import sys\n"  # the user's uncommitted finding in the same file
NEW_FINDING_EDIT = GOOD_EDIT.replace(
    "    return x * 2\n>>>>>>> REPLACE", "    import json\n    return x * 2\n>>>>>>> REPLACE"
)


def repo_with_debt(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo")
    ops = repo / "calc/ops.py"
    ops.write_text(DEBT + OPS)
    git(repo, "commit", "-qam", "lint debt")
    ops.write_text(USERS + DEBT + OPS)
    return repo


def test_findings_from_before_the_run_do_not_fail_an_edit(tmp_path: Path) -> None:
    """inflect has 111 findings under its own ruff config with mom's newer ruff: every edit
    of `mom run` failed lint, was rolled back and climbed the paid tiers."""
    repo = repo_with_debt(tmp_path)
    cfg = config()
    fake = caller(cfg)
    fake.default = lambda model, req: GOOD_EDIT

    result, editor = run_edit(repo, cfg, fake)

    assert result.status == "passed", result.climbs["t1"].attempts
    assert len(fake.calls) == 1
    text = (repo / "calc/ops.py").read_text()
    assert text.startswith(USERS + DEBT) and "def double" in text  # nothing "fixed"
    validation = editor.steps["t1"].validation
    assert validation is not None
    lint = next(s for s in validation["stages"] if s["name"] == "lint")
    assert lint["passed"] and "2 already there before this run (not counted)" in lint["note"]


def test_a_finding_the_edit_adds_still_fails_it(tmp_path: Path) -> None:
    repo = repo_with_debt(tmp_path)
    cfg = config()
    fake = caller(cfg)
    fake.default = in_order(NEW_FINDING_EDIT, GOOD_EDIT)

    result, editor = run_edit(repo, cfg, fake)

    assert result.status == "passed"
    # the rules remove the import the edit added, and only that one
    assert [a["outcome"] for a in editor.steps["t1"].attempts] == ["validated with rules' help"]
    text = (repo / "calc/ops.py").read_text()
    assert "import json" not in text and text.startswith(USERS + DEBT) and "def double" in text
