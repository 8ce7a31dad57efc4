#!/usr/bin/env python3
"""Benchmark the pre-commit path: validate 100 staged Python files (no tests).

Target (issue 4): <= 2 s. Builds a temp git repo with a package of N modules, stages them,
and times `validate_staged` (syntax + build + lint) a few times. Prints a small table and
one JSON line: {"files", "runs", "best_s", "median_s", "stages": {...}, "target_s", "ok"}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mom_cli.config import ValidationSection  # noqa: E402
from mom_cli.validate.pipeline import validate_staged  # noqa: E402

MODULE = '''"""Module {i}: a little arithmetic so every stage has real work."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Point{i}:
    x: float
    y: float

    def scaled(self, factor: float) -> Point{i}:
        return Point{i}(self.x * factor, self.y * factor)


def total_{i}(values: list[float]) -> float:
    result = 0.0
    for value in values:
        result += value * {i}
    return result
'''


def make_repo(root: Path, count: int) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}  # fmt: skip
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
    (root / "pyproject.toml").write_text("[project]\nname = 'benchpkg'\nversion = '0'\n")
    pkg = root / "benchpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for i in range(count - 1):
        (pkg / f"mod{i:03d}.py").write_text(MODULE.format(i=i))
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--target", type=float, default=2.0)
    args = parser.parse_args()
    cfg = ValidationSection(hook_run_tests=False)
    timings: list[float] = []
    stage_times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="mom-bench-") as tmp:
        repo = Path(tmp) / "repo"
        make_repo(repo, args.files)
        for _ in range(args.runs):
            started = time.perf_counter()
            result = validate_staged(repo, config=cfg)
            timings.append(time.perf_counter() - started)
            if not result.passed:
                print("validation failed unexpectedly:", result.to_dict(), file=sys.stderr)
                return 1
            for stage in result.stages:
                stage_times.setdefault(stage.name, []).append(stage.seconds)
            staged = len(result.files or [])
    best, median = min(timings), statistics.median(timings)
    print(f"{'stage':<10}{'best s':>10}{'median s':>10}")
    for name, values in stage_times.items():
        print(f"{name:<10}{min(values):>10.3f}{statistics.median(values):>10.3f}")
    summary = f"({staged} staged files, target {args.target} s)"
    print(f"{'total':<10}{best:>10.3f}{median:>10.3f}   {summary}")
    doc = {
        "bench": "validate_staged",
        "files": staged,
        "runs": args.runs,
        "best_s": round(best, 3),
        "median_s": round(median, 3),
        "stages": {k: round(statistics.median(v), 3) for k, v in stage_times.items()},
        "target_s": args.target,
        "ok": median <= args.target,
    }
    print(json.dumps(doc))
    return 0 if doc["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
