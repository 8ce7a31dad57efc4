"""Where mom keeps state: the user data dir (ledger) and the repo-local `.mom/` folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mom_cli.errors import UsageError

STATE_DIR_NAME = ".mom"


def user_home() -> Path:
    """User-level state (the ledger). `MOM_HOME` overrides the platform data dir."""
    override = os.environ.get("MOM_HOME")
    if override:
        base = Path(override)
    else:
        import platformdirs  # ~10 ms: only commands that touch user state pay for it

        base = Path(platformdirs.user_data_dir("mom"))
    base.mkdir(parents=True, exist_ok=True)
    return base


def user_config_file() -> Path:
    """`~/.config/mom/routing.toml` (or the platform equivalent); may not exist."""
    override = os.environ.get("MOM_CONFIG_HOME")
    if override:
        base = Path(override)
    elif sys.platform == "linux":  # platformdirs' XDG rule, without its import on every step
        xdg = os.environ.get("XDG_CONFIG_HOME", "")
        base = Path(xdg if xdg.strip() else os.path.expanduser("~/.config")) / "mom"
    else:
        import platformdirs

        base = Path(platformdirs.user_config_dir("mom"))
    return base / "routing.toml"


def ledger_path() -> Path:
    return user_home() / "ledger.sqlite3"


def find_git_root(start: Path) -> Path | None:
    """The nearest ancestor holding `.git`, or None."""
    current = start.resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def repo_state_dir(repo: Path) -> Path:
    """`<repo>/.mom/`, created on demand and kept out of git via `.git/info/exclude`.

    A symlink is refused: a cloned repo can track `.mom -> ../somewhere`, and mom's lock,
    checkpoints and index would then be written wherever it points."""
    state = repo / STATE_DIR_NAME
    if state.is_symlink():
        raise UsageError(
            f"{state} is a symbolic link; mom keeps its state only in a real folder inside "
            "the repository. Remove the link (a cloned repo may have shipped it)."
        )
    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "it exists and is not a directory" if state.exists() else exc.strerror
        raise UsageError(f"{state}: mom keeps its state here, but {reason}") from None
    _exclude_from_git(repo)
    return state


def _exclude_from_git(repo: Path) -> None:
    """Add `.mom/` to `.git/info/exclude` (never the user's .gitignore)."""
    git_dir = repo / ".git"
    if not git_dir.is_dir():
        return
    exclude = git_dir / "info" / "exclude"
    line = f"/{STATE_DIR_NAME}/"
    try:
        existing = exclude.read_text(encoding="utf-8") if exclude.exists() else ""
        if line in existing.splitlines():
            return
        exclude.parent.mkdir(parents=True, exist_ok=True)
        sep = "" if existing.endswith("\n") or not existing else "\n"
        exclude.write_text(f"{existing}{sep}{line}\n", encoding="utf-8")
    except OSError:
        pass


def resolve_repo(repo: Path | None, *, require_git: bool = False) -> Path:
    """The --repo directory as given, or the git root of the current directory, or it."""
    if repo is not None:
        path = repo.expanduser().resolve()
        if not path.is_dir():
            raise UsageError(f"--repo {repo}: no such directory")
        if require_git and find_git_root(path) is None:
            raise UsageError(f"{path}: not inside a git repository (run `git init` first)")
        return path
    root = find_git_root(Path.cwd())
    if root is None:
        if require_git:
            raise UsageError(
                f"{Path.cwd()}: not inside a git repository; pass --repo or run `git init`"
            )
        return Path.cwd().resolve()
    return root
