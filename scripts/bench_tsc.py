#!/usr/bin/env python3
"""Benchmark the TypeScript build check as a fix-build makes it: several in one process.

    .venv/bin/python scripts/bench_tsc.py PATH/TO/TS/PROJECT [--runs 3]

The project needs its own `node_modules/.bin/tsc` (`npm install`). Times
`validate_project(stages=["build"])` `--runs` times in one process: the first is a full
`tsc --noEmit`, the later ones reuse its build info (validate/build.py). Prints one line
per run and one JSON line: {"project", "runs_s", "first_s", "later_median_s"}.
Nothing in the project is written (the build info lives in a temp dir).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mom_cli.config import ValidationSection  # noqa: E402
from mom_cli.validate.pipeline import validate_project  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    repo = args.project.resolve()
    if not (repo / "node_modules/.bin/tsc").exists():
        print(f"{repo}: no node_modules/.bin/tsc (run npm install there)", file=sys.stderr)
        return 2
    times = []
    for n in range(args.runs):
        started = time.monotonic()
        result = validate_project(repo, config=ValidationSection(), stages=["build"])
        times.append(round(time.monotonic() - started, 2))
        print(f"run {n + 1}: {times[-1]:.2f} s, passed={result.passed}")
    later = statistics.median(times[1:]) if len(times) > 1 else None
    print(
        json.dumps(
            {"project": str(repo), "runs_s": times, "first_s": times[0], "later_median_s": later}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
