#!/usr/bin/env python
"""Safety benchmarks: what the sandbox and the structural edit guard cost.

    .venv/bin/python scripts/bench_safety.py [--reps 30]

1. Starting one validator command (`true`, then `python -c pass`) through run_command in
   a git repo: sandboxed (scrubbed env + private network namespace + read-only `.git`,
   `.mom/` and config: mom_cli.sandbox_fs + its own PID namespace and resource limits:
   mom_cli.sandbox_pid, sandbox_limits), the same without the PID namespace (the launch
   before it: one fork, no init), sandboxed with the network left on, and a bare
   subprocess.run, median ms over --reps. The four run interleaved, so a load spike on a
   shared machine hits them alike. A fork copies the caller's page tables, so the launch
   costs more in a bigger mom: --ballast-mb N first allocates N MiB (mom's anonymous
   memory while `mom fix-build` validates click is about 140 MiB).
2. plan_edits on the largest .py files of the standard library (a real corpus), as
   whole-file rewrites: one that only adds a line (the guard's cheap path: no line of the
   file is gone) and one that changes every 10th line (both versions are parsed), against
   the line-count guard alone; median ms per file.
3. The retry hint of a SEARCH that matches nowhere (edits.match.nearest_lines): a hostile
   file whose lines are all shuffles of one line (difflib's quick filters pass every
   window) against a 40-line SEARCH, and a 3,000-line file with a misquoted 400-line
   SEARCH; seconds, one run each.

Prints a table, then one JSON line with every figure. Timings on a shared machine are noisy:
compare medians, not single runs.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mom_cli import sandbox, sandbox_pid
from mom_cli.config import SafetySection
from mom_cli.edits import apply as apply_mod
from mom_cli.edits import guard
from mom_cli.edits.apply import plan_edits
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.match import nearest_lines
from mom_cli.validate.runner import run_command


def median_ms(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_processes(reps: int, cwd: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    isolated, why = sandbox.network_isolation()
    contained = sandbox_pid.containment()
    uncontained = sandbox_pid.Containment(False, False, "bench: the launch before it")

    def sandboxed(argv: list[str], *, network: bool = False, pid_ns: bool = True) -> None:
        sandbox._policy = sandbox.SandboxPolicy(network=network)
        sandbox_pid._probed = contained if pid_ns else uncontained
        try:
            run_command(argv, cwd, timeout=30)
        finally:
            sandbox._policy, sandbox_pid._probed = sandbox.SandboxPolicy(), contained

    for label, argv in (("true", ["true"]), ("python", [sys.executable, "-c", "pass"])):
        runs: dict[str, Callable[[], object]] = {
            "sandboxed": lambda argv=argv: sandboxed(argv),
            "no_pid_ns": lambda argv=argv: sandboxed(argv, pid_ns=False),
            "scrub_only": lambda argv=argv: sandboxed(argv, network=True, pid_ns=False),
            "bare": lambda argv=argv: subprocess.run(
                argv, cwd=cwd, capture_output=True, check=False
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(reps):
            for name, run in runs.items():
                times[name].append(median_ms(run, 1))
        for name, samples in times.items():
            out[f"{label}_{name}_ms"] = statistics.median(samples)
    out["network_namespace"] = 1.0 if isolated else 0.0
    out["pid_namespace"] = 1.0 if contained.contained else 0.0
    if not isolated:
        print(f"note: no network namespace here ({why}); sandboxed = scrub only")
    if not contained.contained:
        print(f"note: no PID namespace here ({contained.why}); sandboxed = no_pid_ns")
    return out


def bench_guard(files: int, reps: int) -> dict[str, float]:
    stdlib = Path(sysconfig.get_path("stdlib"))
    biggest = sorted(stdlib.glob("*.py"), key=lambda p: p.stat().st_size, reverse=True)[:files]
    timings: dict[str, list[float]] = {"append": [], "rewrite": [], "lines_only": []}
    defs = 0
    safety = SafetySection()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for source in biggest:
            text = source.read_text(encoding="utf-8", errors="surrogateescape")
            (root / source.name).write_text(text, encoding="utf-8", errors="surrogateescape")
            counted = guard.definitions(source.name, text)
            defs += sum(counted.values()) if counted else 0
            lines = text.splitlines(keepends=True)
            changed = "".join(
                ln.rstrip("\n") + "  # x\n" if i % 10 == 0 and ln.strip() else ln
                for i, ln in enumerate(lines)
            )
            cases = {
                "append": EditBlock(source.name, "", text + "# edited\n", whole_file=True),
                "rewrite": EditBlock(source.name, "", changed, whole_file=True),
            }
            for label, block in cases.items():
                timings[label].append(
                    median_ms(lambda b=block: plan_edits(root, [b], safety=safety), reps)
                )
            original = guard.check_definitions
            guard.check_definitions = lambda *a: False  # type: ignore[assignment]
            try:
                timings["lines_only"].append(
                    median_ms(
                        lambda b=cases["rewrite"]: plan_edits(root, [b], safety=safety), reps
                    )  # fmt: skip
                )
            finally:
                guard.check_definitions = original  # type: ignore[assignment]
    assert apply_mod.guard is guard
    return {
        "guard_files": float(len(biggest)),
        "guard_kb_median": statistics.median(p.stat().st_size / 1024 for p in biggest),
        "guard_definitions": float(defs),
        "plan_append_ms": statistics.median(timings["append"]),
        "plan_rewrite_structural_ms": statistics.median(timings["rewrite"]),
        "plan_rewrite_lines_only_ms": statistics.median(timings["lines_only"]),
    }


def bench_hint() -> dict[str, float]:
    rng = random.Random(1)
    base = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 =+-*/()") for _ in range(100))

    def shuffled() -> str:
        chars = list(base)
        rng.shuffle(chars)
        return "".join(chars)

    hostile = (
        "".join(shuffled() + "\n" for _ in range(150)),
        "".join(shuffled() + "\n" for _ in range(40)),
    )
    lines = [f"value_{i} = compute({rng.randint(0, 10**6)}, step={i})\n" for i in range(3000)]
    long = ("".join(lines), "".join(ln.replace("compute", "compte") for ln in lines[2000:2400]))
    out = {}
    for key, (text, search) in (("hint_hostile_s", hostile), ("hint_long_search_s", long)):
        started = time.perf_counter()
        nearest_lines(text, search, "f.py")
        out[key] = time.perf_counter() - started
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--ballast-mb", type=int, default=0)
    args = parser.parse_args()
    ballast = [bytearray(b"x" * 2**20) for _ in range(args.ballast_mb)]  # touched pages
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["git", "init", "-q", folder], check=True)
        procs = bench_processes(args.reps, Path(folder))
    guard_figures = bench_guard(args.files, max(3, args.reps // 10))
    hint = bench_hint()
    print(
        f"{'process start (median ms)':<28}{'sandboxed':>11}{'no PID ns':>11}"
        f"{'scrub only':>12}{'bare':>8}"
    )
    for label in ("true", "python"):
        print(
            f"{label:<28}{procs[label + '_sandboxed_ms']:>11.1f}"
            f"{procs[label + '_no_pid_ns_ms']:>11.1f}"
            f"{procs[label + '_scrub_only_ms']:>12.1f}{procs[label + '_bare_ms']:>8.1f}"
        )
    print(
        f"\nplan_edits, {guard_figures['guard_files']:.0f} largest stdlib files "
        f"(median {guard_figures['guard_kb_median']:.0f} KB, "
        f"{guard_figures['guard_definitions']:.0f} definitions in all):"
    )
    for label, key in (
        ("append a line (cheap path)", "plan_append_ms"),
        ("rewrite, definition guard", "plan_rewrite_structural_ms"),
        ("rewrite, line-count guard only", "plan_rewrite_lines_only_ms"),
    ):
        print(f"  {label:<32}{guard_figures[key]:>8.1f} ms/file")
    print("\nretry hint of a missed SEARCH (s, one run):")
    for label, key in (
        ("hostile 150-line file, 40-line SEARCH", "hint_hostile_s"),
        ("3,000-line file, 400-line misquote", "hint_long_search_s"),
    ):
        print(f"  {label:<40}{hint[key]:>8.2f}")
    figures = {**procs, **guard_figures, **hint, "reps": args.reps}
    figures["ballast_mb"] = len(ballast)
    print(json.dumps({"bench": "safety", **{k: round(v, 2) for k, v in figures.items()}}))


if __name__ == "__main__":
    main()
