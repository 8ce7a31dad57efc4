"""Which files the index should look at, with one stat pass and no reads.

Git decides what is ignored (`git ls-files --cached --others --exclude-standard`), so
.gitignore, .git/info/exclude and global excludes all apply exactly as git applies them.
Without a git repository we walk the tree and say so: .gitignore cannot be honoured.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mom_cli.index.languages import language_for

if TYPE_CHECKING:  # a refresh that reuses its listing stamp (see `stamp`) starts no process
    import subprocess

    from mom_cli.index.stamp import StampedListing

MAX_FILE_BYTES = 1_000_000
VENDORED_DIRS = frozenset(
    {
        "node_modules",
        "vendor",
        "third_party",
        "thirdparty",
        "bower_components",
        ".venv",
        "site-packages",
        "__pycache__",
        ".git",
        ".mom",
        ".tox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "target",
    }
)
MINIFIED_SUFFIXES = (".min.js", ".bundle.js", "-min.js")
_SPECIAL_DIRS = VENDORED_DIRS | {"venv"}  # a path with none of these needs no closer look


class Candidate(NamedTuple):
    """A file we would index, with the stat we compare against the cache."""

    path: str  # repo-relative, forward slashes
    language: str
    mtime_ns: int
    size: int


class Skipped(NamedTuple):
    """A file (or directory) left out, and why, for the caller to show."""

    path: str
    reason: str


class Discovery(NamedTuple):
    """What `discover` found: the files to index, the ones left out, and why."""

    candidates: list[Candidate]
    skipped: list[Skipped]
    warnings: list[str]
    is_git: bool


# What the paths alone decide, in listing order: (path, language) to stat and index, or
# (path, None) for a minified bundle; then the vendored directories met. A listing stamp
# keeps this beside the listing, so a warm refresh goes straight to the stat pass.
Classified = tuple[list[tuple[str, str | None]], list[str]]


def discover(root: Path, listing: GitListing | StampedListing | None = None) -> Discovery:
    """List indexable files under `root` with their (mtime, size)."""
    warnings: list[str] = []
    listing = listing or GitListing(root)
    classified = listing.classified
    is_git = True
    if classified is None:
        paths = listing.paths()
        is_git = paths is not None
        if paths is None:
            why = "git is not on PATH" if listing.no_git else "not a git repository"
            warnings.append(f"{root}: {why}; .gitignore is not applied (walked the directory)")
            paths = _walk_paths(root)
        classified = listing.classified = classify(root, paths)
    entries, vendored_roots = classified
    candidates: list[Candidate] = []
    skipped: list[Skipped] = []
    base = os.fspath(root) + os.sep
    for rel, language in entries:  # the whole of a no-change refresh: one stat, no Path
        if language is None:
            skipped.append(Skipped(rel, "minified/bundled"))
            continue
        try:
            st = os.lstat(base + rel)
            if stat.S_ISLNK(st.st_mode):
                if not _link_stays_inside(root, base + rel):
                    skipped.append(Skipped(rel, "symlink out of the repository"))
                    continue
                st = os.stat(base + rel)
        except FileNotFoundError:
            if os.path.islink(base + rel):
                skipped.append(Skipped(rel, "broken symlink"))
            continue  # tracked but deleted in the work tree: simply absent
        except OSError as exc:
            skipped.append(Skipped(rel, f"cannot stat: {exc.strerror}"))
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        if st.st_size > MAX_FILE_BYTES:
            skipped.append(Skipped(rel, f"too large ({st.st_size // 1024} KiB)"))
            continue
        candidates.append(Candidate(rel, language, st.st_mtime_ns, st.st_size))
    skipped.extend(Skipped(v + "/", "vendored directory") for v in vendored_roots)
    return Discovery(candidates, skipped, warnings, is_git)


def _link_stays_inside(root: Path, path: str) -> bool:
    """A symlink's target is in the work tree (not outside it, not in .git/ or .mom/): a
    clone can track `settings.py -> ~/.aws/credentials`, and indexed text reaches prompts."""
    real_root = os.path.realpath(root)
    target = os.path.realpath(path)
    if os.path.commonpath([real_root, target]) != real_root:
        return False
    first = os.path.relpath(target, real_root).split(os.sep)[0].lower()
    return first not in (".git", ".mom")


def classify(root: Path, paths: list[str]) -> Classified:
    """The path-only part of `discover`: language, vendored directories, minified files."""
    entries: list[tuple[str, str | None]] = []
    vendored_roots: set[str] = set()
    for rel in paths:
        spec = language_for(rel)
        if spec is None:
            continue
        parts = rel.split("/")
        if len(parts) > 1 and not _SPECIAL_DIRS.isdisjoint(parts[:-1]):
            vendored = _vendored_prefix(rel, root)
            if vendored is not None:
                vendored_roots.add(vendored)
                continue
        entries.append((rel, None if rel.endswith(MINIFIED_SUFFIXES) else spec.name))
    return entries, sorted(vendored_roots)


def _vendored_prefix(rel: str, root: Path) -> str | None:
    """The vendored directory containing `rel`, if any (a `venv/` only if it is one)."""
    parts = rel.split("/")
    for i, part in enumerate(parts[:-1]):
        prefix = "/".join(parts[: i + 1])
        if part in VENDORED_DIRS or (part == "venv" and (root / prefix / "pyvenv.cfg").exists()):
            return prefix
    return None


class GitListing:
    """`git ls-files` and `git rev-parse HEAD`, started together and read later, so the
    caller can load its cache while git works (git is a third of a no-change refresh).
    Each answer is read once and kept (`stamp` records them after `discover`)."""

    def __init__(self, root: Path) -> None:
        self._files = spawn_git(
            root, ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"]
        )
        self._head = spawn_git(root, ["git", "rev-parse", "-q", "--verify", "HEAD"])
        self.no_git = self._files is None  # git could not be started at all
        self.classified: Classified | None = None  # filled in by `discover`
        self._paths: list[str] | None = None
        self._head_sha: str | None = None

    def paths(self) -> list[str] | None:
        """Tracked + untracked-but-not-ignored paths, or None when `root` is not in git."""
        if self._files is not None:
            out, self._files = collect_git(self._files), None
            if out is not None:
                self._paths = list(dict.fromkeys(filter(None, os.fsdecode(out).split("\0"))))
        return self._paths

    def head(self) -> str:
        """The commit HEAD points at, or "" (no git, no commits)."""
        if self._head_sha is None:
            out = collect_git(self._head)
            self._head_sha = out.decode("ascii", "replace").strip() if out is not None else ""
        return self._head_sha


def spawn_git(root: Path, args: list[str]) -> subprocess.Popen[bytes] | None:
    """Start a git command in `root`, stdout piped; None when git cannot be started."""
    import subprocess

    try:
        return subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return None


def collect_git(proc: subprocess.Popen[bytes] | None) -> bytes | None:
    """The command's stdout if it succeeded within a minute, else None."""
    if proc is None:
        return None
    import subprocess

    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    return out if proc.returncode == 0 else None


def _walk_paths(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in VENDORED_DIRS and not d.startswith(".")]
        rel_dir = os.path.relpath(dirpath, root)
        prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        out.extend(prefix + name for name in filenames)
    return out
