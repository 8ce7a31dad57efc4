"""A tracked symlink is its own file to the project's tools. python-semver links
`tests/coerce.py` to `docs/advanced/coerce.py`; ruff reports both, and mom resolved the
link's path, so every finding of the target was listed twice."""

from __future__ import annotations

from pathlib import Path

from git_repos import init_repo

from mom_cli.config import ValidationSection
from mom_cli.validate.parsers import relpath
from mom_cli.validate.pipeline import validate_project


def test_findings_of_a_linked_module_are_listed_once_per_path(tmp_path: Path) -> None:
    repo = init_repo(
        tmp_path / "p",
        {"docs/coerce.py": "import os\n", "ruff.toml": 'lint.select = ["F401"]\n'},
        commit=False,
    )
    (repo / "tests").mkdir()
    (repo / "tests" / "coerce.py").symlink_to("../docs/coerce.py")

    result = validate_project(repo, config=ValidationSection())

    lint = next(s for s in result.stages if s.name == "lint")
    found = sorted((d.file, d.line, d.code) for d in lint.diagnostics)
    assert found == [("docs/coerce.py", 1, "F401"), ("tests/coerce.py", 1, "F401")]


def test_a_root_reached_through_a_symlink_still_gives_repo_paths(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "pkg").mkdir(parents=True)
    (real / "pkg" / "a.py").write_text("x = 1\n")
    alias = tmp_path / "alias"
    alias.symlink_to(real)

    assert relpath(str(real / "pkg" / "a.py"), alias) == "pkg/a.py"
    assert relpath(str(alias / "pkg" / "a.py"), real) == "pkg/a.py"
    assert relpath("/elsewhere/x.py", real) == "/elsewhere/x.py"
    assert relpath("./pkg/a.py", real) == "pkg/a.py"
