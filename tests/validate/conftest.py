"""Temp git repositories for the validate tests: the shared fixtures in tests/git_repos.py."""

from git_repos import GIT_ENV, add_venv, git, make_repo, run_git

__all__ = ["GIT_ENV", "add_venv", "git", "make_repo", "run_git"]
