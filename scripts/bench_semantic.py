#!/usr/bin/env python3
"""Benchmark fix-build on semantic faults that only tests catch, with a loopback "strong
model" in every paid tier's wire format (issue 12, part B).

Real projects (clones from /work/real, see --real), each with its own test suite. One
fault per run is seeded in a library module and committed on top of the project (a red
CI's last commit); then the user's own uncommitted work is added (a line in a tracked
source file, an untracked notes file). mom's groq / deepseek / haiku / sonnet tiers point
at loopback servers (tests/fakes/tiers.py: the groq, openai and anthropic SDKs run for
real) through a user config with a dummy key per tier. The servers answer with the known
fix in mom's edit format, after N wrong answers from the lower tiers:

    a  groq and deepseek answer wrong, haiku right   (targets: ≤ 3 paid calls, ≤ 45 s)
    b  groq answers right                            (targets: 1 paid call, ≤ 20 s)
    c  no key for any paid tier                      (exit 1, the tier/key named, no
                                                      change left but validated ones)

Per fault: fixed (the project's own tests pass afterwards), false claim (exit 0 but not
fixed), collateral files (changed by mom, other than the fault's file), user files
changed, paid calls, input tokens per paid call (≈ characters / 4 of what each request
carried: an estimate, labelled so), seconds. A fresh MOM_HOME per scenario: the learner's
record builds up across that scenario's faults, as it would for one user.

    .venv/bin/python scripts/bench_semantic.py [--scenarios a,b,c] [--faults and_or,...]

The machine is shared and noisy: medians are reported, and seconds vary run to run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.tiers import KEY_ENV, LoopbackTiers  # noqa: E402


@dataclass(frozen=True)
class Fault:
    name: str  # the kind: flipped_comparison, and_or, off_by_one, dropped_return, swapped_args
    project: str  # a directory under --real
    file: str  # the library module, repo-relative
    good: str  # the line as the project has it (unique in the file)
    bad: str  # the seeded fault


FAULTS = (
    Fault(
        "flipped_comparison",
        "cachetools",
        "src/cachetools/__init__.py",
        "        if size > maxsize:\n",
        "        if size < maxsize:\n",
    ),
    Fault(
        "and_or",
        "iniconfig",
        "src/iniconfig/_parse.py",
        "        if name is not None and data is not None:\n",
        "        if name is not None or data is not None:\n",
    ),
    Fault(
        "off_by_one",
        "python-slugify",
        "slugify/slugify.py",
        "        return string[:max_length].strip(separator)\n",
        "        return string[:max_length - 1].strip(separator)\n",
    ),
    Fault(
        "dropped_return",
        "cachetools",
        "src/cachetools/__init__.py",
        "        return key in self.__data\n",
        "        key in self.__data\n",
    ),
    Fault(
        "swapped_args",
        "python-slugify",
        "slugify/slugify.py",
        "        text = text.replace(DEFAULT_SEPARATOR, separator)\n",
        "        text = text.replace(separator, DEFAULT_SEPARATOR)\n",
    ),
)
# the user's own uncommitted work: a tracked source file gets a line, plus an untracked file
USER_TRACKED = {
    "cachetools": "src/cachetools/keys.py",
    "iniconfig": "src/iniconfig/exceptions.py",
    "python-slugify": "slugify/special.py",
}
USER_LINE = "# my uncommitted note: keep this line exactly\n"
USER_UNTRACKED = "NOTES-user.txt"
MOM = str(Path(sys.executable).parent / "mom")  # the venv's console script (PYTHONPATH=ROOT)
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=b@b", "-c", "commit.gpgsign=false"]


def edit(fault: Fault, replace: str) -> str:
    """A SEARCH/REPLACE block that turns the fault's line into `replace`."""
    return f"{fault.file}\n<<<<<<< SEARCH\n{fault.bad}=======\n{replace}>>>>>>> REPLACE\n"


def right(fault: Fault) -> str:
    return edit(fault, fault.good)


def wrong(fault: Fault) -> str:
    """Applies cleanly, changes nothing that matters: the tests still fail."""
    return edit(fault, fault.bad.rstrip("\n") + "  # checked\n")


def seed(real: Path, fault: Fault, work: Path) -> Path:
    """Clone the project, commit the fault, add the user's uncommitted work."""
    repo = work / f"{fault.project}-{fault.name}"
    shutil.rmtree(repo, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(real / fault.project), str(repo)], check=True)
    path = repo / fault.file
    text = path.read_text(encoding="utf-8")
    assert text.count(fault.good) == 1, (fault.name, "good line not unique")
    path.write_text(text.replace(fault.good, fault.bad), encoding="utf-8")
    subprocess.run([*GIT, "commit", "-qam", f"seeded: {fault.name}"], cwd=repo, check=True)
    with (repo / USER_TRACKED[fault.project]).open("a", encoding="utf-8") as fh:
        fh.write(USER_LINE)
    (repo / USER_UNTRACKED).write_text("my notes\n", encoding="utf-8")
    return repo


def tree(repo: Path) -> dict[str, str]:
    """Hashes of every file outside .git/ and .mom/ (tracked or not)."""
    out = {}
    for path in repo.rglob("*"):
        rel = path.relative_to(repo).as_posix()
        if path.is_file() and not rel.startswith((".git/", ".mom/")) and "__pycache__" not in rel:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def tests_pass(repo: Path) -> bool:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if (repo / "src").is_dir():
        env["PYTHONPATH"] = str(repo / "src")
    argv = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
    return subprocess.run(argv, cwd=repo, env=env, capture_output=True).returncode == 0


