"""Helpers for the index tests: real git repos in tmp dirs, sample sources."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def write(repo: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


SAMPLE_PY = {
    "app/http.py": (
        "import json\n\n"
        "from app.retry import RetryPolicy\n\n\n"
        "class HttpClient:\n"
        "    def fetch_page(self, url):\n"
        "        policy = RetryPolicy(3)\n"
        "        return policy.run(lambda: json.loads(url))\n"
    ),
    "app/retry.py": (
        "MAX_ATTEMPTS = 5\n\n\n"
        "class RetryPolicy:\n"
        "    def __init__(self, attempts):\n"
        "        self.attempts = attempts\n\n"
        "    def run(self, call):\n"
        "        for _ in range(self.attempts):\n"
        "            return call()\n\n\n"
        "def backoff_delay(attempt):\n"
        "    return 2 ** attempt\n"
    ),
    "app/cli.py": (
        "from app.http import HttpClient\n\n\ndef main():\n    HttpClient().fetch_page('x')\n"
    ),
    "README.md": "# sample\n",
}
