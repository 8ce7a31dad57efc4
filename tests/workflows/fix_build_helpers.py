"""A small real Python project (package + pytest suite + ruff config) with seeded faults."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

from mom_cli.config import ModelConfig
from mom_cli.ledger.store import Ledger, LedgerEntry
from mom_cli.providers.base import Availability, Capabilities, CompletionRequest

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
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for fault in faults:
        for rel, swaps in fault.items():
            text = (root / rel).read_text()
            for old, new in swaps:
                assert old in text, (rel, old)
                text = text.replace(old, new, 1)
            (root / rel).write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "broken build"], cwd=root, check=True)
    return root


def trust_embedded(ledger: Ledger) -> None:
    """A record of one validated failing-test fix by the embedded model: without it the
    climb skips that model for failing tests (climb_policy)."""
    ledger.record(
        LedgerEntry("embedded", "smollm2", "s", "local", "", 1, 1, 0.0, 1.0, "validated",
                    category="fix:tests")
    )  # fmt: skip


class ScriptedProvider:
    """An embedded-provider stand-in that answers from a script and counts calls."""

    name = "embedded"
    capabilities = Capabilities(streaming=False, paid=False)

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []

    def availability(self, model: ModelConfig | None = None) -> Availability:
        return Availability(True, "", ("in-process",))

    async def complete(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> tuple[str, int, int, str]:
        prompt = "\n".join(m.content for m in request.messages)
        self.prompts.append(prompt)
        reply = self.replies.pop(0) if self.replies else "I cannot help."
        return reply, len(prompt) // 4, len(reply) // 4, "stop"

    async def stream(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> AsyncIterator[str]:
        yield (await self.complete(request, model, endpoint))[0]

    async def aclose(self) -> None:
        return None
