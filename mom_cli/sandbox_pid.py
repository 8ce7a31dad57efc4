"""A private PID namespace per sandboxed command: when the command exits, every process it
started exits with it, daemons included (a `setsid` or double-forked process leaves the
process group mom kills, and could keep writing into the repo after mom's snapshot).

`unshare(CLONE_NEWPID)` only moves the caller's *children* into the new namespace, so the
pre-exec step makes two more processes:
  outer  (the process Popen knows: same pid, group, pipes) waits for `init` and exits the
         way the command did (its code, or the same signal), so return codes, output and
         timeouts look exactly as before;
  init   (PID 1 of the namespace, forked) mounts a fresh /proc, caps the namespace's
         pid_max (the process count; Linux >= 6.14 keeps pid_max per namespace), starts the
         command, reaps orphans, and exits when the command does: the kernel then SIGKILLs
         everything left inside;
  command (PID 2) is started with posix_spawn (vfork: a fork copies mom's page tables,
         which costs ~0.2 ms per MiB of mom on a loaded VM), with the executable, argv and
         environment Popen would use (`Launch`). Where no candidate can start, init
         returns from the step and Popen's own exec fails and raises as it always did.
The two helpers close every inherited descriptor (the output pipes end with the command)
and die with their parent (PR_SET_PDEATHSIG), so a killed mom or a timeout's killpg still
takes the whole namespace down. Where the kernel refuses the namespace, the command runs
as before and the runner kills its process group after it exits; `mom doctor` says which.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import struct
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mom_cli import sandbox, sandbox_fs, sandbox_limits

CLONE_NEWPID = 0x20000000
# Once pids wrap, the kernel hands out only pids >= 300 again: a namespace with pid_max
# N keeps at least N - 300 tasks (threads count) alive at once.
RESERVED_PIDS = 300
PER_NAMESPACE_PID_MAX = (6, 14)
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE = 1, 4
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 2, 4, 8
_STATUS = struct.Struct("i")


@dataclass(frozen=True)
class Containment:
    """What this machine allows (probed once per process)."""

    contained: bool  # commands run in their own PID namespace
    caps_processes: bool  # and that namespace's pid_max holds
    why: str = ""


@dataclass(frozen=True)
class Launch:
    """What Popen would exec: the executables to try in order, argv, the environment."""

    executables: tuple[str, ...]
    argv: tuple[str, ...]
    env: Mapping[str, str]

    @classmethod
    def of(cls, command: Sequence[str] | str, env: Mapping[str, str]) -> Launch:
        """As subprocess.Popen resolves it (a str runs through /bin/sh; a bare name is
        looked up on the PATH of `env`)."""
        argv = ("/bin/sh", "-c", command) if isinstance(command, str) else tuple(command)
        if os.path.dirname(argv[0]):
            return cls((argv[0],), argv, dict(env))
        found = [os.path.join(d, argv[0]) for d in os.get_exec_path(dict(env))]
        # each failed posix_spawn is a whole vfork+exec: skip absolute candidates that
        # cannot run (a relative one depends on the command's folder: kept, in order)
        runnable = [c for c in found if not os.path.isabs(c) or _runnable(c)]
        return cls(tuple(runnable or found), argv, dict(env))


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


_probed: Containment | None = None


def contain_step(
    max_processes: int, launch: Launch, rlimits: sandbox_limits.RLimits
) -> Callable[[], None] | None:
    """The pre-exec step running `launch` in a fresh PID namespace of `max_processes` tasks
    (up to RESERVED_PIDS more) under `rlimits` (None where the kernel does not allow the
    namespace)."""
    here = containment()
    if not here.contained:
        return None
    pid_max = max_processes + RESERVED_PIDS if here.caps_processes else 0
    rlimits = sandbox_limits.for_a_copy_of_this_process(rlimits)
    return lambda: contain(pid_max, launch, rlimits, strict=False)


def containment() -> Containment:
    global _probed
    if _probed is None:
        _probed = _probe()
    return _probed


def per_namespace_pid_max(release: str | None = None) -> bool:
    """Whether pid_max is per PID namespace here. Before 6.14 it is one global value, which
    root's write from inside the namespace would change for the whole machine."""
    if sys.platform != "linux":
        return False
    numbers = (release or os.uname().release).split("-")[0].split(".")
    try:
        return (int(numbers[0]), int(numbers[1])) >= PER_NAMESPACE_PID_MAX
    except (ValueError, IndexError):
        return False


