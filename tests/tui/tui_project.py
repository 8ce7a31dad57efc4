"""A tiny real Python project in a temp git repo, and a user config whose paid tiers are
loopback fakes (the real `openai`/`groq` SDKs talk to tests/fakes) with no local model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from git_repos import init_repo, tree_state

OPS = '"""Arithmetic."""\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n'
SLOW_TEST = (
    "import time\n\nfrom calc.ops import add\n\n\ndef test_add() -> None:\n"
    "    time.sleep(float(open('SLOW').read()) if __import__('os').path.exists('SLOW') else 0)\n"
    "    assert add(2, 3) == 5\n"
)
FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n\n'
    '[tool.ruff.lint]\nselect = ["E", "F"]\n',
    "calc/__init__.py": '"""calc."""\n',
    "calc/ops.py": OPS,
    "calc/more.py": '"""More."""\n\n\ndef one() -> int:\n    return 1\n',
    "tests/test_ops.py": SLOW_TEST,
    "NOTES.md": "notes\n",
}
USER_EDIT = b"notes\nmy own uncommitted line \xe2\x9c\x93"
REQUEST = "Add a function double(x) to calc/ops.py that returns x * 2"
REQUEST2 = "Add a function two() to calc/more.py that returns 2"
BAD_EDIT = """calc/ops.py
<<<<<<< SEARCH
    return a + b
=======
    return a - b


def double(x: int) -> int:
    return x * 2
>>>>>>> REPLACE
"""
GOOD_EDIT = """calc/ops.py
<<<<<<< SEARCH
    return a + b
=======
    return a + b


def double(x: int) -> int:
    return x * 2
>>>>>>> REPLACE
"""
GOOD_OPS = OPS + "\n\ndef double(x: int) -> int:\n    return x * 2\n"
MORE_EDIT = """calc/more.py
<<<<<<< SEARCH
    return 1
=======
    return 1


def two() -> int:
    return 2
>>>>>>> REPLACE
"""


def make_project(root: Path) -> Path:
    """The project committed, plus an unrelated uncommitted user edit in NOTES.md."""
    return init_repo(root, FILES, dirty={"NOTES.md": USER_EDIT})


__all__ = ["tree_state"]  # re-exported for the session tests


def write_config(path: Path, openai_url: str, anthropic_url: str, **cost: float) -> Path:
    """groq and deepseek at the loopback OpenAI-wire fake, haiku and sonnet at the
    Anthropic-wire fake; no local model, no Ollama."""
    data = {
        "local_models": {"embedded_model_path": str(path.parent / "no-such-model.gguf")},
        "routing": {"learn_from_outcomes": False},
        "validation": {"timeout_seconds": 120},
        "providers": {
            "ollama": {"base_url": "http://127.0.0.1:9"},
            "groq": {"base_url": openai_url, "timeout": 5},
            "deepseek": {"base_url": openai_url + "/v1", "timeout": 5},
            "anthropic": {"base_url": anthropic_url, "timeout": 5},
        },
    }
    if cost:
        data["cost"] = dict(cost)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@dataclass
class Paid:
    """The loopback fakes answering the paid tiers, and the config pointing at them."""

    openai: Any  # fakes.FakeServer (OpenAI wire: groq, deepseek)
    anthropic: Any  # fakes.FakeServer (Anthropic wire: haiku, sonnet)
    config: Path
