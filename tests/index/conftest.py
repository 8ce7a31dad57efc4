"""Fixtures for the code index: small real git repositories in tmp dirs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from index_helpers import git, write


@pytest.fixture
def index_repo(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    """Make a committed git repo holding `files`."""

    def make(files: Mapping[str, str | bytes]) -> Path:
        repo = tmp_path / "repo"
        repo.mkdir()
        git(repo, "init", "-q")
        write(repo, files)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "init")
        return repo

    return make
