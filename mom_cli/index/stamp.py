"""Skip git on a refresh when nothing git reads has changed: a stamp of the listing's inputs.

`git ls-files --cached --others --exclude-standard` and `git rev-parse HEAD` are two
processes (and the subprocess import) on every `mom context`, the largest part of a warm
call after Python's own start. Their answers depend only on the git index, HEAD and its
ref, the ignore rules (every `.gitignore`, `info/exclude`, the config files naming an
excludes file) and which entries exist in the directories git walks for untracked files.
An entry is added to, removed from or renamed in a directory only by changing that
directory's mtime, so after a git listing we record the (mtime, ctime, size, inode) of each
of those inputs beside the listing itself; the next refresh stats them (about 150 stats on
the stdlib) and, when every one is unchanged, reuses the listing without starting git.
Editing a file in place changes none of them: the per-file (mtime, size) comparison that
follows in `build` catches that, as before.

The stamp is only written when every input it records is older than the moment git
started, minus RACY_NS: a change made while git ran (or within the file system's
timestamp granularity of it) leaves no stamp, and the next refresh asks git again.
Config files are read for `core.excludesFile` and `[include]` paths (one level deep); an
excludes file named only in a nested include is not stamped, so an edit to it is seen once
anything else in the repository changes. Variables that redirect git turn the stamp off.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from mom_cli.index.discover import Classified, GitListing, collect_git, spawn_git

if TYPE_CHECKING:
    import subprocess

STAMP_NAME = "listing-stamp.json"
STAMP_VERSION = 2
RACY_NS = 1_000_000_000
# Variables that point git at another repository, index or command-line config: with any
# set, always ask git. The ones naming config files are part of the stamp instead.
_GIT_REDIRECTS = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_CONFIG",
    "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS",
)  # fmt: skip
_GIT_CONFIG_VARS = (
    "HOME",
    "XDG_CONFIG_HOME",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_NOSYSTEM",
)
_CONFIG_PATH = re.compile(r"^\s*(excludesfile|path)\s*=\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)

Signature = list[int] | None


def signature(path: str) -> Signature:
    """What changes whenever the file or directory at `path` does; None when absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]


def _env_key() -> str | None:
    """Where git finds its global config (None: a redirect is set, never use a stamp)."""
    if any(name in os.environ for name in _GIT_REDIRECTS):
        return None
    return "\0".join(os.environ.get(name, "") for name in _GIT_CONFIG_VARS)


class StampedListing:
    """The listing a valid stamp recorded, with the interface of `discover.GitListing`."""

    no_git = False

    def __init__(self, paths: list[str], head: str, classified: Classified) -> None:
        self._paths = paths
        self._head = head
        self.classified: Classified | None = classified

    def paths(self) -> list[str]:
        return self._paths

    def head(self) -> str:
        return self._head

    def close(self) -> None:
        """Nothing to record: the stamp still holds."""


def reuse(root: Path, state_dir: Path) -> StampedListing | None:
    """The recorded listing when every input git would read is unchanged, else None."""
    env = _env_key()
    if env is None or not os.path.isdir(os.path.join(root, ".git")):
        return None
    try:
        with open(state_dir / STAMP_NAME, encoding="utf-8") as handle:
            data = json.load(handle)
        if data["version"] != STAMP_VERSION or data["env"] != env or data["root"] != str(root):
            return None
        for path, sig in data["files"].items():  # git's own files first: a commit shows here
            if signature(path) != sig:
                return None
        base = os.path.join(root, "")
        for rel, sig in data["dirs"].items():
            if signature(base + rel) != sig:
                return None
        paths, head, classified = data["paths"], data["head"], data["classified"]
        entries, vendored = classified
        if not all(isinstance(x, list) for x in (paths, entries, vendored)):
            return None
        if not isinstance(head, str):
            return None
        return StampedListing(paths, head, (entries, vendored))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # absent, damaged or from another version: ask git


def open_listing(root: Path, state_dir: Path) -> StampedListing | RecordingListing:
    """The stamp's listing when it still holds, else git's (recorded by `close`)."""
    return reuse(root, state_dir) or RecordingListing(root, state_dir)


