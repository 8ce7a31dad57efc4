"""Read-only mounts for sandboxed processes: what mom later runs, or trusts, stays out of
reach of the code it sandboxes.

The sandbox takes keys and the network away from model-written code, but mom's own git
calls and config loading run with the user's full environment afterwards. Code the tests
stage ran could otherwise plant a hook in `.git/hooks/` or a `core.fsmonitor` in
`.git/config` (git runs either, with the keys, on mom's next snapshot), forge step records
in `.mom/`, or point the user's own mom config at another server. On Linux each sandboxed
process therefore gets a private mount namespace in which these paths are bind-mounted
read-only; the work tree stays writable, so builds and tests work as before:
  - the repo's `.git` (folder, or the `.git` file of a worktree and the folders it names)
    and `.mom/`;
  - the user's git config (`~/.gitconfig`, `$XDG_CONFIG_HOME/git/`) and mom's own config
    and data folders (user config, trust store, ledger);
  - shell and desktop startup files (`~/.bashrc`, `~/.profile`, …: STARTUP_FILES) and the
    writable folders on PATH outside the repo (`~/.local/bin`, a venv's `bin/`, …).
Credential files (`~/.aws`, `~/.ssh`, `~/.netrc`, …: CREDENTIALS) are hidden (an empty
tmpfs or /dev/null over them), the file-system side of the environment scrub.
Only paths that exist can be covered, and only these: the rest of the home folder stays
writable. `mom doctor` says whether the kernel allows this.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path

from mom_cli import sandbox
from mom_cli.paths import STATE_DIR_NAME, find_git_root, user_config_file, user_home

CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
_MS_RELATIME = 1 << 21
_ST_KEEP = 2 | 4 | 8 | 1024 | 2048  # nosuid, nodev, noexec, noatime, nodiratime: same bits
_ST_RELATIME = 4096
_MS_NOSUID, _MS_NODEV = 2, 4
_READ_ONLY, _HIDE_DIR, _HIDE_FILE = 0, 1, 2
_available: tuple[bool, str] | None = None
# Files a shell or desktop runs at the user's next login: written by model code, they
# would run it later with the keys and the network. Home-relative; only existing ones.
STARTUP_FILES = (".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zshenv",
                 ".zprofile", ".zlogin", ".config/fish", ".config/autostart",
                 ".config/systemd")  # fmt: skip
# Credentials tools keep in files (the file-system side of the environment scrub).
CREDENTIALS = (".aws", ".azure", ".config/gcloud", ".config/gh", ".config/hub", ".ssh",
               ".kube", ".docker/config.json", ".git-credentials", ".config/git/credentials",
               ".netrc", ".pypirc", ".npmrc", ".cargo/credentials",
               ".cargo/credentials.toml")  # fmt: skip


_also: ContextVar[tuple[Path, ...]] = ContextVar("mom_sandbox_also_protect", default=())


@contextlib.contextmanager
def also_protecting(repo: Path) -> Iterator[None]:
    """Protect `repo`'s `.git` and `.mom/` too while commands run elsewhere (the pre-commit
    hook validates a temp export of the index, whose code can still reach the real repo)."""
    token = _also.set((*_also.get(), repo))
    try:
        yield
    finally:
        _also.reset(token)


def protected_paths(cwd: Path) -> list[Path]:
    """The existing paths a sandboxed process started in `cwd` may not change."""
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    wanted: list[Path | str] = []
    tops = [find_git_root(cwd) or cwd.resolve(), *_also.get()]
    for top in tops:
        wanted += [*git_paths(top / ".git"), top / STATE_DIR_NAME]
    wanted += [
        Path.home() / ".gitconfig",
        Path(xdg) / "git",
        user_config_file().parent,
        *(Path.home() / name for name in STARTUP_FILES),
        *_path_dirs(outside=tops),
    ]
    with contextlib.suppress(OSError):  # it is created on demand; unwritable: nothing there
        wanted.append(user_home())
    return _existing(wanted)  # a symlinked ~/.gitconfig (dotfiles): its target is covered


def _existing(paths: Iterable[Path | str]) -> list[Path]:
    """The real paths of those that exist, once each (os.path: this runs per command)."""
    seen: dict[str, None] = {}
    for path in paths:
        if os.path.exists(path):
            seen.setdefault(os.path.realpath(path))
    return [Path(p) for p in seen]


def _path_dirs(outside: list[Path]) -> list[str]:
    """Writable PATH folders outside the repo: a `git` dropped in `~/.local/bin` would be
    the one mom's own git calls run next, with the keys. (A venv inside the repo stays
    writable: builds install into it.)"""
    tops = [os.path.realpath(top) for top in outside]
    found = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isabs(entry) or not os.access(entry, os.W_OK):
            continue
        real = os.path.realpath(entry)
        if not any(real == top or real.startswith(top + os.sep) for top in tops):
            found.append(real)
    return found


def hidden_paths() -> list[Path]:
    """The user's credential files and folders that exist: a sandboxed process sees them
    empty (it could not send them anywhere, but it could copy them into the work tree,
    where the next prompt would carry them to the model)."""
    home = os.path.expanduser("~")
    return _existing(os.path.join(home, name) for name in CREDENTIALS)


def git_paths(dot_git: Path) -> list[Path]:
    """`.git` itself, plus for a worktree or submodule (`.git` is a file) the git dir it
    names and that dir's common dir (where config and hooks live)."""
    if not dot_git.is_file():
        return [dot_git]
    out = [dot_git]
    with contextlib.suppress(OSError, ValueError):
        text = dot_git.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir:"):
            git_dir = (dot_git.parent / text.removeprefix("gitdir:").strip()).resolve()
            out.append(git_dir)
            common = git_dir / "commondir"
            if common.is_file():
                out.append((git_dir / common.read_text(encoding="utf-8").strip()).resolve())
    return out


