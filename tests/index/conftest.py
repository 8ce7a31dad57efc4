"""Fixtures for the code index: small real git repositories in tmp dirs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from git_repos import init_repo


@pytest.fixture
def index_repo(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    """Make a committed git repo holding `files`."""

    def make(files: Mapping[str, str | bytes]) -> Path:
        repo = tmp_path / "repo"
        repo.mkdir()
        return init_repo(repo, files)

    return make
