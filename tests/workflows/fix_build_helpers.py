"""A small real Python project (package + pytest suite + ruff config) with seeded faults."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fakes.scripted import ScriptedProvider
from fakes.tiers import LoopbackTiers
from git_repos import init_repo

from mom_cli.config import load_config
from mom_cli.ledger.store import Ledger, LedgerEntry
from mom_cli.providers.pool import ProviderPool
from mom_cli.workflows.fix_build import FixBuild, FixBuildResult

__all__ = ["ScriptedProvider"]  # the shared in-process embedded model

OPS = '''"""Arithmetic on two numbers."""


def add(a: float, b: float) -> float:
    return a + b


def subtract(a: float, b: float) -> float:
    return (a - b)


def multiply(a: float, b: float) -> float:
    product = a * b
    return product


def divide(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError("divide by zero")
    quotient = a / b
    return quotient
'''
STATS = '''"""Summaries of a list of numbers."""


def mean(values: list[float]) -> float:
    if not values:
        raise ValueError("mean of an empty list")
    return sum(values) / len(values)
'''
FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n\n'
    '[tool.ruff.lint]\nselect = ["E", "F"]\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "README.md": "calc\n",
    "calc/__init__.py": '"""calc."""\n\nfrom calc.ops import add, divide, multiply, subtract\n'
    'from calc.stats import mean\n\n__all__ = ["add", "divide", "mean", "multiply", "subtract"]\n',
    "calc/ops.py": OPS,
    "calc/stats.py": STATS,
    "tests/test_ops.py": "from calc.ops import add, divide, multiply, subtract\n\n\n"
    "def test_ops() -> None:\n    assert add(2, 3) == 5\n    assert subtract(5, 3) == 2\n"
    "    assert multiply(4, 2.5) == 10\n    assert divide(9, 3) == 3\n",
    "tests/test_stats.py": "from calc.stats import mean\n\n\n"
    "def test_mean() -> None:\n    assert mean([1, 2, 3, 4]) == 2.5\n    assert mean([7]) == 7\n",
}
FIVE_FAULTS = {
    "calc/ops.py": [
        ("def add(a: float, b: float) -> float:", "def add(a: float, b: float) -> float"),
        ("    return (a - b)\n", "    return (a - b\n"),
        ("    return product\n", "        return product\n"),
        ("    return quotient\n", "    return quoteint\n"),
    ],
    "calc/stats.py": [('"""\n\n\ndef mean', '"""\n\nimport os\n\n\ndef mean')],
}
LOGIC_BUG = {"calc/stats.py": [("/ len(values)", "/ (len(values) - 1)")]}
GOOD_MEAN_EDIT = """calc/stats.py
<<<<<<< SEARCH
    return sum(values) / (len(values) - 1)
=======
    return sum(values) / len(values)
>>>>>>> REPLACE
"""


def make_project(root: Path, *faults: dict[str, list[tuple[str, str]]]) -> Path:
    """The project with `faults` seeded and committed, as a broken build would be (the
    user's own uncommitted edits are added by each test)."""
    files = dict(FILES)
    for fault in faults:
        for rel, swaps in fault.items():
            for old, new in swaps:
                assert old in files[rel], (rel, old)
                files[rel] = files[rel].replace(old, new, 1)
    return init_repo(root, files, message="broken build")


def trust_embedded(ledger: Ledger) -> None:
    """A record of one validated failing-test fix by the embedded model: without it the
    climb skips that model for failing tests (climb_policy)."""
    ledger.record(
        LedgerEntry("embedded", "smollm2", "s", "local", "", 1, 1, 0.0, 1.0, "validated",
                    category="fix:tests")
    )  # fmt: skip


def run_with_tiers(
    repo: Path, ledger: Ledger, tiers: LoopbackTiers, extra: dict[str, Any] | None = None
) -> FixBuildResult:
    """fix-build on `repo` through a real ProviderPool whose paid tiers are the loopback
    servers (real SDKs); `extra` is merged into the config overrides."""
    cfg = load_config(repo, overrides=tiers.overrides() | (extra or {})).config

    async def go() -> FixBuildResult:
        pool = ProviderPool(cfg, ledger)
        try:
            return await FixBuild(repo, cfg, caller=pool, ledger=ledger, run_id="r1").run()
        finally:
            await pool.aclose()

    return asyncio.run(go())