def _probe() -> Containment:
    if sys.platform != "linux":
        return Containment(False, False, f"no PID namespaces on {sys.platform}")
    target = 4096 + RESERVED_PIDS
    pid_max = target if per_namespace_pid_max() else 0
    argv = ["/bin/sh", "-c", "echo $$; cat /proc/sys/kernel/pid_max"]
    launch = Launch.of(argv, os.environ)
    try:
        done = subprocess.run(
            argv,
            preexec_fn=lambda: contain(pid_max, launch, [], strict=True),
            check=False,
            timeout=10,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return Containment(False, False, f"the kernel refused a PID namespace ({exc})")
    lines = done.stdout.decode(errors="replace").split()
    if done.returncode != 0 or lines[:1] != ["2"]:
        return Containment(False, False, "a PID namespace did not hold")
    if not pid_max:
        return Containment(True, False, "pid_max is not per namespace before Linux 6.14")
    if lines[1:2] != [str(target)]:
        return Containment(True, False, "the namespace's pid_max could not be set")
    return Containment(True, True)


def contain(pid_max: int, launch: Launch, rlimits: sandbox_limits.RLimits, *, strict: bool) -> None:
    """Runs in the child before exec; returns where Popen's exec should run: uncontained
    when the kernel refuses the namespace (`strict`, the probe, raises instead), or in
    init when the command could not be started. A /proc or pid_max that cannot be set is
    left as it is."""
    lib = sandbox.libc()
    try:
        sandbox_fs.private_mount_namespace()  # for init's /proc: the read-only step's
        sandbox.unshare(CLONE_NEWPID)
    except OSError:
        if strict:
            raise
        return
    status_r, status_w = os.pipe()
    init = _fork(lib)
    if init:
        _run_outer(init, status_r, status_w)
    command = 0
    try:
        _pdeathsig()
        _mount_proc(lib, pid_max)
        sandbox_limits.apply(rlimits)  # inherited by the command
        command = _spawn(launch)
    except BaseException:
        os._exit(255)
    if command:
        _run_init(command, status_w)
    # none could start: Popen's exec, here, fails the same way and reports it


def _spawn(launch: Launch) -> int:
    """Start the command as posix_spawn would exec it in Popen's place (0: no candidate
    could start). Descriptors, folder, session and signals are this process's, which
    Popen's child set up; the command needs no parent-death signal: init's end ends it."""
    for executable in launch.executables:
        with contextlib.suppress(OSError):
            return os.posix_spawn(executable, launch.argv, launch.env)
    return 0


def _fork(lib: ctypes.CDLL) -> int:
    """A plain fork(2): no Python at-fork handlers in this already-forked child."""
    pid = int(lib.fork())
    if pid < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return pid


def _pdeathsig() -> None:
    with contextlib.suppress(OSError, AttributeError):
        sandbox.libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _mount_proc(lib: ctypes.CDLL, pid_max: int) -> None:
    """A /proc of this namespace (so /proc/<os.getpid()> is the caller), then its pid_max."""
    try:
        sandbox_fs.mount(lib, b"proc", b"/proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, b"proc")
    except OSError:
        return  # the old /proc is not ours: its pid_max is not written through it
    if pid_max:
        with contextlib.suppress(OSError), open("/proc/sys/kernel/pid_max", "w") as fh:
            fh.write(str(pid_max))


def _close_all_but(keep: int) -> None:
    os.closerange(0, keep)
    os.closerange(keep + 1, 1 << 20)


def _run_outer(init: int, status_r: int, status_w: int) -> None:
    """Wait for init and end the way the command did. Never returns."""
    code = 255
    try:
        os.close(status_w)
        _close_all_but(status_r)
        with contextlib.suppress(OSError, AttributeError):
            sandbox.libc().prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # no core of mom's memory
        _default_sigint()
        _, status = os.waitpid(init, 0)  # returns once the namespace is empty
        reported = os.read(status_r, _STATUS.size)
        if len(reported) == _STATUS.size:
            status = _STATUS.unpack(reported)[0]
        if os.WIFSIGNALED(status):
            _die_by(os.WTERMSIG(status))
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 255
    finally:
        os._exit(code)


def _default_sigint() -> None:
    """mom's KeyboardInterrupt handler has no business in a helper that only waits."""
    with contextlib.suppress(OSError, ValueError):
        signal.signal(signal.SIGINT, signal.SIG_DFL)


def _die_by(sig: int) -> None:
    with contextlib.suppress(OSError, ValueError):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
    os.kill(os.getpid(), sig)


def _run_init(command: int, status_w: int) -> None:
    """PID 1: reap every orphan until the command exits, report its wait status to the
    outer process, exit (the kernel then kills the rest). Never returns; fails (255, no
    status written: the outer process ends with that) if it cannot report."""
    reported = False
    try:
        _close_all_but(status_w)
        _default_sigint()
        while True:
            pid, status = os.waitpid(-1, 0)
            if pid == command:
                reported = os.write(status_w, _STATUS.pack(status)) == _STATUS.size
                break
    finally:
        os._exit(0 if reported else 255)


def describe(processes: int) -> str:
    """For `mom doctor`: whether a command's processes end with it, and how many it may have."""
    here = containment()
    if here.caps_processes:
        cap = f"about {processes} processes and threads at once (safety.max_processes)"
    elif os.geteuid() != 0:
        cap = f"RLIMIT_NPROC: {processes} tasks more than the machine runs now"
    else:
        cap = "no process-count cap (root ignores RLIMIT_NPROC)"
    if not here.contained:
        return (
            f"NOT contained: {here.why}; what a command leaves in its process group is "
            f"killed when it ends, daemons that leave it (setsid) are not; {cap}"
        )
    why = "" if here.caps_processes else f" ({here.why})"
    return f"contained (own PID namespace: all end with the command); {cap}{why}"