def read_only_step(paths: Iterable[Path], hidden: Iterable[Path] = ()) -> Callable[[], None] | None:
    """A pre-exec step making `paths` read-only and `hidden` empty in the child's own mount
    namespace (None where the kernel does not allow it). Everything is computed here,
    before the fork."""
    plan = [(_READ_ONLY, os.fsencode(p), _kept_flags(p)) for p in paths]
    plan += [(_HIDE_DIR if p.is_dir() else _HIDE_FILE, os.fsencode(p), 0) for p in hidden]
    if not plan or not available()[0]:
        return None
    return lambda: _bind_read_only(plan, strict=False)


def available() -> tuple[bool, str]:
    """(private read-only mounts work here, why not) - probed once per process."""
    global _available
    if _available is None:
        _available = _probe()
    return _available


def _probe() -> tuple[bool, str]:
    if sys.platform != "linux":
        return False, f"no mount namespaces on {sys.platform}"
    with tempfile.TemporaryDirectory(prefix="mom-ro-probe-") as tmp:
        plan = [(_READ_ONLY, os.fsencode(tmp), _kept_flags(Path(tmp)))]
        probe = os.path.join(tmp, "written")
        try:
            subprocess.run(
                ["/bin/sh", "-c", 'echo > "$0"', probe],
                preexec_fn=lambda: _bind_read_only(plan, strict=True),
                check=False,
                timeout=10,
                capture_output=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return False, f"the kernel refused a private mount namespace ({type(exc).__name__})"
        if os.path.exists(probe):
            return False, "a read-only bind mount did not hold"
    return True, ""


def _kept_flags(path: Path) -> int:
    """Flags the remount must repeat: a user namespace may not clear a mount's nosuid etc."""
    try:
        flag = os.statvfs(path).f_flag
    except OSError:
        return 0
    return (flag & _ST_KEEP) | (_MS_RELATIME if flag & _ST_RELATIME else 0)


def _bind_read_only(plan: list[tuple[int, bytes, int]], *, strict: bool) -> None:
    """Runs in the child before exec. `strict` (the probe) raises on any failure; a real
    command then runs with whatever held, as the network step does."""
    lib = sandbox.libc()
    try:
        private_mount_namespace()
    except OSError:
        if strict:
            raise
        return
    for how, path, kept in plan:
        try:
            if how == _HIDE_DIR:
                mount(lib, b"tmpfs", path, _MS_NOSUID | _MS_NODEV, b"tmpfs", b"size=64k,mode=700")
            elif how == _HIDE_FILE:
                mount(lib, b"/dev/null", path, _MS_BIND)
            else:
                mount(lib, path, path, _MS_BIND | MS_REC)
                mount(lib, None, path, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | kept)
        except OSError:
            if strict:
                raise


_private_pid = 0  # the process (a pre-exec child) that made its own mount namespace


def private_mount_namespace() -> None:
    """Runs in the child before exec: a mount namespace of its own whose mounts do not
    propagate back, made once per process (a later step reuses an earlier step's)."""
    global _private_pid
    if _private_pid == os.getpid():
        return
    sandbox.unshare(CLONE_NEWNS)
    mount(sandbox.libc(), None, b"/", MS_REC | MS_PRIVATE)
    _private_pid = os.getpid()


def mount(
    lib: ctypes.CDLL,
    source: bytes | None,
    target: bytes,
    flags: int,
    fstype: bytes | None = None,
    data: bytes | None = None,
) -> None:
    if lib.mount(source, target, fstype, ctypes.c_ulong(flags), data) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target!r} refused")


def describe() -> str:
    """For `mom doctor`: whether sandboxed processes see `.git` etc. read-only here."""
    ok, why = available()
    if ok:
        return (
            "read-only to sandboxed processes: .git, .mom/, your git and mom config, shell "
            "startup files, PATH folders outside the repo; credential files (~/.aws, ~/.ssh, "
            "~/.netrc, …) hidden"
        )
    return f"NOT protected: {why}"
