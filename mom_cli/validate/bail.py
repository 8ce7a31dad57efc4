"""Does the project's test run stop at its first failure?

`mocha --bail` (expressjs/cookie-parser's `npm test`), `jest --bail` and a `.mocharc` with
`bail: true` end the run at the first failing test. When that test already failed at the
base, fix-build set it aside as not the change's, and the tests after it never ran: "tests
pass apart from one failing at the base" was a false pass over a change that broke
signedCookie. Read from the project's files only; nothing is run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_BAIL_FLAG = re.compile(r"(?:^|\s)--bail(?:=(?!0\b|false\b)\S+)?(?=\s|$|;|&)")
_MOCHA_SHORT = re.compile(r"\bmocha\b[^;&|]*\s-b(?=\s|$)")
_MOCHARC = (".mocharc.yml", ".mocharc.yaml", ".mocharc.json", ".mocharc.jsonc", ".mocharc.js")
_RC_BAIL = re.compile(r"""["']?\bbail["']?\s*[:=]\s*true\b""")


def bail_reason(root: Path) -> str:
    """What makes `npm test` stop at its first failure, e.g. "--bail in package.json's
    test script", or "" when nothing does (or it cannot tell)."""
    script = _test_script(root)
    if _BAIL_FLAG.search(script) or _MOCHA_SHORT.search(script):
        return "--bail in package.json's test script"
    for name in _MOCHARC:
        try:
            text = (root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if _RC_BAIL.search(text):
            return f"bail: true in {name}"
    return ""


def _test_script(root: Path) -> str:
    try:
        data = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    scripts = data.get("scripts") if isinstance(data, dict) else None
    test = scripts.get("test") if isinstance(scripts, dict) else None
    return test if isinstance(test, str) else ""
