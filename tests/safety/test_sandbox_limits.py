"""A check mom runs (tests, build, lint: the repo's or a model's code) cannot fill the disk
with one file, allocate without bound, fork the machine down, or leave a daemon running
after it; and apart from that it behaves exactly as a plain subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w
from hostile import make_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from processes import MARK, kill_marked, mark_env, marked, wait_until_gone
from typer.testing import CliRunner

from mom_cli import sandbox, sandbox_disk, sandbox_pid, trust
from mom_cli.cli.app import app
from mom_cli.config import ValidationSection, load_config
from mom_cli.validate.pipeline import validate_paths
from mom_cli.validate.runner import failure_diagnostic, run_command

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="Linux sandbox")


def limited(tmp_path: Path, **safety: int) -> None:
    """Adopt a user config with these `[safety]` limits (conftest restores the default)."""
    user = tmp_path / "limits.toml"
    user.write_text(tomli_w.dumps({"safety": safety}))
    load_config(config_path=user, environ={})


def test_a_file_written_past_the_limit_is_stopped_and_named(tmp_path: Path) -> None:
    limited(tmp_path, max_written_file_mb=1)
    result = run_command(
        ["dd", "if=/dev/zero", "of=big.bin", "bs=1M", "count=3"], tmp_path, timeout=30
    )
    assert result.returncode == -signal.SIGXFSZ  # the writer itself: killed by the signal
    assert (tmp_path / "big.bin").stat().st_size <= 1024 * 1024
    assert "max_written_file_mb" in failure_diagnostic("tests", result, "dd").message
    result = run_command("head -c 3000000 /dev/zero > big.sh.bin", tmp_path, timeout=30)
    assert result.returncode == 128 + signal.SIGXFSZ  # through a shell
    assert "max_written_file_mb" in failure_diagnostic("tests", result, "sh").message
    # Python ignores SIGXFSZ: the write fails with EFBIG, and the note still says why
    write = "open('big.py.bin', 'wb').write(bytes(3_000_000))"
    result = run_command([sys.executable, "-c", write], tmp_path, timeout=30)
    assert result.returncode == 1 and "File too large" in result.stderr
    assert result.stderr.rstrip().endswith("(safety.max_written_file_mb)")
    assert (tmp_path / "big.py.bin").stat().st_size <= 1024 * 1024


def test_the_validation_names_the_limit_that_stopped_the_tests(tmp_path: Path) -> None:
    """What the model and the user read: the tests stage's diagnostic names the key."""
    repo = make_repo(tmp_path / "repo")
    limited(tmp_path, max_written_file_mb=1)
    config = ValidationSection(test_command="head -c 3000000 /dev/zero > big.bin")
    result = validate_paths(repo, ["calc/ops.py"], config=config, stages=["tests"])
    tests = next(s for s in result.stages if s.name == "tests")
    assert not tests.passed
    assert any("max_written_file_mb" in d.message for d in tests.diagnostics), tests


def test_unbounded_allocation_fails_inside_the_check(tmp_path: Path) -> None:
    limited(tmp_path, max_process_memory_mb=128)
    grab = "blocks = [bytearray(16 * 2**20) for _ in range(64)]"  # 1 GiB, 16 MiB at a time
    result = run_command([sys.executable, "-c", grab], tmp_path, timeout=30)
    assert result.returncode == 1 and "MemoryError" in result.stderr
    assert "(safety.max_process_memory_mb)" in result.stderr


SLEEPER = "import sys, time; open(sys.argv[1], 'w').close(); time.sleep(30)"
FILLER = """
import os, sys, time
fd = os.open("fill.bin", os.O_WRONLY | os.O_CREAT)
for _ in range(128):  # 1 GiB at most, 8 MiB at a time
    os.write(fd, bytes(8 * 2**20))
    os.fsync(fd)
    time.sleep(0.02)
print("wrote it all", flush=True)
"""


def test_a_command_filling_the_disk_with_many_writes_is_killed(tmp_path: Path) -> None:
    free_mb = sandbox_disk.free_bytes(tmp_path) // 2**20
    limited(tmp_path, min_free_disk_mb=free_mb - 32)  # reached after ~64 MiB (the slack)
    try:
        result = run_command([sys.executable, "-c", FILLER], tmp_path, timeout=60)
        assert "wrote it all" not in result.stdout and result.returncode == -signal.SIGKILL
        assert "safety.min_free_disk_mb" in failure_diagnostic("tests", result, "py").message
        assert (tmp_path / "fill.bin").stat().st_size < 512 * 2**20
    finally:
        (tmp_path / "fill.bin").unlink(missing_ok=True)


