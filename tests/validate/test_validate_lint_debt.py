"""`mom validate` on a project with its own ruff config and committed lint debt says which
findings were already in HEAD. python-semver failed with 97 findings and no word that
none of them came from the user's uncommitted work."""

from __future__ import annotations

import json
from pathlib import Path

from git_repos import init_repo
from typer.testing import CliRunner

from mom_cli.cli.app import app

FILES = {
    "ruff.toml": 'lint.select = ["F401"]\n',
    "pkg/__init__.py": "",
    "pkg/old.py": "import os\n",  # committed debt
    "pkg/mine.py": "import sys\n\nX = 1\n",
}


def test_validate_tells_debt_from_the_users_new_findings(tmp_path: Path) -> None:
    repo = init_repo(
        tmp_path / "p", FILES, dirty={"pkg/mine.py": "import sys\nimport re\n\nX = 1\n"}
    )
    (repo / "docs").mkdir()
    (repo / "docs" / "old_link.py").symlink_to("../pkg/old.py")  # a link's HEAD blob is its target
    runner = CliRunner()

    doc = json.loads(runner.invoke(app, ["validate", "--repo", str(repo), "--json"]).stdout)
    text = runner.invoke(app, ["validate", "--repo", str(repo)])

    assert doc["passed"] is False
    assert doc["lint_debt"] == {"findings": 4, "in_head": 2}  # docs link: untracked, so new
    assert text.exit_code == 1
    assert "2 of the 4 finding(s) are already in HEAD" in " ".join(text.stdout.split())


def test_a_committed_symlink_shares_its_targets_debt(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "p", FILES)
    (repo / "docs").mkdir()
    (repo / "docs" / "old_link.py").symlink_to("../pkg/old.py")
    from git import Repo

    git = Repo(repo)
    git.index.add(["docs/old_link.py"])
    git.index.commit("link")

    doc = json.loads(CliRunner().invoke(app, ["validate", "--repo", str(repo), "--json"]).stdout)
    text = CliRunner().invoke(app, ["validate", "--repo", str(repo)])

    assert doc["lint_debt"] == {"findings": 3, "in_head": 3}
    assert "none comes from your uncommitted work" in " ".join(text.stdout.split())


def test_no_debt_line_when_every_finding_is_new(tmp_path: Path) -> None:
    clean = {**FILES, "pkg/old.py": "X = 0\n", "pkg/mine.py": "X = 1\n"}
    repo = init_repo(tmp_path / "p", clean, dirty={"pkg/old.py": "import os\n"})

    doc = json.loads(CliRunner().invoke(app, ["validate", "--repo", str(repo), "--json"]).stdout)

    assert doc["passed"] is False and "lint_debt" not in doc
