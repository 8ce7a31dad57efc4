#!/usr/bin/env python3
"""Benchmark `mom fix-build` on real projects: repair what broke, touch nothing else.

Corpus: real open-source Python projects with their own test suites, cloned from the
bare mirrors the session's `fetch` tool leaves under /work/.mirror (or an existing clone
in /work/real/<name>), pinned to a commit. Each run works on a fresh clone in a temp dir
with a `.venv` that runs this interpreter (which has pytest, flake8 and the projects' few
dependencies), so the project venv path of the validator is used.

Per (project, fault, mode):
1. seed the fault into the project's module (`mode` uncommitted: left in the work tree;
   committed: committed as the last commit, the red-CI case, the tree otherwise clean);
2. add the user's uncommitted work: an edit to another tracked source file and an
   untracked file;
3. run the installed `mom fix-build --json` as a subprocess (MOM_HOME: a temp dir, so the
   ledger holds this run's calls only);
4. judge independently: the project's own tests (pytest) pass, and its configured linter
   reports nothing that the unbroken tree (with the user's edits) did not.

Reported per fault: fixed, false claim (exit 0 but not fixed), false failure (fixed but
exit != 0), collateral files (changed by mom, other than the fault's file and the user's),
user files changed, paid calls (ledger rows of tiers other than rules/local), model calls,
seconds. A table, then one JSON line.

Faults are pluggable: a `Fault` is a name, a kind (mechanical | semantic), a function that
seeds it in a work tree (returns the files it touched, or None when it finds no place),
and an optional extra check of the fix. `FAULTS` holds the mechanical ones; another
module can extend it and call `main()` with its own list, `mom_args` and `env`.

    .venv/bin/python scripts/bench_fixbuild.py [--projects pluggy,pyflakes] [--faults colon]
        [--modes uncommitted,committed] [--seed 1] [--ladder rules] [--max-tier T]

The mechanical faults run with the ladder limited to the rules tier (`--ladder rules`, the
default): the target is "fixed by rules at $0", and no model is reachable here anyway.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import hashlib
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # tests/fakes: the loopback provider servers
MIRRORS = Path("/work/.mirror")
CLONES = Path("/work/real")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench User",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench User",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}
PAID_EXCLUDED = ("rules", "local")


@dataclass(frozen=True)
class Project:
    name: str
    mirror: str  # owner+name under /work/.mirror
    commit: str
    module: str  # where faults are seeded
    user_file: str  # another tracked source file the user is editing
    lint: str  # what the project configures, for the table
    tests: tuple[str, ...] = ()  # pytest arguments (default: its own config)
    deps: tuple[str, ...] = ()  # importable names it needs (checked, not installed)


PROJECTS = {
    p.name: p
    for p in (
        Project(
            "pluggy",
            "pytest-dev+pluggy",
            "4dd2443",
            "src/pluggy/_hooks.py",
            "src/pluggy/_tracing.py",
            "ruff config, ~50 findings of debt under current ruff",
        ),
        Project(
            "pyflakes",
            "PyCQA+pyflakes",
            "HEAD",
            "pyflakes/checker.py",
            "pyflakes/reporter.py",
            "flake8 in tox.ini",
        ),
        Project(
            "python-slugify",
            "un33k+python-slugify",
            "HEAD",
            "slugify/slugify.py",
            "slugify/special.py",
            "none",
            tests=("test.py",),
            deps=("text_unidecode",),
        ),
        Project(
            "cachetools",
            "tkem+cachetools",
            "HEAD",
            "src/cachetools/__init__.py",
            "src/cachetools/keys.py",
            "flake8 in tox.ini",
        ),
        Project(
            "iniconfig",
            "pytest-dev+iniconfig",
            "HEAD",
            "src/iniconfig/_parse.py",
            "src/iniconfig/exceptions.py",
            "none",
        ),
        Project(
            "tomli",
            "hukkin+tomli",
            "HEAD",
            "src/tomli/_parser.py",
            "src/tomli/_re.py",
            "flake8 in .flake8",
        ),
    )  # fmt: skip
}


# -- faults ------------------------------------------------------------------------------
Seeder = Callable[[Path, str, random.Random], "list[str] | None"]


@dataclass(frozen=True)
class Fault:
    name: str
    kind: str  # "mechanical" | "semantic"
    seed: Seeder  # (work tree, module path, rng) -> files touched, None: no place found
    check: Callable[[Path], bool] | None = None  # an extra check of the fix


def _functions(tree: ast.AST) -> list[ast.FunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]


def _edit_line(path: Path, lineno: int, change: Callable[[str], str]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[lineno - 1] = change(lines[lineno - 1])
    path.write_text("".join(lines), encoding="utf-8")


def _single_line_stmts(tree: ast.AST) -> list[tuple[ast.stmt, ast.stmt | None]]:
    """(statement, previous sibling) for one-line simple statements inside functions."""
    out = []
    for fn in _functions(tree):
        for prev, stmt in zip([None, *fn.body], fn.body, strict=False):
            simple = isinstance(stmt, ast.Expr | ast.Assign | ast.Return | ast.AugAssign)
            if simple and stmt.lineno == stmt.end_lineno:
                out.append((stmt, prev))
    return out


def _drop_last_char(line: str) -> str:
    return line.rstrip()[:-1] + "\n"


def _edit_one(
    path: Path, rel: str, spots: list[int], rng: random.Random, edit: Callable[[str], str]
) -> list[str] | None:
    """Apply `edit` to one line chosen from `spots`: the seeded files, or None if none."""
    if not spots:
        return None
    _edit_line(path, rng.choice(spots), edit)
    return [rel]


def seed_colon(repo: Path, rel: str, rng: random.Random) -> list[str] | None:
    path = repo / rel
    lines = path.read_text(encoding="utf-8").splitlines()
    spots = [  # the header's last line (a signature may span lines)
        fn.body[0].lineno - 1
        for fn in _functions(ast.parse("\n".join(lines)))
        if fn.body[0].lineno > fn.lineno
        and lines[fn.body[0].lineno - 2].rstrip().endswith(":")
        and "#" not in lines[fn.body[0].lineno - 2]
    ]
    return _edit_one(path, rel, spots, rng, _drop_last_char)


def seed_paren(repo: Path, rel: str, rng: random.Random) -> list[str] | None:
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    spots = [
        s.lineno
        for s, _ in _single_line_stmts(ast.parse(text))
        if isinstance(getattr(s, "value", None), ast.Call)
        and lines[s.lineno - 1].rstrip().endswith(")")
        and "#" not in lines[s.lineno - 1]
    ]
    return _edit_one(path, rel, spots, rng, _drop_last_char)


def seed_indent(repo: Path, rel: str, rng: random.Random) -> list[str] | None:
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    spots = [
        s.lineno
        for s, prev in _single_line_stmts(ast.parse(text))
        if prev is not None
        and prev.lineno == prev.end_lineno
        and not isinstance(prev, ast.Return)
        and not lines[prev.lineno - 1].rstrip().endswith((":", "\\", "(", "[", "{", ","))
    ]
    return _edit_one(path, rel, spots, rng, lambda s: "    " + s)


def seed_name_typo(repo: Path, rel: str, rng: random.Random) -> list[str] | None:
    """A local variable misspelt where it is read (a swap of two inner letters)."""
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    words = set(re.findall(r"\w+", text))
    spots = []
    for fn in _functions(ast.parse(text)):
        stored: dict[str, int] = {}
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                stored.setdefault(node.id, node.lineno)
        for node in ast.walk(fn):
            if (
                isinstance(node, ast.Name)
                and isinstance(node.ctx, ast.Load)
                and len(node.id) >= 5
                and node.id in stored
                and node.lineno > stored[node.id]
            ):
                bad = node.id[0] + node.id[2] + node.id[1] + node.id[3:]
                if bad != node.id and bad not in words:
                    spots.append((node.lineno, node.col_offset, node.id, bad))
    if not spots:
        return None
    lineno, col, good, bad = rng.choice(spots)
    _edit_line(path, lineno, lambda s: s[:col] + bad + s[col + len(good) :])
    return [rel]


def seed_unused_import(repo: Path, rel: str, rng: random.Random) -> list[str] | None:
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    words = set(re.findall(r"\w+", text))
    free = [m for m in ("json", "shlex", "textwrap", "string", "fnmatch") if m not in words]
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    if not free or not imports:
        return None
    last = imports[-1].end_lineno or imports[-1].lineno
    _edit_line(path, last, lambda s: s + f"import {rng.choice(free)}\n")
    return [rel]


FAULTS = [
    Fault("colon", "mechanical", seed_colon),
    Fault("paren", "mechanical", seed_paren),
    Fault("indent", "mechanical", seed_indent),
    Fault("name_typo", "mechanical", seed_name_typo),
    Fault("unused_import", "mechanical", seed_unused_import),
]

# Semantic faults, caught only by the tests: one known site per kind, in a real project's
# library module (checked to fail its suite). The seeder finds no place in other projects.
SEMANTIC_SITES = {
    "flipped_comparison": (
        "src/cachetools/__init__.py",
        "        if size > maxsize:\n",
        "        if size < maxsize:\n",
    ),
    "and_or": (
        "src/iniconfig/_parse.py",
        "        if name is not None and data is not None:\n",
        "        if name is not None or data is not None:\n",
    ),
    "off_by_one": (
        "src/iniconfig/_parse.py",
        "            return line[1:-1], None\n",
        "            return line[1:-2], None\n",
    ),
    "dropped_return": (
        "src/cachetools/__init__.py",
        "        return key in self.__data\n",
        "        key in self.__data\n",
    ),
    "swapped_args": (
        "src/tomli/_parser.py",
        "        return parse_hex_char(src, pos, 4)\n",
        "        return parse_hex_char(src, 4, pos)\n",
    ),
}  # fmt: skip


def _site_seeder(kind: str) -> Seeder:
    def seed(repo: Path, rel: str, rng: random.Random) -> list[str] | None:
        module, good, bad = SEMANTIC_SITES[kind]
        path = repo / module
        if rel != module or not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
        if text.count(good) != 1:
            return None
        path.write_text(text.replace(good, bad), encoding="utf-8")
        return [rel]

    return seed


SEMANTIC_FAULTS = [Fault(kind, "semantic", _site_seeder(kind)) for kind in SEMANTIC_SITES]


# -- work trees --------------------------------------------------------------------------
def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def source_of(project: Project) -> Path:
    clone = CLONES / project.name
    if (clone / ".git").is_dir():
        return clone
    mirror = MIRRORS / project.mirror / "repo"
    if mirror.is_dir():
        return mirror
    raise SystemExit(f"{project.name}: no clone at {clone} nor mirror at {mirror}; fetch it")


def work_tree(project: Project, parent: Path) -> Path:
    """A fresh clone at the project's commit, on a branch whose upstream is that commit
    (the project's later history must not become "the recent change")."""
    tree = parent / project.name
    git(parent, "clone", "-q", str(source_of(project)), str(tree))
    git(tree, "checkout", "-q", "-B", "bench", project.commit)
    git(tree, "update-ref", "refs/remotes/origin/bench", "HEAD")
    git(tree, "branch", "-q", "--set-upstream-to", "origin/bench")
    venv = tree / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (venv / "python").chmod(0o755)
    with (tree / ".git" / "info" / "exclude").open("a") as fh:
        fh.write(".venv/\n.mom/\n")
    return tree


# two blank lines: the user's edit is lint-clean even after a def (flake8 E305)
USER_LINES = "\n\n# the user's work in progress (must survive byte for byte)\nUSER_WIP = 1\n"


def add_user_work(tree: Path, project: Project) -> dict[str, bytes]:
    """An uncommitted edit to a tracked file and an untracked file; their bytes."""
    tracked = tree / project.user_file
    tracked.write_text(tracked.read_text(encoding="utf-8") + USER_LINES, encoding="utf-8")
    untracked = tree / "user_notes.py"
    untracked.write_text('"""Notes the user has not committed yet."""\n\nTODO = []\n')
    return {project.user_file: tracked.read_bytes(), "user_notes.py": untracked.read_bytes()}


def file_hashes(tree: Path) -> dict[str, str]:
    out = git(tree, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    hashes = {}
    for rel in filter(None, out.split("\0")):
        path = tree / rel
        if path.is_file():
            hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


# -- judging -----------------------------------------------------------------------------
def has_ruff_config(tree: Path) -> bool:
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    return (tree / "ruff.toml").is_file() or (tree / ".ruff.toml").is_file() or "[tool.ruff" in text


def has_flake8_config(tree: Path) -> bool:
    for name in ("setup.cfg", "tox.ini", ".flake8"):
        path = tree / name
        if path.is_file() and re.search(r"^\[flake8\]", path.read_text(errors="replace"), re.M):
            return True
    return False


def lint_findings(tree: Path) -> Counter[tuple[str, str, str]]:
    """The project's configured linter (ruff config → ruff; flake8 config → flake8; else
    ruff's historic defaults), as line-independent finding keys."""
    ruff = [str(Path(sys.executable).parent / "ruff"), "check", "--no-cache"]
    ruff += ["--output-format=concise"]
    cmds = []
    if has_ruff_config(tree):
        cmds.append([*ruff, "."])
    if has_flake8_config(tree):
        cmds.append([sys.executable, "-m", "flake8", "."])
    if not cmds:
        cmds.append([*ruff, "--select", "E4,E7,E9,F", "."])
    output = "".join(
        subprocess.run(cmd, cwd=tree, capture_output=True, text=True).stdout for cmd in cmds
    )
    found: Counter[tuple[str, str, str]] = Counter()
    for line in output.splitlines():
        match = re.match(r"^(.+?):\d+:\d+: (\S+) (.*)$", line)
        if match and not match[1].startswith((".venv", "./.venv")):
            path, code, text = match.groups()
            found[(path.removeprefix("./"), code, re.sub(r"\d+", "#", text))] += 1
    return found


def tests_pass(tree: Path, project: Project) -> tuple[bool, str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    if (tree / "src").is_dir():
        env["PYTHONPATH"] = str(tree / "src")
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *project.tests]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    return proc.returncode == 0, tail


def ledger_calls(home: Path) -> tuple[int, int]:
    """(paid calls, model calls) in the run's ledger."""
    path = home / "ledger.sqlite3"
    if not path.is_file():
        return 0, 0
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT tier FROM calls").fetchall()
    models = [t for (t,) in rows if t != "rules"]
    return sum(1 for t in models if t not in PAID_EXCLUDED), len(models)


# -- the loopback "strong model" ---------------------------------------------------------
# mom's paid tiers at loopback servers in their own wire formats (tests/fakes/tiers.py:
# the groq, openai and anthropic SDKs run for real), through a user config with a dummy
# key per tier. They answer with the known fix in mom's edit format.
SCENARIOS = {
    "a": "groq and deepseek answer wrong, then haiku with the fix",
    "b": "groq, the first paid tier, answers with the fix",
    "c": "no key for any paid tier",
}
LOOPBACK_KEY = "sk-loopback-dummy"
JSON_DIR: Path | None = None  # --json-dir: keep each run's `mom fix-build --json` output


def known_fix(path: str, pristine: str, seeded: str) -> tuple[str, str]:
    """(the fix, a wrong answer) as edit blocks: the seeded lines back to the original,
    and an edit that applies cleanly but leaves the fault in place."""
    old, new = pristine.splitlines(keepends=True), seeded.splitlines(keepends=True)
    right, wrong = [], []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pad = 0  # widen until the SEARCH text is unique in the seeded file
        while pad < 5 and seeded.count("".join(new[max(0, j1 - pad) : j2 + pad])) != 1:
            pad += 1
        search = "".join(new[max(0, j1 - pad) : j2 + pad])
        replace = "".join(old[max(0, i1 - pad) : i2 + pad])
        first = new[j1].rstrip("\n")
        block = f"{path}\n<<<<<<< SEARCH\n{search}=======\n{{}}>>>>>>> REPLACE\n"
        right.append(block.format(replace))
        wrong.append(block.format(search.replace(first, first + "  # checked", 1)))
    return "\n".join(right), "\n".join(wrong)


def _changed_line(pristine: str, seeded: str) -> str:
    """The first seeded line (stripped): what a prompt must show for the fix to be known."""
    old = set(pristine.splitlines())
    return next((ln.strip() for ln in seeded.splitlines() if ln not in old), "")


def _toml(doc: dict[str, dict[str, dict[str, object]]]) -> str:
    lines = []
    for section, tables in doc.items():
        for name, values in tables.items():
            lines += [f"[{section}.{name}]", *(f"{k} = {json.dumps(v)}" for k, v in values.items())]
            lines.append("")
    return "\n".join(lines)


@contextlib.contextmanager
def loopback(
    scenario: str, right: str, wrong: str, needle: str, home: Path
) -> Iterator[tuple[object, dict[str, str]]]:
    """Serve the scenario's answers to prompts that show the faulty line (`needle`);
    yield (the servers, the env for mom)."""
    from fakes.tiers import KEY_ENV, LoopbackTiers

    with LoopbackTiers() as tiers:
        if scenario == "a":
            tiers.answer_when("groq", needle, wrong)
            tiers.answer_when("deepseek", needle, wrong)
            tiers.answer_when("haiku", needle, right)
        elif scenario == "b":
            tiers.answer_when("groq", needle, right)
        config = home / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "routing.toml").write_text(_toml(tiers.overrides()), encoding="utf-8")
        env = {"MOM_CONFIG_HOME": str(config)}
        if scenario != "c":
            env.update({name: LOOPBACK_KEY for name in KEY_ENV.values()})
        yield tiers, env


def prompt_tokens(tiers: object) -> list[int]:
    """≈ input tokens (characters / 4) of every request the paid tiers received."""
    return [
        len(text) // 4
        for tier in ("groq", "deepseek", "haiku", "sonnet")
        for text in tiers.prompts(tier)  # type: ignore[attr-defined]
    ]


# -- one run -----------------------------------------------------------------------------
@dataclass
class Outcome:
    project: str
    fault: str
    kind: str
    mode: str
    exit_code: int = -1
    fixed: bool = False
    false_claim: bool = False
    false_failure: bool = False
    collateral: list[str] = field(default_factory=list)
    user_files_changed: list[str] = field(default_factory=list)
    paid_calls: int = 0
    model_calls: int = 0
    seconds: float = 0.0
    restored: bool = False  # the fault's file is byte for byte as before the fault
    note: str = ""
    scenario: str = ""  # the loopback scenario (SCENARIOS), "" for none
    input_tokens_per_paid_call: list[int] = field(default_factory=list)  # ≈ chars / 4


def run_one(
    project: Project,
    fault: Fault,
    mode: str,
    seed: int,
    baseline_lint: Counter[tuple[str, str, str]],
    mom_args: Sequence[str],
    env: dict[str, str],
    scenario: str = "",
) -> Outcome:
    kind = f"{fault.kind}:{scenario}" if scenario else fault.kind
    out = Outcome(project.name, fault.name, kind, mode, scenario=scenario)
    with tempfile.TemporaryDirectory(prefix="mom-bench-") as tmp:
        tree = work_tree(project, Path(tmp))
        pristine = {rel: (tree / rel).read_bytes() for rel in (project.module,)}
        touched = fault.seed(tree, project.module, random.Random(f"{seed}:{fault.name}"))
        if not touched:
            out.note = "no place to seed this fault"
            return out
        if mode == "committed":
            git(tree, "commit", "-q", "-am", f"seeded fault: {fault.name}")
        user = add_user_work(tree, project)
        before = file_hashes(tree)
        home = Path(tmp) / "mom-home"
        home.mkdir()
        run_env = {**os.environ, **env, "MOM_HOME": str(home), "PYTHONPATH": str(ROOT)}
        mom = str(Path(sys.executable).parent / "mom")
        with contextlib.ExitStack() as stack:
            tiers = None
            if scenario:
                seeded = (tree / project.module).read_text(encoding="utf-8")
                right, wrong = known_fix(project.module, pristine[project.module].decode(), seeded)
                needle = _changed_line(pristine[project.module].decode(), seeded)
                tiers, lb_env = stack.enter_context(loopback(scenario, right, wrong, needle, home))
                run_env.update(lb_env)
            started = time.monotonic()
            proc = subprocess.run(
                [mom, "fix-build", "--json", *mom_args],
                cwd=tree, env=run_env, capture_output=True, text=True, timeout=900,
            )  # fmt: skip
            out.seconds = round(time.monotonic() - started, 2)
            if tiers is not None:
                out.input_tokens_per_paid_call = prompt_tokens(tiers)
        if JSON_DIR is not None:  # mom's own account of the run, for a closer look
            JSON_DIR.mkdir(parents=True, exist_ok=True)
            name = f"{project.name}-{fault.name}-{mode}{'-' + scenario if scenario else ''}"
            (JSON_DIR / f"{name}.json").write_text(proc.stdout + "\n" + proc.stderr[-4000:])
        out.exit_code = proc.returncode
        after = file_hashes(tree)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        out.user_files_changed = [
            rel for rel, data in user.items() if (tree / rel).read_bytes() != data
        ]
        out.collateral = [c for c in changed if c not in touched and c not in user]
        ok_tests, tail = tests_pass(tree, project)
        new_lint = lint_findings(tree) - baseline_lint
        extra = fault.check(tree) if fault.check is not None else True
        out.fixed = ok_tests and not new_lint and extra
        out.false_claim = out.exit_code == 0 and not out.fixed
        out.false_failure = out.exit_code != 0 and out.fixed
        out.restored = all((tree / rel).read_bytes() == data for rel, data in pristine.items())
        out.paid_calls, out.model_calls = ledger_calls(home)
        if not ok_tests:
            out.note = f"tests: {tail[:80]}"
        elif new_lint:
            out.note = f"lint: {sorted(new_lint)[0]}"[:100]
        if proc.returncode not in (0, 1):
            out.note = (proc.stderr.strip().splitlines() or [""])[-1][:100]
        elif scenario and proc.returncode == 1:
            with contextlib.suppress(ValueError):
                out.note = "; ".join(json.loads(proc.stdout).get("needs", []))[:100]
    return out


def lint_baseline(project: Project) -> Counter[tuple[str, str, str]]:
    """The configured linter's findings on the unbroken tree with the user's edits."""
    with tempfile.TemporaryDirectory(prefix="mom-bench-") as tmp:
        tree = work_tree(project, Path(tmp))
        add_user_work(tree, project)
        ok, tail = tests_pass(tree, project)
        if not ok:
            print(f"warning: {project.name}'s own tests fail unbroken: {tail}", file=sys.stderr)
        return lint_findings(tree)


# -- report ------------------------------------------------------------------------------
def summarise(outcomes: list[Outcome]) -> dict[str, object]:
    ran = [o for o in outcomes if o.exit_code != -1]
    by_kind: dict[str, dict[str, object]] = {}
    for kind in sorted({o.kind for o in ran}):
        mine = [o for o in ran if o.kind == kind]
        by_kind[kind] = {
            "runs": len(mine),
            "fixed": sum(o.fixed for o in mine),
            "false_claims": sum(o.false_claim for o in mine),
            "false_failures": sum(o.false_failure for o in mine),
            "collateral_files": sum(len(o.collateral) for o in mine),
            "user_files_changed": sum(len(o.user_files_changed) for o in mine),
            "paid_calls": sum(o.paid_calls for o in mine),
            "max_paid_calls": max(o.paid_calls for o in mine),
            "median_input_tokens_per_paid_call_est": _median(
                [t for o in mine for t in o.input_tokens_per_paid_call]
            ),
            "median_seconds": round(statistics.median(o.seconds for o in mine), 2),
            "max_seconds": max(o.seconds for o in mine),
        }
    return {
        "bench": "fixbuild",
        "runs": len(ran),
        "skipped": len(outcomes) - len(ran),
        "by_kind": by_kind,
        "outcomes": [o.__dict__ for o in outcomes],
    }


def _median(values: list[int]) -> float:
    return float(statistics.median(values)) if values else 0.0


def print_table(outcomes: list[Outcome]) -> None:
    cols = (
        "project",
        "fault",
        "mode",
        "exit",
        "fixed",
        "false",
        "collat",
        "user",
        "paid",
        "s",
        "tok/call≈",
    )
    widths = (15, 18, 14, 4, 5, 5, 6, 4, 4, 6, 10)
    print(" ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)) + " note")
    for o in outcomes:
        row = (
            o.project, o.fault, o.mode, str(o.exit_code), "yes" if o.fixed else "NO",
            "YES" if o.false_claim else "-", str(len(o.collateral)),
            str(len(o.user_files_changed)), str(o.paid_calls), f"{o.seconds:.1f}",
            str(int(_median(o.input_tokens_per_paid_call))) if o.paid_calls else "-",
        )  # fmt: skip
        print(" ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " " + o.note)


def main(
    argv: Sequence[str] | None = None,
    faults: Sequence[Fault] = FAULTS,
    mom_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", default="")
    parser.add_argument("--faults", default="")
    parser.add_argument("--modes", default="uncommitted,committed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--ladder",
        default=None,
        help='tiers mom may use, comma-separated (MOM_TIERS__DEFAULT); "" = the configured '
        "(default: rules, or the configured ladder with --scenario)",
    )
    parser.add_argument("--max-tier", default="", help="passed to mom")
    parser.add_argument(
        "--scenario", default="", choices=["", *SCENARIOS],
        help="semantic faults with the loopback strong model: "
        + "; ".join(f"{k}: {v}" for k, v in SCENARIOS.items()),
    )  # fmt: skip
    parser.add_argument("--json-dir", type=Path, default=None, help="keep mom's JSON per run")
    args = parser.parse_args(argv)
    global JSON_DIR
    JSON_DIR = args.json_dir
    pool = [*faults, *SEMANTIC_FAULTS]
    default = SEMANTIC_FAULTS if args.scenario else faults
    names = args.faults.split(",") if args.faults else [f.name for f in default]
    wanted = [f for f in pool if f.name in names]
    if not args.projects:
        semantic = ("cachetools", "iniconfig", "tomli")
        args.projects = ",".join(
            semantic if args.scenario else [p for p in PROJECTS if p not in semantic]
        )
    if args.ladder is None:
        args.ladder = "" if args.scenario else "rules"
    extra = [*mom_args, *(["--max-tier", args.max_tier] if args.max_tier else [])]
    env = dict(env or {})
    if args.ladder:
        env["MOM_TIERS__DEFAULT"] = json.dumps(args.ladder.split(","))
    outcomes = []
    for name in args.projects.split(","):
        project = PROJECTS[name]
        missing = [d for d in project.deps if not _importable(d)]
        if missing:
            print(f"skipping {name}: pip install {' '.join(missing)}", file=sys.stderr)
            continue
        baseline = lint_baseline(project)
        for fault in wanted:
            for mode in args.modes.split(","):
                outcome = run_one(
                    project, fault, mode, args.seed, baseline, extra, env, args.scenario
                )
                if outcome.exit_code == -1 and outcome.note == "no place to seed this fault":
                    continue  # this fault's site is in another project
                print(
                    f"{name} {fault.name} {mode}: exit {outcome.exit_code}, "
                    f"fixed={outcome.fixed}, {outcome.seconds:.1f}s {outcome.note}",
                    file=sys.stderr,
                )
                outcomes.append(outcome)
    print_table(outcomes)
    summary = summarise(outcomes)
    print(json.dumps({k: v for k, v in summary.items() if k != "outcomes"}))
    return summary


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    main()