def test_a_sanitizer_build_refused_by_the_memory_limit_says_which_key(tmp_path: Path) -> None:
    """ASan maps terabytes of writable shadow memory, which RLIMIT_DATA counts."""
    (tmp_path / "a.c").write_text('#include <stdio.h>\nint main(void) { puts("ok"); }\n')
    try:
        built = subprocess.run(
            ["gcc", "-fsanitize=address", "a.c", "-o", "a"], cwd=tmp_path, capture_output=True
        )
    except FileNotFoundError:
        pytest.skip("no gcc")
    if built.returncode != 0:
        pytest.skip("no AddressSanitizer runtime")
    result = run_command(["./a"], tmp_path, timeout=30)
    assert result.returncode != 0
    assert "safety.max_process_memory_mb" in result.stderr.splitlines()[-1]
    limited(tmp_path, max_process_memory_mb=100_000_000)  # what the note says to do
    assert run_command(["./a"], tmp_path, timeout=30).stdout.strip() == "ok"


DAEMONS = {
    "setsid": 'setsid {py} -c "{code}" started </dev/null >/dev/null 2>&1 &',
    "double fork": '( {py} -c "{code}" started </dev/null >/dev/null 2>&1 & )',
}


@linux_only
@pytest.mark.parametrize("how", sorted(DAEMONS))
def test_a_daemon_does_not_outlive_the_check(tmp_path: Path, how: str) -> None:
    mark = str(tmp_path)
    start = DAEMONS[how].format(py=sys.executable, code=SLEEPER)
    command = f"{start}\nwhile [ ! -e started ]; do sleep 0.02; done\necho ok"
    try:
        result = run_command(command, tmp_path, timeout=20, env=mark_env(mark))
        assert result.returncode == 0 and result.stdout.strip() == "ok"
        if how == "setsid" and not sandbox_pid.containment().contained:
            pytest.skip(f"no PID namespace here: {sandbox_pid.containment().why}")
        assert not wait_until_gone(mark, 1.0), f"a {how} daemon outlived the check"
    finally:
        kill_marked(mark)


@pytest.fixture
def uncontained() -> Iterator[None]:
    """A kernel that refuses the PID namespace (the probe's answer, cached per process)."""
    sandbox_pid._probed = sandbox_pid.Containment(False, False, "refused (test)")
    yield
    sandbox_pid._probed = None


@linux_only
def test_without_the_namespace_the_process_group_is_still_killed(
    tmp_path: Path, uncontained: None
) -> None:
    mark = str(tmp_path)
    command = f"{DAEMONS['double fork'].format(py=sys.executable, code=SLEEPER)}\n" \
        "while [ ! -e started ]; do sleep 0.02; done"  # fmt: skip
    try:
        run_command(command, tmp_path, timeout=20, env=mark_env(mark))
        assert not wait_until_gone(mark, 1.0), "a double-forked child outlived the check"
    finally:
        kill_marked(mark)
    repo = make_repo(tmp_path / "repo")
    safety = json.loads(CliRunner().invoke(app, ["doctor", "--json", "--repo", str(repo)]).stdout)[
        "safety"
    ]
    assert safety["processes"].startswith("NOT contained: refused (test)")


FORK_LOOP = """
import os, sys, time
started = 0
try:
    for _ in range(1000):  # bounded: CI survives even if the limit does not hold
        if os.fork() == 0:
            time.sleep(2)
            os._exit(0)
        started += 1
except OSError as exc:
    print(started, flush=True)
    sys.exit(f"stopped: {exc}")
print(started, flush=True)
"""


@linux_only
def test_a_fork_loop_is_stopped(tmp_path: Path) -> None:
    limited(tmp_path, max_processes=64)
    mark = str(tmp_path)
    here = sandbox_pid.containment()
    if not here.caps_processes and os.geteuid() == 0:
        pytest.skip(f"root without a per-namespace pid_max: no cap here ({here.why})")
    try:
        result = run_command(
            [sys.executable, "-c", FORK_LOOP], tmp_path, timeout=30, env=mark_env(mark)
        )
        started = int(result.stdout.split()[0])
        assert started < 1000 and result.returncode == 1, result.output
        if here.caps_processes:  # pid_max = 64 + 300: 64 to 363 tasks (sandbox_pid)
            assert 64 <= started < 64 + sandbox_pid.RESERVED_PIDS
        assert "Resource temporarily unavailable" in result.stderr
        assert "(safety.max_processes)" in result.stderr
        if here.contained:
            assert not marked(mark)  # the sleeping children ended with the loop
    finally:
        kill_marked(mark)


