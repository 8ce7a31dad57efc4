"""Run the project's own tools: with a timeout, in their own process group, and always
recording which toolchain was chosen (configured command → project venv → PATH → mom's)."""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mom_cli import procscope, sandbox, sandbox_disk, sandbox_fs, sandbox_limits, sandbox_pid
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.hang import SummaryWatch
from mom_cli.validate.result import trim

VENV_NAMES = (".venv", "venv")
HANG = "[mom] stopped after its summary"  # run_command's reason for a SummaryWatch stop


@dataclass(frozen=True)
class Tool:
    """A resolved command prefix and where it came from."""

    argv: tuple[str, ...] | str  # a str is a configured shell command
    source: str  # "config" | "project venv" | "PATH" | "mom"

    @property
    def shown(self) -> str:
        """The command as a user would type it."""
        return self.argv if isinstance(self.argv, str) else shlex.join(self.argv)

    def describe(self) -> str:
        return f"{self.shown} ({self.source})"

    def command(self, *args: str) -> list[str] | str:
        if isinstance(self.argv, str):
            return self.argv  # configured commands run as written
        return [*self.argv, *args]


@dataclass
class CommandResult:
    command: list[str] | str
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    # the runner printed its summary and then did not exit: what the stage says about it
    # (returncode is then the summary's verdict, mom_cli.validate.hang)
    stopped_after_summary: str = ""

    @property
    def output(self) -> str:
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()

    def trimmed(self) -> str:
        return trim(self.output)


def run_command(
    command: Sequence[str] | str,
    cwd: Path,
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    idle_after_summary: float = 0.0,
) -> CommandResult:
    """Run `command` (a str runs through the shell) in the sandbox (mom_cli.sandbox:
    no secrets in its environment, no network where the OS allows; mom_cli.sandbox_fs:
    `.git`, `.mom/` and the user's git and mom config read-only; mom_cli.sandbox_pid and
    sandbox_limits: its processes end with it, bounded in number, file size and memory;
    mom_cli.sandbox_disk: killed before it fills the disk) and kill its whole process
    group on timeout. `env` is mom's own additions and is passed as given.
    `idle_after_summary` > 0: a test run that printed its summary and then sat silent and
    idle that long is stopped and takes the summary's verdict (mom_cli.validate.hang)."""
    full_env = {**sandbox.scrubbed_env(), **(env or {})}
    limits = sandbox.current_policy().limits
    launch = sandbox_pid.Launch.of(command, full_env)
    started = time.monotonic()
    proc = subprocess.Popen(
        command if isinstance(command, str) else list(command),
        cwd=cwd,
        env=full_env,
        shell=isinstance(command, str),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # own process group: killpg reaches grandchildren too
        preexec_fn=_chain(die_with_parent, *sandbox_steps(cwd, limits, launch)),
    )
    scope = procscope.current()  # a cancel kills the group at once (mom_cli.procscope)
    if scope is not None and not scope.add(proc.pid):
        _kill_group(proc)  # the run was cancelled before this command started
    watch = sandbox_disk.DiskWatch.begin([cwd, tempfile.gettempdir()], limits.disk_floor_mb)
    try:
        data = stdin.encode() if stdin is not None else None
        kill = functools.partial(_kill_group, proc)
        hang = SummaryWatch(idle_after_summary, proc.pid) if idle_after_summary > 0 else None
        done = None if hang is None else lambda out, err: HANG if hang.check(out, err) else ""
        out, err, killed = sandbox_disk.communicate(proc, data, timeout, watch, kill, done)
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        if scope is not None:
            scope.discard(proc.pid)
    if not sandbox_pid.containment().contained:
        _kill_group(proc)  # no PID namespace: at least what it left in its process group
    stdout = out.decode("utf-8", errors="replace")
    stderr = err.decode("utf-8", errors="replace")
    timed_out = killed == sandbox_disk.TIMED_OUT
    returncode, stopped = proc.returncode, ""
    if killed == HANG and hang is not None and hang.summary is not None:
        returncode, stopped = hang.summary.returncode, hang.note()
        stderr += f"\n[mom] {hang.note(quote=False)}"
    elif timed_out:
        stderr += f"\n[mom] killed after {timeout:g} s (validation.timeout_seconds)"
    elif killed:
        stderr += f"\n{killed}"
    elif scope is not None and scope.closed:
        stderr += "\n[mom] killed: the run was cancelled"
    elif note := sandbox_limits.stop_note(proc.returncode, stdout + stderr, limits):
        stderr += f"\n{note}"
    shown = command if isinstance(command, str) else list(command)
    seconds = time.monotonic() - started
    return CommandResult(shown, returncode, stdout, stderr, seconds, timed_out, stopped)


