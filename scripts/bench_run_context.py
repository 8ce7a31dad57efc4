#!/usr/bin/env python3
"""Benchmark the context `mom run` sends per call for a one-function fault (issue 12).

The issue's request on pyflakes: "The test suite fails: a recent change in
pyflakes/checker.py broke how bindings are handled. Fix the bug." A bindings fault is
seeded in `Checker.addBinding` and committed (the recent change). The paid tiers are
loopback servers in their own wire formats (tests/fakes/tiers.py, real SDKs); each
answers with the known fix, but only when its prompt shows the faulty line (a strong
model still has to be shown the code), so the first paid call fixes it when the context
holds the fault. The ladder is the paid tiers only, so the
embedded model's speed does not blur the figure.

Per run: exit code, fixed (the project's own tests pass), paid calls, ≈ input tokens per
paid call (characters / 4 of each request), seconds. A table, then one JSON line.

    .venv/bin/python scripts/bench_run_context.py [--runs 1] [--project pyflakes]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_fixbuild as fb  # noqa: E402  (clones, the loopback tiers, judging)
from fakes.tiers import KEY_ENV  # noqa: E402  (bench_fixbuild put tests/ on the path)

REQUEST = (
    "The test suite fails: a recent change in pyflakes/checker.py broke how bindings "
    "are handled. Fix the bug."
)
MODULE = "pyflakes/checker.py"
GOOD = "        if value.name in self.scope:\n            # then assume the rebound name"
BAD = "        if value.name not in self.scope:\n            # then assume the rebound name"
LADDER = ["groq", "deepseek", "haiku", "sonnet"]
DUMP: Path | None = None  # --dump DIR: each prompt the paid tiers received, and mom's JSON


def run_once(tmp: Path) -> dict[str, object]:
    project = fb.PROJECTS["pyflakes"]
    tree = fb.work_tree(project, tmp)
    path = tree / MODULE
    pristine = path.read_text(encoding="utf-8")
    assert pristine.count(GOOD) == 1, "the seeding site moved"
    seeded = pristine.replace(GOOD, BAD)
    path.write_text(seeded, encoding="utf-8")
    fb.git(tree, "commit", "-qam", "checker: rebinding (the recent change)")
    right, _ = fb.known_fix(MODULE, pristine, seeded)
    home = tmp / "home"
    home.mkdir()
    out: dict[str, object] = {}
    needle = fb._changed_line(pristine, seeded)
    with fb.loopback("c", right, "", needle, home) as (tiers, env):
        for tier in LADDER:  # whichever paid tier mom asks first knows the fix
            tiers.answer_when(tier, needle, right)  # type: ignore[attr-defined]
        env.update({name: fb.LOOPBACK_KEY for name in KEY_ENV.values()})
        full = {**os.environ, **env, "MOM_HOME": str(home)}
        full["MOM_TIERS__DEFAULT"] = json.dumps(LADDER)
        mom = str(Path(sys.executable).parent / "mom")
        started = time.monotonic()
        proc = subprocess.run(
            [mom, "run", REQUEST, "--json", "--repo", str(tree)],
            cwd=tree, env=full, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        out["seconds"] = round(time.monotonic() - started, 1)
        tokens = fb.prompt_tokens(tiers)
        if DUMP is not None:
            DUMP.mkdir(parents=True, exist_ok=True)
            for tier in LADDER:
                for i, text in enumerate(tiers.prompts(tier)):  # type: ignore[attr-defined]
                    (DUMP / f"{tier}-{i}.txt").write_text(text, encoding="utf-8")
            (DUMP / "mom.json").write_text(proc.stdout, encoding="utf-8")
    passed, tail = fb.tests_pass(tree, project)
    out.update(
        exit=proc.returncode,
        fixed=passed and path.read_text(encoding="utf-8") == pristine,
        paid_calls=len(tokens),
        input_tokens_per_call=tokens,
        tests=tail,
    )
    if proc.returncode not in (0, 1):
        out["stderr"] = proc.stderr[-400:]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--dump", type=Path, default=None, help="keep the prompts here")
    args = parser.parse_args()
    global DUMP
    DUMP = args.dump
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-run-ctx-") as tmp:
            results.append(run_once(Path(tmp)))
        print(json.dumps(results[-1]), file=sys.stderr)
    print(f"{'run':<4} {'exit':<5} {'fixed':<6} {'paid':<5} {'tokens/call≈':<24} seconds")
    for i, r in enumerate(results, 1):
        toks = ",".join(str(t) for t in r["input_tokens_per_call"])  # type: ignore[union-attr]
        cells = (r["exit"], r["fixed"], r["paid_calls"])
        print(f"{i:<4} {cells[0]!s:<5} {cells[1]!s:<6} {cells[2]!s:<5} {toks:<24} {r['seconds']}")
    every = [t for r in results for t in r["input_tokens_per_call"]]  # type: ignore[union-attr]
    summary = {
        "bench": "run_context",
        "runs": len(results),
        "fixed": sum(1 for r in results if r["fixed"]),
        "paid_calls": len(every),
        "median_input_tokens_per_paid_call_est": statistics.median(every) if every else 0,
        "max_input_tokens_per_paid_call_est": max(every, default=0),
        "median_seconds": statistics.median(float(r["seconds"]) for r in results),  # type: ignore[arg-type]
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
