"""Install or remove mom's git pre-commit hook without ever clobbering someone else's.

A hook is "ours" when it carries HOOK_MARKER. A foreign hook is only replaced with
force=True, and then it is kept as `pre-commit.mom-backup` and put back on uninstall.
The hook runs the interpreter mom is installed in, so it works from GUIs and IDEs whose
PATH does not include the venv; if that interpreter is gone it warns and lets the commit
through rather than blocking all work.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from mom_cli.errors import UsageError

HOOK_MARKER = "# mom-pre-commit-hook"
BACKUP_SUFFIX = ".mom-backup"


def hooks_dir(repo: Path) -> Path:
    """The folder git runs hooks from (honours core.hooksPath)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--git-path", "hooks"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise UsageError(f"{repo}: not a git repository") from exc
    path = Path(out)
    return path if path.is_absolute() else (repo / path).resolve()


def hook_script(python: str) -> str:
    py = shlex.quote(python)
    return f"""#!/bin/sh
{HOOK_MARKER} (installed by `mom hook install`; remove with `mom hook uninstall`)
# Validates only the staged content; unstaged changes are never touched.
if [ -x {py} ]; then
  exec {py} -m mom_cli.hooks.precommit
elif command -v mom >/dev/null 2>&1; then
  exec mom validate --staged
fi
echo "mom pre-commit hook: mom is no longer installed at {python}; skipping" >&2
exit 0
"""


def is_ours(path: Path) -> bool:
    try:
        return HOOK_MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install_hook(repo: Path, *, force: bool = False, python: str | None = None) -> Path:
    """Write the pre-commit hook; returns its path. UsageError on a foreign hook without force."""
    folder = hooks_dir(repo)
    folder.mkdir(parents=True, exist_ok=True)
    hook = folder / "pre-commit"
    if (hook.exists() or hook.is_symlink()) and not is_ours(hook):
        if not force:
            raise UsageError(_foreign_hook(repo, folder, hook))
        os.replace(hook, folder / f"pre-commit{BACKUP_SUFFIX}")
    elif not hook.exists() and not force and _would_be_committed(repo, folder, hook):
        raise UsageError(
            f"{folder} is in your work tree (core.hooksPath), so a hook written there is a "
            "file git would commit, with this machine's interpreter path in it: add a "
            "pre-commit there that runs `mom validate --staged`, or use --force to write "
            "mom's hook anyway"
        )
    tmp = folder / ".pre-commit.mom-tmp"
    tmp.write_text(hook_script(python or sys.executable), encoding="utf-8")
    tmp.chmod(0o755)
    os.replace(tmp, hook)
    return hook


def _work_tree_folder(repo: Path, folder: Path) -> str:
    """`folder` relative to the work tree when it is there (not under .git), else ""."""
    try:
        inside = folder.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return ""
    return "" if inside == ".git" or inside.startswith(".git/") else inside


def _would_be_committed(repo: Path, folder: Path, hook: Path) -> bool:
    """A new hook in a hooks folder inside the work tree that git does not ignore (husky's
    `.husky/`, not its ignored `.husky/_/`) would show up as a file to commit."""
    if not _work_tree_folder(repo, folder):
        return False
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(hook)], cwd=repo, capture_output=True, check=False
    )
    return ignored.returncode != 0


def _foreign_hook(repo: Path, folder: Path, hook: Path) -> str:
    """Why mom will not write its hook. A hooks folder inside the work tree is the
    project's own (core.hooksPath = .husky: husky, lefthook), its pre-commit a file in
    the repository: the useful advice is to call mom from it, not to replace it."""
    inside = _work_tree_folder(repo, folder)
    if inside:
        return (
            f"{hook} is the project's own pre-commit hook (core.hooksPath = {inside}, "
            "as husky sets it), not mom's: add the line `mom validate --staged` to it to "
            "run mom's checks there too. --force would replace that file in your work tree "
            f"(kept as pre-commit{BACKUP_SUFFIX})"
        )
    return (
        f"{hook} already exists and is not mom's; use --force to replace it "
        f"(it will be kept as pre-commit{BACKUP_SUFFIX})"
    )


def uninstall_hook(repo: Path, *, force: bool = False) -> tuple[Path, bool]:
    """Remove mom's hook (restoring a backed-up foreign one); returns (path, restored)."""
    hook = hooks_dir(repo) / "pre-commit"
    backup = hook.with_name(f"pre-commit{BACKUP_SUFFIX}")
    if not hook.exists() and not hook.is_symlink():
        raise UsageError(f"{hook}: no pre-commit hook installed")
    if not is_ours(hook) and not force:
        raise UsageError(f"{hook} is not mom's hook; use --force to remove it anyway")
    hook.unlink()
    if backup.exists():
        os.replace(backup, hook)
        return hook, True
    return hook, False
