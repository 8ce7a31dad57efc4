"""Sample sources for the index tests (temp repos come from tests/git_repos.py)."""

from __future__ import annotations

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
