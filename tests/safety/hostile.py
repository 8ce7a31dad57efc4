"""Fixtures for the safety tests: a hostile model (a loopback server speaking the OpenAI
wire format, driven through the real `openai` SDK, answering whatever the test scripts)
and a small real Python project in a git repo for it to attack."""

from __future__ import annotations

import sys
from pathlib import Path

import tomli_w

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared loopback fakes

from fakes import FakeServer, OpenAIWire, Reply  # noqa: E402
from git_repos import init_repo  # noqa: E402

SECRET = "sk-hostile-test-0123456789-SECRET"
TIERS = ("default", "simple_edit", "refactor", "architecture", "critical")
OPS = '"""Arithmetic."""\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n'
FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n\n'
    '[tool.ruff.lint]\nselect = ["E", "F"]\n',
    "calc/__init__.py": '"""calc."""\n',
    "calc/ops.py": OPS,
    "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add() -> None:\n"
    "    assert add(2, 3) == 5\n",
}
REQUEST = "Add a function double(x) to calc/ops.py that returns x * 2"

__all__ = ["FakeServer", "OpenAIWire", "Reply", "SECRET"]


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True)
    return init_repo(path, {**FILES, **(files or {})})


def user_config(path: Path, server_url: str, **extra: object) -> Path:
    """The user's own (trusted) config: every ladder is the deepseek tier, which the
    hostile server plays, and the key comes from DEEPSEEK_API_KEY."""
    doc: dict[str, object] = {
        "tiers": {name: ["deepseek"] for name in TIERS},
        "providers": {
            "deepseek": {"base_url": server_url + "/v1", "timeout": 20},
            "ollama": {"base_url": "http://127.0.0.1:9"},
        },
        "validation": {"enable_lint_check": False},
        **extra,
    }
    path.write_text(tomli_w.dumps(doc))
    return path


def edit_reply(path: str, search: str, replace: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def whole_file_reply(path: str, content: str) -> str:
    return edit_reply(path, "", content)
