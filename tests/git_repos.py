"""Temp git repositories for tests that need real git (never /work/main itself): the
one builder every suite uses (`init_repo`, or the `make_repo` fixture around it), and
helpers for later commits, uncommitted edits and an upstream branch."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}

# An npm project whose `npm test` is one plain node script: no runner, no TAP, a V8 stack.
NODE_SCRIPT_PACKAGE = '{"name": "t", "version": "1.0.0", "scripts": {"test": "node test/a.js"}}'
# test/a.js for such a project: asserts index.js's `add`.
ADD_TEST_JS = (
    "const assert = require('assert');\nconst { add } = require('../index');\n"
    "assert.strictEqual(add(2, 3), 5);\n"
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def write_files(repo: Path, files: Mapping[str, str | bytes]) -> None:
    """Write `files` (path → text or bytes) under `repo`, creating folders."""
    for rel, content in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def init_repo(
    root: Path,
    files: Mapping[str, str | bytes] | None = None,
    *,
    commit: bool = True,
    message: str = "init",
    branch: str = "main",
    dirty: Mapping[str, str | bytes] | None = None,
) -> Path:
    """A git repo at `root` holding `files`, committed (unless `commit=False`), then the
    `dirty` files written on top as a user's uncommitted edits. The repo's own config
    carries a test identity and no signing, so later commits work on any machine."""
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, files or {})
    git(root, "init", "-q", "-b", branch)
    git(root, "config", "user.name", GIT_ENV["GIT_AUTHOR_NAME"])
    git(root, "config", "user.email", GIT_ENV["GIT_AUTHOR_EMAIL"])
    git(root, "config", "commit.gpgsign", "false")
    if commit and files:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", message)
    write_files(root, dirty or {})
    return root


@pytest.fixture
def make_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """make_repo({"a.py": "x = 1\\n"}) -> a repo with those files committed."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes] | None = None, *, commit: bool = True) -> Path:
        repo = tmp_path / f"repo{next(counter)}"
        repo.mkdir()
        return init_repo(repo, files, commit=commit, message="initial")

    return make


@pytest.fixture
def run_git() -> Callable[..., str]:
    """run_git(repo, "status") -> stdout."""
    return git


@pytest.fixture
def add_venv() -> Callable[[Path], Path]:
    """Give a temp project a `.venv/bin/python` that runs mom's interpreter (which has
    pytest), so the validator's "project venv" choice is exercised and CI-independent."""
    import sys

    def add(repo: Path) -> Path:
        python = repo / ".venv" / "bin" / "python"
        python.parent.mkdir(parents=True, exist_ok=True)
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        python.chmod(0o755)
        (repo / ".venv" / ".gitignore").write_text("*\n")
        return python

    return add


def commit_files(repo: Path, files: Mapping[str, str | bytes], message: str = "change") -> str:
    """Write `files`, commit them (and only them); the new commit's sha."""
    write_files(repo, files)
    git(repo, "add", "--", *files)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def add_upstream(repo: Path, name: str = "origin") -> Path:
    """A bare clone of `repo` as its remote `name`, with the current branch tracking it
    (so `@{upstream}` and a merge-base exist, as on a developer's feature branch)."""
    bare = repo.parent / f"{repo.name}-{name}.git"
    git(repo.parent, "clone", "-q", "--bare", str(repo), str(bare))
    git(repo, "remote", "add", name, str(bare))
    git(repo, "fetch", "-q", name)
    branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    git(repo, "branch", "-q", f"--set-upstream-to={name}/{branch}")
    return bare


def tree_state(repo: Path) -> dict[str, bytes]:
    """Every file outside .git/, .mom/ and tool caches, byte for byte: compare before and
    after a run to prove what it touched."""
    skip = {".git", ".mom", "__pycache__", ".pytest_cache", ".ruff_cache"}
    return {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and not skip.intersection(path.relative_to(repo).parts)
    }