def _toml(overrides: dict[str, dict[str, dict[str, object]]]) -> str:
    lines = []
    for section, tables in overrides.items():
        for name, values in tables.items():
            lines.append(f"[{section}.{name}]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
            lines.append("")
    return "\n".join(lines)


@dataclass
class Row:
    scenario: str
    fault: str
    project: str
    exit_code: int
    fixed: bool
    false_claim: bool
    false_failure: bool
    collateral: list[str] = field(default_factory=list)
    user_files_changed: list[str] = field(default_factory=list)
    paid_calls: int = 0
    input_tokens_per_paid_call: list[int] = field(default_factory=list)  # ≈ chars / 4
    seconds: float = 0.0
    needs: list[str] = field(default_factory=list)


def run_one(scenario: str, fault: Fault, real: Path, work: Path, home: Path) -> Row:
    repo = seed(real, fault, work)
    before = tree(repo)
    with LoopbackTiers() as tiers:
        if scenario == "a":
            tiers.script("groq", wrong(fault))
            tiers.script("deepseek", wrong(fault))
            tiers.script("haiku", right(fault))
        elif scenario == "b":
            tiers.script("groq", right(fault))
        config_dir = home / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "routing.toml").write_text(_toml(tiers.overrides()), encoding="utf-8")
        env = {**os.environ, "MOM_HOME": str(home), "MOM_CONFIG_HOME": str(config_dir)}
        env["PYTHONPATH"] = str(ROOT)
        for name in (*KEY_ENV.values(), "GROQ_API_KEY", "DEEPSEEK_API_KEY", "ANTHROPIC_API_KEY"):
            env.pop(name, None)
        if scenario != "c":
            env.update({name: "sk-loopback-dummy" for name in KEY_ENV.values()})
        started = time.monotonic()
        proc = subprocess.run(
            [MOM, "fix-build", "--json", "--repo", str(repo)],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.monotonic() - started
        paid = tiers.calls()
        sizes = [
            len(p) // 4 for t in ("groq", "deepseek", "haiku", "sonnet") for p in tiers.prompts(t)
        ]
    after = tree(repo)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    user = {USER_TRACKED[fault.project], USER_UNTRACKED}
    fixed = (repo / fault.file).read_text(encoding="utf-8").count(fault.bad) == 0 and tests_pass(
        repo
    )
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        doc = {"needs": [proc.stderr[-300:]]}
    return Row(
        scenario,
        fault.name,
        fault.project,
        proc.returncode,
        fixed,
        false_claim=proc.returncode == 0 and not fixed,
        false_failure=proc.returncode != 0 and fixed,
        collateral=[c for c in changed if c != fault.file and c not in user],
        user_files_changed=[c for c in changed if c in user],
        paid_calls=paid,
        input_tokens_per_paid_call=sizes,
        seconds=round(seconds, 1),
        needs=list(doc.get("needs", []))[:2],
    )


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1) if values else 0.0


def summarize(rows: list[Row]) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for scenario in sorted({r.scenario for r in rows}):
        mine = [r for r in rows if r.scenario == scenario]
        tokens = [t for r in mine for t in r.input_tokens_per_paid_call]
        out[scenario] = {
            "faults": len(mine),
            "fixed": sum(r.fixed for r in mine),
            "false_claims": sum(r.false_claim for r in mine),
            "false_failures": sum(r.false_failure for r in mine),
            "collateral_files": sum(len(r.collateral) for r in mine),
            "user_files_changed": sum(len(r.user_files_changed) for r in mine),
            "max_paid_calls": max((r.paid_calls for r in mine), default=0),
            "median_input_tokens_per_paid_call_est": _median([float(t) for t in tokens]),
            "median_seconds": _median([r.seconds for r in mine]),
            "exit_codes": sorted({r.exit_code for r in mine}),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", default="a,b,c")
    parser.add_argument("--faults", default=",".join(f.name for f in FAULTS))
    parser.add_argument("--real", type=Path, default=Path("/work/real"))
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    wanted = set(args.faults.split(","))
    faults = [f for f in FAULTS if f.name in wanted]
    work = Path(tempfile.mkdtemp(prefix="mom-bench-semantic-"))
    rows: list[Row] = []
    try:
        for scenario in args.scenarios.split(","):
            home = work / f"home-{scenario}"
            for fault in faults:
                row = run_one(scenario, fault, args.real, work, home)
                rows.append(row)
                print(
                    f"{row.scenario:>2} {row.fault:<19} {row.project:<15} exit={row.exit_code} "
                    f"fixed={row.fixed!s:<5} false_claim={row.false_claim!s:<5} "
                    f"collateral={len(row.collateral)} user={len(row.user_files_changed)} "
                    f"paid={row.paid_calls} tok/call≈{row.input_tokens_per_paid_call} "
                    f"{row.seconds:6.1f}s {'; '.join(row.needs)[:90] if row.exit_code else ''}",
                    flush=True,
                )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    summary = summarize(rows)
    print()
    print(f"{'scn':<4}{'faults':>7}{'fixed':>6}{'false':>6}{'coll':>5}{'user':>5}"
          f"{'max$calls':>10}{'tok/call≈':>10}{'median s':>9}  exits")  # fmt: skip
    for scenario, s in summary.items():
        print(
            f"{scenario:<4}{s['faults']:>7}{s['fixed']:>6}{s['false_claims']:>6}"
            f"{s['collateral_files']:>5}{s['user_files_changed']:>5}{s['max_paid_calls']:>10}"
            f"{s['median_input_tokens_per_paid_call_est']:>10}{s['median_seconds']:>9}  "
            f"{s['exit_codes']}"
        )
    print(json.dumps({"bench": "fixbuild_semantic", "summary": summary,
                      "rows": [asdict(r) for r in rows]}))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