# Exit codes, signals, output and stdin look exactly as from a plain subprocess.
ENDINGS = st.one_of(
    st.integers(0, 255).map(lambda code: f"echo out; echo err >&2; exit {code}"),
    st.sampled_from(["TERM", "KILL", "HUP", "USR1", "INT", "PIPE"]).map(
        lambda name: f"echo before; kill -{name} $$; echo after"
    ),
    st.text("abc xyz\n", max_size=40).map(lambda text: f"printf %s {json.dumps(text)}; cat"),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(command=ENDINGS, stdin=st.one_of(st.none(), st.text("pq\n", max_size=20)))
def test_endings_are_those_of_a_plain_subprocess(
    tmp_path: Path, command: str, stdin: str | None
) -> None:
    plain = subprocess.run(
        command,
        shell=True,
        cwd=tmp_path,
        input=stdin.encode() if stdin is not None else None,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    ours = run_command(command, tmp_path, timeout=30, stdin=stdin)
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        plain.returncode,
        plain.stdout.decode(),
        plain.stderr.decode(),
    )


@pytest.mark.parametrize("argv", [["no-such-command-xyz"], ["./not-executable"], ["."]])
def test_a_command_that_cannot_start_raises_as_popen_does(tmp_path: Path, argv: list[str]) -> None:
    """The namespace's init starts the command itself; where it cannot, Popen still raises."""
    (tmp_path / "not-executable").write_text("echo hi\n")
    with pytest.raises(OSError) as plain:
        subprocess.run(argv, cwd=tmp_path, check=False)
    with pytest.raises(OSError) as ours:
        run_command(argv, tmp_path, timeout=30)
    assert (type(ours.value), ours.value.errno) == (type(plain.value), plain.value.errno)


@linux_only
def test_proc_describes_the_command_itself(tmp_path: Path) -> None:
    """Tools that read /proc/<os.getpid()> (psutil, …) see themselves, not another process."""
    probe = "import os; print(os.readlink('/proc/self') == str(os.getpid()))"
    result = run_command([sys.executable, "-c", probe], tmp_path, timeout=30)
    assert result.stdout.strip() == "True"


def test_a_repo_config_may_lower_the_limits_but_not_raise_them(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    safety = {
        "max_written_file_mb": 10**7,
        "max_process_memory_mb": 512,
        "max_processes": 10**6,
        "min_free_disk_mb": 0,
    }
    (repo / "routing.toml").write_text(tomli_w.dumps({"safety": safety}))
    loaded = load_config(repo, environ={})
    assert {
        "safety.max_written_file_mb",
        "safety.max_processes",
        "safety.min_free_disk_mb",
    } == {key for key in loaded.ignored_keys if key.startswith("safety.")}
    limits = sandbox.current_policy().limits
    assert (limits.file_mb, limits.memory_mb, limits.processes) == (2048, 512, 4096)
    assert limits.disk_floor_mb == 1024
    # a floor may go up
    (repo / "routing.toml").write_text(tomli_w.dumps({"safety": {"min_free_disk_mb": 4096}}))
    assert not load_config(repo, environ={}).ignored_keys
    assert sandbox.current_policy().limits.disk_floor_mb == 4096


def test_every_lower_only_key_has_a_packaged_default() -> None:
    """The trust check compares a repo's value with the trusted one: a key the packaged
    defaults leave out would have nothing to compare with, and any value would pass."""
    from importlib import resources

    packaged = tomllib.loads(resources.files("mom_cli").joinpath("routing.toml").read_text())
    for section, keys in [*trust.DOWNWARD_ONLY.items(), *trust.UPWARD_ONLY.items()]:
        for key in keys:
            assert key in packaged.get(section, {}), f"{section}.{key}"


def test_doctor_says_whether_processes_are_contained(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    result = CliRunner().invoke(app, ["doctor", "--json", "--repo", str(repo)])
    safety = json.loads(result.stdout)["safety"]
    here = sandbox_pid.containment()
    assert safety["processes_contained"] is here.contained
    assert safety["processes"].startswith("contained" if here.contained else "NOT contained")
    assert "max_written_file_mb" in safety["limits"]
    text = CliRunner().invoke(app, ["doctor", "--repo", str(repo)]).stdout
    assert "sandbox processes: " in text and "sandbox limits: " in text


def test_pid_max_is_only_written_where_it_is_per_namespace() -> None:
    """Before 6.14 root's write would set the whole machine's pid_max."""
    assert sandbox_pid.per_namespace_pid_max("6.14.0-1-generic")
    assert sandbox_pid.per_namespace_pid_max("6.18.44-fc-v1098")
    assert not sandbox_pid.per_namespace_pid_max("6.8.0-45-generic")
    assert not sandbox_pid.per_namespace_pid_max("5.15.0")
    assert not sandbox_pid.per_namespace_pid_max("garbage")


def test_mark_helper_finds_a_marked_process(tmp_path: Path) -> None:
    """The helper the containment tests rely on (tests/processes.py) does see a live one."""
    child = subprocess.Popen(["sleep", "5"], env={**os.environ, MARK: str(tmp_path)})
    try:
        assert child.pid in marked(str(tmp_path))
    finally:
        child.kill()
        child.wait()
    assert child.pid not in marked(str(tmp_path))