class RecordingListing(GitListing):
    """Git's listing, plus the ignored directories (not walked for the stamp); `close`
    writes the stamp once git has answered."""

    def __init__(self, root: Path, state_dir: Path) -> None:
        self.root = root
        self.state_dir = state_dir
        self.started_ns = time.time_ns()  # before git starts: see RACY_NS
        self.env = _env_key()
        self._ignored: subprocess.Popen[bytes] | None = None
        super().__init__(root)
        if self.env is not None and os.path.isdir(os.path.join(root, ".git")):
            self._ignored = spawn_git(
                root, ["git", "ls-files", "--others", "--ignored", "--exclude-standard",
                       "--directory", "-z"],
            )  # fmt: skip

    def close(self) -> None:
        """Record git's answers if every input is older than git's start (best effort).
        Any earlier stamp goes first: it no longer described the repository."""
        target = self.state_dir / STAMP_NAME
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)
        ignored_out = collect_git(self._ignored)
        paths, head = self.paths(), self.head()
        if self.env is None or paths is None or ignored_out is None or self.classified is None:
            return
        listed = [p for p in os.fsdecode(ignored_out).split("\0") if p.endswith("/")]
        ignored = _matching(self.root, listed)
        if ignored is None:
            return
        try:
            dirs, gitignores = _walk(self.root, ignored, self.state_dir)
        except OSError:
            return
        files = {p: signature(p) for p in _git_inputs(os.path.join(self.root, ".git"))}
        files.update((p, signature(p)) for p in gitignores)
        newest = self.started_ns - RACY_NS
        for sig in (*files.values(), *dirs.values()):
            if sig is not None and (sig[0] >= newest or sig[1] >= newest):
                return  # changed while git ran (or too close to it to tell): no stamp
        data = {
            "version": STAMP_VERSION, "env": self.env, "root": str(self.root), "head": head,
            "files": files, "dirs": dirs, "paths": paths, "classified": self.classified,
        }  # fmt: skip
        temp = target.with_name(f".{STAMP_NAME}.{os.getpid()}")
        try:
            temp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
            os.replace(temp, target)
        except OSError:
            temp.unlink(missing_ok=True)  # a read-only .mom/ only costs git on each refresh


def _matching(root: Path, dirs: list[str]) -> set[str] | None:
    """The directories among `dirs` that an ignore pattern matches (None: git failed).

    `ls-files --ignored --directory` also names a directory whose files are each ignored
    (`build/` holding only `*.pyc`); a new `build/x.py` would not be, so such a directory
    must still be walked. Only one that a pattern itself ignores (`node_modules/`) is not.
    """
    if not dirs:
        return set()
    import subprocess

    try:
        done = subprocess.run(
            ["git", "check-ignore", "-z", "--stdin"], cwd=root, input=os.fsencode("\0".join(dirs)),
            capture_output=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode not in (0, 1):  # 1: none of them is ignored
        return None
    return {p for p in os.fsdecode(done.stdout).split("\0") if p}


def _git_inputs(git_dir: str) -> list[str]:
    """The files whose change can change `ls-files` or `rev-parse HEAD`: index, HEAD, its
    ref, packed refs, exclude and config files, the files those configs include (one
    level) and any excludes file they name."""
    home = os.path.expanduser("~")
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    configs = [
        os.path.join(git_dir, "config"),
        os.path.join(home, ".gitconfig"),
        os.path.join(xdg, "git", "config"),
        "/etc/gitconfig",
        *filter(None, (os.environ.get(v) for v in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM"))),
    ]
    inputs = [
        os.path.join(git_dir, "index"),
        os.path.join(git_dir, "HEAD"),
        os.path.join(git_dir, "packed-refs"),
        os.path.join(git_dir, "reftable"),
        os.path.join(git_dir, "info", "exclude"),
        os.path.join(git_dir, "info", "sparse-checkout"),
        os.path.join(xdg, "git", "ignore"),
    ]
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as handle:
            head = handle.read().strip()
        if head.startswith("ref: "):
            inputs.append(os.path.join(git_dir, *head[5:].split("/")))
    except (OSError, ValueError):
        pass
    work_tree = os.path.dirname(git_dir)
    included: list[str] = []
    for config in configs:
        inputs.append(config)
        for key, value in _config_paths(config):
            path = os.path.expanduser(value)
            if key == "path":  # [include]/[includeIf]: relative to the including file
                path = os.path.join(os.path.dirname(config), path)
                included.append(path)
                inputs.append(path)
            else:  # core.excludesFile: a relative path is read from the work tree
                inputs.append(os.path.join(work_tree, path))
    for config in included:
        inputs.extend(
            os.path.join(work_tree, os.path.expanduser(value))
            for key, value in _config_paths(config)
            if key != "path"
        )
    return list(dict.fromkeys(inputs))


def _config_paths(config: str) -> list[tuple[str, str]]:
    """(key, value) of the `excludesFile` and include `path` settings in one config file."""
    try:
        with open(config, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return []
    return [(key.lower(), value.strip().strip('"')) for key, value in _CONFIG_PATH.findall(text)]


def _walk(root: Path, ignored: set[str], state_dir: Path) -> tuple[dict[str, Signature], list[str]]:
    """Every directory git walks for untracked files ("" for the root, else "a/b/"), with
    its signature, and the `.gitignore` files found in them. Ignored directories, `.git`
    and mom's state directory are not entered: nothing in them can change the listing."""
    base = os.path.join(root, "")
    skip = {os.path.abspath(state_dir)}
    dirs: dict[str, Signature] = {}
    gitignores: list[str] = []
    stack = [""]
    while stack:
        rel = stack.pop()
        dirs[rel] = signature(base + rel)  # before reading it: a later change shows
        with os.scandir(base + rel) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    child = f"{rel}{entry.name}/"
                    enter = entry.name != ".git" and child not in ignored
                    if enter and os.path.abspath(entry.path) not in skip:
                        stack.append(child)
                elif entry.name == ".gitignore":
                    gitignores.append(entry.path)
    return dirs, gitignores
