"""Resource limits for sandboxed processes: a test suite mom runs is the repo's (or a
model's) code, and must not be able to fill the user's disk, eat all memory or fork the
machine down while mom waits for its timeout.

Set soft and hard alike (an unprivileged test cannot raise a hard limit back), in the
child just before exec, or, in a PID namespace, in its init just before it starts the
command (init is a copy of mom, so there RLIMIT_DATA is never below mom's own data plus
64 MiB):
  - RLIMIT_FSIZE: no single file written past `safety.max_written_file_mb` (the writer
    gets SIGXFSZ, or EFBIG where the signal is ignored, as Python does);
  - RLIMIT_DATA: no process past `safety.max_process_memory_mb` of private writable
    memory. Not RLIMIT_AS: JVMs and node reserve far more address space than they use
    (as PROT_NONE, which RLIMIT_DATA does not count), so `cargo test`, `npm test` and
    `mvn` run under 512 MiB. Sanitizer builds (ASan, TSan) map terabytes of writable
    shadow and do not start: the output then says which key to raise;
  - RLIMIT_NPROC, only where the PID namespace cannot cap the process count itself
    (mom_cli.sandbox_pid) and mom is not root (root ignores it). It counts every task of
    the user, so the limit is the tasks on the machine now plus `safety.max_processes`.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-command limits (the `[safety]` defaults; see config.SafetySection)."""

    file_mb: int = 2048
    memory_mb: int = 8192
    processes: int = 4096
    disk_floor_mb: int = 1024  # mom_cli.sandbox_disk

    def describe(self) -> str:
        return (
            f"files up to {self.file_mb} MiB each (safety.max_written_file_mb), "
            f"{self.memory_mb} MiB of memory per process (safety.max_process_memory_mb), "
            + (
                f"killed below {self.disk_floor_mb} MiB free disk (safety.min_free_disk_mb)"
                if self.disk_floor_mb
                else "free disk not watched (safety.min_free_disk_mb = 0)"
            )
        )


RLimits = list[tuple[int, int]]  # (resource.RLIMIT_*, value), set as soft and hard


def rlimits(limits: Limits, *, cap_processes: bool) -> RLimits:
    """The rlimits a command gets (`cap_processes`: RLIMIT_NPROC as well), computed in the
    parent, before the fork."""
    wanted = [
        (resource.RLIMIT_FSIZE, limits.file_mb * MIB),
        (resource.RLIMIT_DATA, limits.memory_mb * MIB),
    ]
    if cap_processes and os.geteuid() != 0:
        wanted.append((resource.RLIMIT_NPROC, tasks_now() + limits.processes))
    return wanted


def rlimit_step(limits: Limits, *, cap_processes: bool) -> Callable[[], None]:
    """The pre-exec step setting the limits on the process that then execs."""
    wanted = rlimits(limits, cap_processes=cap_processes)
    return lambda: apply(wanted)


def for_a_copy_of_this_process(wanted: RLimits) -> RLimits:
    """`wanted` for a forked copy of this process that still runs Python before it starts
    the command (mom_cli.sandbox_pid's init): RLIMIT_DATA counts the memory the copy
    shares with mom, so it never goes below mom's own data plus HEADROOM."""
    floor = data_bytes() + HEADROOM
    return [(w, max(v, floor) if w == resource.RLIMIT_DATA else v) for w, v in wanted]


HEADROOM = 64 * MIB


def data_bytes() -> int:
    """This process's data segment as RLIMIT_DATA counts it (VmData)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def apply(wanted: RLimits) -> None:
    """Runs in the child before exec; a limit the system refuses is left as it was."""
    for which, value in wanted:
        with contextlib.suppress(OSError, ValueError):
            _, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value))


def tasks_now() -> int:
    """Tasks (processes and threads) on the whole machine: an upper bound of the user's
    own, which RLIMIT_NPROC counts. One small read, where a /proc walk costs a millisecond."""
    try:
        with open("/proc/loadavg", encoding="ascii") as fh:
            return int(fh.read().split()[3].split("/")[1])
    except (OSError, ValueError, IndexError):
        return 32768  # not Linux: a bound that still stops a runaway fork loop


# What a sanitizer runtime prints when RLIMIT_DATA refuses its shadow memory.
SANITIZER_REFUSED = ("ReserveShadowMemoryRange failed", "Sanitizer failed to allocate")


def stop_note(returncode: int, output: str, limits: Limits) -> str:
    """A line saying which limit stopped a command, or "" (the output names none)."""
    too_big = ("File too large", "File size limit exceeded")  # EFBIG; a shell's SIGXFSZ
    if returncode == -signal.SIGXFSZ or any(text in output for text in too_big):
        return f"[mom] stopped: a file grew past {limits.file_mb} MiB (safety.max_written_file_mb)"
    if returncode != 0 and "Resource temporarily unavailable" in output:
        return (
            f"[mom] a process could not start: the command may have reached "
            f"{limits.processes} processes (safety.max_processes)"
        )
    if returncode != 0 and any(text in output for text in SANITIZER_REFUSED):
        return (
            "[mom] a sanitizer build (ASan/TSan/MSan) reserves terabytes of shadow memory, "
            f"more than safety.max_process_memory_mb ({limits.memory_mb} MiB) allows: raise "
            "it in your own config (e.g. 100000000) to run it"
        )
    if returncode != 0 and ("MemoryError" in output or "Cannot allocate memory" in output):
        return (
            f"[mom] out of memory: a process may have reached {limits.memory_mb} MiB "
            "(safety.max_process_memory_mb)"
        )
    return ""
