#!/usr/bin/env python
"""How much memory mom holds while a command it runs prints without end.

    .venv/bin/python scripts/bench_sandbox_io.py [--mib 1024] [--reps 3]

Each rep starts a fresh interpreter (so one rep's heap does not carry into the next) that
runs `yes | head -c N` through mom's validator entry (mom_cli.validate.runner.run_command,
sandbox and all) and reports its own peak RSS (getrusage RUSAGE_SELF: mom's process, not
the child's), the RSS before the run, the seconds the run took and how many bytes of
stdout mom kept. Before the output cap (mom_cli.sandbox_output) mom kept every byte and
then decoded it: its peak grew by about three times the output.

Prints a table of the reps, then one JSON line with the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
from mom_cli.validate.runner import run_command

size = int(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
result = run_command(f"yes | head -c {size}", Path(tempfile.gettempdir()), timeout=600)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "kept": len(result.stdout), "rc": result.returncode,
                  "rss_before_kib": before, "peak_rss_kib": peak}))
"""


def one_rep(size: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(size)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=1024, help="output to print, MiB")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    size = args.mib * 1024 * 1024
    reps = [one_rep(size) for _ in range(args.reps)]
    print(f"{'rep':>3} {'printed MiB':>11} {'kept MiB':>9} {'RSS before':>10} "
          f"{'peak RSS MiB':>12} {'seconds':>8}")  # fmt: skip
    for i, r in enumerate(reps, 1):
        kept, before, peak = r["kept"] / 2**20, r["rss_before_kib"] / 1024, r["peak_rss_kib"] / 1024
        print(f"{i:>3} {args.mib:>11} {kept:>9.1f} {before:>10.1f} {peak:>12.1f} "
              f"{r['seconds']:>8.2f}")  # fmt: skip
    summary = {
        "bench": "sandbox_io",
        "printed_mib": args.mib,
        "reps": args.reps,
        "kept_mib": round(statistics.median(r["kept"] for r in reps) / 2**20, 1),
        "rss_before_mib": round(statistics.median(r["rss_before_kib"] for r in reps) / 1024, 1),
        "peak_rss_mib": round(statistics.median(r["peak_rss_kib"] for r in reps) / 1024, 1),
        "seconds": round(statistics.median(r["seconds"] for r in reps), 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
