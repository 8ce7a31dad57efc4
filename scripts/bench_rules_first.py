#!/usr/bin/env python
"""fix-build, rules before the test suite: wall time of old vs new on real projects.

    .venv/bin/python scripts/bench_rules_first.py \\
        --project dotenv=/work/real/dotenv-fixfirst \\
        --project mdformat=/work/real/mdformat-fixfirst \\
        --old /work/main/.venv/bin/mom --new .venv/bin/mom [--runs 3]

Each project is a clone of its public repository with its dev dependencies in its own
`.venv` (python-dotenv: `pip install -e . pytest ruff click ipython`; mdformat: `pip
install -e . -r tests/requirements.txt flake8 flake8-bugbear flake8-builtins
flake8-comprehensions`). Per run the work tree is reset to HEAD, a fault the rules fix is
injected and left uncommitted (an unused import and a misspelt stdlib attribute that
fails the package's import), and `mom fix-build --json` runs rules-only (no model,
`MOM_TIERS__DEFAULT=["rules"]`, a fresh MOM_HOME). Old and new alternate, so a busy
machine slows both alike; medians of `--runs` runs. The outcome (exit code, passed, the
resulting diff) must be the same for old and new, or the row says so.

Prints a table, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# project name → [(file, old text, new text)]: an unused import, and a misspelt stdlib
# attribute at import time (the build stage's import check shows it)
FAULTS: dict[str, list[tuple[str, str, str]]] = {
    "dotenv": [
        ("src/dotenv/main.py", "import io\n", "import io\nimport json\n"),
        ("src/dotenv/main.py", "logging.getLogger(__name__)", "logging.getLoger(__name__)"),
    ],
    "mdformat": [
        ("src/mdformat/_util.py", "import re\n", "import json\nimport re\n"),
        ("src/mdformat/_util.py", 'RE_NEWLINES = re.compile(r"', 'RE_NEWLINES = re.compil(r"'),
    ],
}


@dataclass
class Run:
    seconds: float
    code: int
    passed: bool
    validations: int
    diff: str  # sha1 of `git diff` after the run: the same fix?


@dataclass
class Row:
    project: str
    runs: dict[str, list[Run]] = field(default_factory=lambda: {"old": [], "new": []})

    def median(self, variant: str) -> float:
        return statistics.median(r.seconds for r in self.runs[variant])

    def outcomes(self, variant: str) -> set[tuple[int, bool, str]]:
        return {(r.code, r.passed, r.diff) for r in self.runs[variant]}

    @property
    def same_outcome(self) -> bool:
        return self.outcomes("old") == self.outcomes("new") and len(self.outcomes("old")) == 1


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def reset_and_inject(repo: Path, faults: list[tuple[str, str, str]]) -> None:
    git(repo, "checkout", "-q", "--", ".")
    git(repo, "clean", "-fdq")  # untracked, not ignored: the project's .venv stays
    for rel, old, new in faults:
        path = repo / rel
        text = path.read_text()
        if old not in text:
            sys.exit(f"{repo}: {rel} has no {old!r}: pick another fault for this checkout")
        path.write_text(text.replace(old, new, 1))


def fix_build(mom: str, repo: Path, home: Path) -> Run:
    env = {**os.environ, "MOM_HOME": str(home), "MOM_TIERS__DEFAULT": '["rules"]'}
    started = time.monotonic()
    proc = subprocess.run(
        [mom, "fix-build", "--repo", str(repo), "--json"], env=env, capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.exit(f"{mom} on {repo}: no JSON (exit {proc.returncode}): {proc.stderr[-800:]}")
    diff = hashlib.sha1(git(repo, "diff").encode()).hexdigest()[:10]
    return Run(seconds, proc.returncode, doc["passed"], doc["totals"]["validations"], diff)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--project", action="append", required=True, help="NAME=PATH")
    ap.add_argument("--old", required=True, help="mom of the old behaviour (main's venv)")
    ap.add_argument("--new", required=True, help="mom of this branch")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for spec in args.project:
        name, _, path = spec.partition("=")
        repo = Path(path).resolve()
        row = Row(name)
        for _ in range(args.runs):
            for variant, mom in (("old", args.old), ("new", args.new)):
                reset_and_inject(repo, FAULTS[name])
                with tempfile.TemporaryDirectory(prefix="bench-rules-first-") as home:
                    row.runs[variant].append(fix_build(mom, repo, Path(home)))
        git(repo, "checkout", "-q", "--", ".")
        rows.append(row)
    print(f"{'project':<10} {'old s':>8} {'new s':>8} {'speedup':>8} {'suites':>7}  same outcome")
    for row in rows:
        old, new = row.median("old"), row.median("new")
        suites = f"{row.runs['old'][0].validations}→{row.runs['new'][0].validations}"
        print(
            f"{row.project:<10} {old:>8.1f} {new:>8.1f} {old / new:>7.2f}x {suites:>7}  "
            f"{'yes' if row.same_outcome else 'NO'}"
        )
    print(
        json.dumps(
            {
                "bench": "rules_first",
                "runs": args.runs,
                "projects": {
                    row.project: {
                        "old_median_s": round(row.median("old"), 2),
                        "new_median_s": round(row.median("new"), 2),
                        "old_s": [round(r.seconds, 2) for r in row.runs["old"]],
                        "new_s": [round(r.seconds, 2) for r in row.runs["new"]],
                        "validations": {
                            v: [r.validations for r in row.runs[v]] for v in ("old", "new")
                        },
                        "outcome": sorted(map(list, row.outcomes("new"))),
                        "same_outcome": row.same_outcome,
                    }
                    for row in rows
                },
            }
        )
    )


if __name__ == "__main__":
    main()