def sandbox_steps(
    cwd: Path, limits: sandbox_limits.Limits, launch: sandbox_pid.Launch
) -> list[Callable[[], None]]:
    """The pre-exec steps of a sandboxed command, in order: the network first (it may make
    the user namespace the others use), read-only paths, then either the PID namespace
    (which starts `launch` itself, under the limits) or the limits alone."""
    steps = sandbox.preexec_for()
    read_only = sandbox_fs.read_only_step(
        sandbox_fs.protected_paths(cwd), sandbox_fs.hidden_paths()
    )
    if read_only is not None:
        steps.append(read_only)
    caps = sandbox_pid.containment().caps_processes
    rlimits = sandbox_limits.rlimits(limits, cap_processes=not caps)
    contain = sandbox_pid.contain_step(limits.processes, launch, rlimits)
    if contain is not None:
        steps.append(contain)
    else:
        steps.append(sandbox_limits.rlimit_step(limits, cap_processes=True))
    return steps


def die_with_parent() -> None:
    """Runs in the child before exec: on Linux, ask the kernel to SIGKILL it if mom dies.

    Our timeout can only kill a test run while mom is alive; without this, a killed mom (or
    a killed benchmark) leaves a runaway test suite eating CPU and memory for hours."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        sandbox.libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_PR_SET_PDEATHSIG = 1


def _chain(*steps: Callable[[], object]) -> Callable[[], object]:
    """One pre-exec callable running `steps` in order (Popen takes a single one)."""
    if len(steps) == 1:
        return steps[0]

    def run() -> None:
        for step in steps:
            step()

    return run


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def find_venv(repo: Path) -> Path | None:
    """The project's own virtualenv folder (`.venv`, then `venv`), if it has a python."""
    for name in VENV_NAMES:
        if (repo / name / "bin" / "python").exists():
            return repo / name
    return None


def resolve_tool(repo: Path, name: str, *, configured: str = "") -> Tool | None:
    """configured command → project venv / node_modules/.bin → PATH → None."""
    if configured.strip():
        return Tool(configured, "config")
    venv = find_venv(repo)
    if venv is not None and (venv / "bin" / name).exists():
        return Tool((str((venv / "bin" / name).absolute()),), "project venv")
    local = repo / "node_modules" / ".bin" / name
    if local.exists():
        return Tool((str(local),), "node_modules")
    found = shutil.which(name)
    if found:
        return Tool((found,), "PATH")
    return None


def project_python(repo: Path) -> Tool:
    """The interpreter that has the project's dependencies, best guess first."""
    venv = find_venv(repo)
    if venv is not None:
        # absolute: the tools also run in exports of the repo (another cwd)
        return Tool((str((venv / "bin" / "python").absolute()),), "project venv")
    for name in ("python3", "python"):
        found = shutil.which(name)
        if found:
            return Tool((found,), "PATH")
    return Tool((sys.executable,), "mom")


def ruff_tool(repo: Path, configured: str = "") -> Tool:
    """ruff: configured → project venv → PATH → the ruff installed with mom (always there)."""
    tool = resolve_tool(repo, "ruff", configured=configured)
    if tool is not None:
        return tool
    beside = Path(sys.executable).parent / "ruff"
    if beside.exists():
        return Tool((str(beside),), "mom")
    return Tool((sys.executable, "-m", "ruff"), "mom")


def failure_diagnostic(stage: str, result: CommandResult, tool: str) -> Diagnostic:
    """One diagnostic for a failed command whose output matched no known format."""
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    prefix = (
        f"timed out after {result.seconds:.0f} s"
        if result.timed_out
        else f"exit code {result.returncode}"
    )
    tail = lines[-1] if lines else "no output"
    return Diagnostic(stage, "", 0, f"{prefix}: {tail}"[:500], "error", 0, "", tool)
