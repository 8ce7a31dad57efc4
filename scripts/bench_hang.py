#!/usr/bin/env python3
"""Benchmark `mom validate` on a project whose test runner never exits after its summary.

    .venv/bin/python scripts/bench_hang.py PATH/TO/PROJECT [--runs 3]

Runs the real CLI (`mom validate --json`, as a user would) `--runs` times with the stop
after the summary turned off (`MOM_VALIDATION__IDLE_AFTER_SUMMARY_SECONDS=0`: mom waits
for the exit, i.e. until `validation.timeout_seconds`, as before validate/hang.py) and
`--runs` times with the configured default. Prints a table (median wall time, the test
stage's seconds and verdict, whether the runner was stopped after its summary) and one
JSON line. Use a project whose tests hang after their summary, e.g. expressjs/cookie-parser
with `JSONCookie` misspelt in index.js's JSONCookies (mocha without --exit keeps
supertest's server open after the uncaught error). Nothing in the project is written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

MOM = Path(sys.executable).parent / "mom"
IDLE_KEY = "MOM_VALIDATION__IDLE_AFTER_SUMMARY_SECONDS"


def one_run(repo: Path, idle: str | None) -> dict[str, Any]:
    """One `mom validate --json` on `repo`: wall seconds and what its tests stage said."""
    env = {k: v for k, v in os.environ.items() if k != IDLE_KEY}
    if idle is not None:
        env[IDLE_KEY] = idle
    started = time.monotonic()
    done = subprocess.run(
        [str(MOM), "validate", "--json", "--repo", str(repo)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.monotonic() - started
    report = json.loads(done.stdout)
    tests = next((s for s in report["stages"] if s["name"] == "tests"), {})
    return {
        "wall_s": round(wall, 2),
        "exit": done.returncode,
        "tests_s": tests.get("seconds"),
        "tests_passed": tests.get("passed"),
        "stopped_after_summary": "did not exit after its summary" in tests.get("note", ""),
        "errors": sorted(
            {d["message"][:80] for d in tests.get("diagnostics", []) if d["severity"] == "error"}
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    repo = args.project.resolve()
    modes = {"before (idle stop off)": "0", "after (default idle stop)": None}
    results: dict[str, list[dict[str, Any]]] = {}
    for label, idle in modes.items():
        results[label] = []
        for n in range(args.runs):
            run = one_run(repo, idle)
            results[label].append(run)
            print(f"{label} run {n + 1}: {json.dumps(run)}", file=sys.stderr, flush=True)
    print(f"{'mode':<28} {'median wall s':>13} {'tests s':>8} {'tests':>7} {'stopped':>8}")
    summary: dict[str, Any] = {"project": str(repo), "runs": args.runs}
    for label, runs in results.items():
        wall = statistics.median(r["wall_s"] for r in runs)
        tests_s = statistics.median(r["tests_s"] or 0.0 for r in runs)
        verdicts = {("pass" if r["tests_passed"] else "FAIL") for r in runs}
        stopped = sum(r["stopped_after_summary"] for r in runs)
        print(
            f"{label:<28} {wall:>13.2f} {tests_s:>8.2f} {'/'.join(sorted(verdicts)):>7} "
            f"{f'{stopped}/{len(runs)}':>8}"
        )
        key = "before" if label.startswith("before") else "after"
        summary[key] = {
            "wall_s": [r["wall_s"] for r in runs],
            "median_wall_s": wall,
            "median_tests_s": tests_s,
            "tests_passed": [r["tests_passed"] for r in runs],
            "stopped_after_summary": stopped,
            "errors": runs[0]["errors"],
        }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
