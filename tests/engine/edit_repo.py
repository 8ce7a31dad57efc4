"""A tiny real Python project in a temp git repo, and scripted edits for it."""

from __future__ import annotations

from pathlib import Path

from fakes.scripted import ScriptedCaller
from git_repos import git, init_repo, tree_state

from mom_cli.config import MomConfig, load_config

OPS = '"""Arithmetic."""\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n'
FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n\n'
    '[tool.ruff.lint]\nselect = ["E", "F"]\n',
    "calc/__init__.py": '"""calc."""\n',
    "calc/ops.py": OPS,
    "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add() -> None:\n"
    "    assert add(2, 3) == 5\n",
    "NOTES.md": "notes\n",
}
REQUEST = "Add a function double(x) to calc/ops.py that returns x * 2"
# Breaks test_add: the tests stage fails, the step must be rolled back.
BAD_EDIT = """calc/ops.py
<<<<<<< SEARCH
    return a + b
=======
    return a - b


def double(x: int) -> int:
    return x * 2
>>>>>>> REPLACE
"""
GOOD_EDIT = """Here is the change:

calc/ops.py
<<<<<<< SEARCH
    return a + b
=======
    return a + b


def double(x: int) -> int:
    return x * 2
>>>>>>> REPLACE
"""
GOOD_OPS = OPS + "\n\ndef double(x: int) -> int:\n    return x * 2\n"
USER_EDIT = b"notes\nmy own uncommitted line \xe2\x9c\x93 no newline"
# deepseek and haiku answer here: the selector starts a code step on deepseek (cheapest
# adequate) and can climb to haiku; nothing above that.
UNAVAILABLE = {
    "ollama-coder": "no server at http://127.0.0.1:11434",
    "groq-llama": "GROQ_API_KEY not set",
    "sonnet": "daily quota used up (0/0 requests today)",
}
# Only the embedded model: a local-only ladder, as on a machine with no keys.
LOCAL_ONLY = {
    **UNAVAILABLE,
    "deepseek-chat": "DEEPSEEK_API_KEY not set",
    "haiku": "ANTHROPIC_API_KEY not set",
}


def make_repo(root: Path) -> Path:
    """The project committed, plus an unrelated uncommitted user edit in NOTES.md."""
    return init_repo(root, FILES, dirty={"NOTES.md": USER_EDIT})


__all__ = ["git", "tree_state"]  # re-exported for the engine tests


def config(**validation: object) -> MomConfig:
    cfg = load_config(environ={}).config
    cfg.validation.timeout_seconds = 120
    for key, value in validation.items():
        setattr(cfg.validation, key, value)
    return cfg


def caller(cfg: MomConfig, unavailable: dict[str, str] | None = None) -> ScriptedCaller:
    return ScriptedCaller(
        cfg, unavailable=dict(UNAVAILABLE if unavailable is None else unavailable)
    )
