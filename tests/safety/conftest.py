"""Safety tests: a hostile model and a hostile repo (see hostile.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from git_repos import make_repo, run_git
from hostile import FakeServer, OpenAIWire

__all__ = ["make_repo", "run_git"]  # fixtures


@pytest.fixture
def hostile_model() -> Iterator[FakeServer]:
    with FakeServer(OpenAIWire()) as server:
        yield server
