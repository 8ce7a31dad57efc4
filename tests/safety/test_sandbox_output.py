"""A command that prints without end cannot grow mom: each stream keeps its first and last
OUTPUT_CAP_BYTES / 2 and says how much it dropped in between."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mom_cli.sandbox_output import MIB, OUTPUT_CAP_BYTES, CappedBuffer
from mom_cli.validate.runner import run_command

OVER = OUTPUT_CAP_BYTES + 16 * MIB  # 16 MiB past the cap


def test_a_flood_keeps_its_head_and_tail_and_counts_the_rest(tmp_path: Path) -> None:
    result = run_command(
        f"echo FIRST; yes | head -c {OVER}; echo SUMMARY: 3 failed; echo on-stderr >&2",
        tmp_path,
        timeout=120,
    )
    assert result.returncode == 0 and not result.timed_out
    out = result.stdout
    assert len(out) < OUTPUT_CAP_BYTES + 1000
    assert out.startswith("FIRST\ny\ny\n")
    assert out.endswith("y\nSUMMARY: 3 failed\n")  # the runner's summary survives
    dropped = OVER + len("FIRST\nSUMMARY: 3 failed\n") - OUTPUT_CAP_BYTES
    assert f"[mom] output capped: {dropped:,} bytes dropped here" in out
    assert result.stderr == "on-stderr\n"  # each stream has its own cap


def test_an_endless_printer_is_stopped_by_its_timeout_with_output_capped(tmp_path: Path) -> None:
    result = run_command("yes", tmp_path, timeout=3)
    assert result.timed_out
    assert "killed after 3 s" in result.stderr
    assert len(result.stdout) <= OUTPUT_CAP_BYTES + 1000


def test_stdin_still_reaches_the_command(tmp_path: Path) -> None:
    text = "line\n" * 200_000  # more than a pipe buffer: written while the output is read
    result = run_command(["cat"], tmp_path, timeout=60, stdin=text)
    assert result.returncode == 0 and result.stdout == text


@given(
    st.lists(st.binary(max_size=40), max_size=30),
    st.integers(min_value=2, max_value=64),
)
def test_capped_buffer_keeps_exactly_head_and_tail(chunks: list[bytes], cap: int) -> None:
    buffer = CappedBuffer(cap)
    for chunk in chunks:
        buffer.add(chunk)
    data = b"".join(chunks)
    kept = buffer.value()
    assert buffer.total == len(data)
    if len(data) <= cap:
        assert kept == data and buffer.dropped == 0
        return
    head, tail = cap // 2, cap - cap // 2
    assert buffer.dropped == len(data) - cap
    assert kept.startswith(data[:head]) and kept.endswith(data[len(data) - tail :])
    assert f"{buffer.dropped:,} bytes dropped".encode() in kept
