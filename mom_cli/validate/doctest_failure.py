"""What a failed doctest says, out of pytest's report of it.

pytest reports a doctest failure as a numbered excerpt of the docstring, then either
`Expected:`/`Got:` or `UNEXPECTED EXCEPTION:` with a traceback, and last
`/abs/path.py:LINE: DocTestFailure` (or `UnexpectedException`). Its JUnit message is the
excerpt's first line ("640 "), which told neither a developer nor a model what failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WHERE = re.compile(r"^(?P<path>\S+):(?P<line>\d+): (?:DocTestFailure|UnexpectedException)$", re.M)
_EXAMPLE = re.compile(r"^\d+\s+>>> (?P<source>.*)$", re.M)
_EXPECTED = re.compile(
    r"^Expected:\n(?P<want>.*?)\nGot:\n(?P<got>.*?)(?:\n\n|\n(?=\S)|\Z)", re.M | re.S
)
_LIMIT = 120  # per quoted part: the summary is one line


@dataclass(frozen=True)
class DoctestFailure:
    path: str  # as pytest printed it (absolute)
    line: int  # the failing example's line in that file
    summary: str  # "doctest `add(1, 2)` expected 4, got 3"


def parse_doctest_failure(text: str) -> DoctestFailure | None:
    """The failed example and its outcome, when `text` is pytest's doctest report."""
    matches = list(_WHERE.finditer(text))
    if not matches:
        return None
    where = matches[-1]
    examples = _EXAMPLE.findall(text[: where.start()])
    source = _short(examples[-1]) if examples else ""
    head = f"doctest `{source}`" if source else "doctest"
    expected = _EXPECTED.search(text)
    if expected is not None:
        outcome = f"expected {_short(expected['want'])}, got {_short(expected['got'])}"
    else:
        outcome = f"raised {_exception(text[: where.start()])}"
    return DoctestFailure(where["path"], int(where["line"]), f"{head} {outcome}")


def _exception(text: str) -> str:
    """The traceback's last unindented line ("NameError: name 'x' is not defined"), else
    the exception's repr from the `UNEXPECTED EXCEPTION:` line."""
    marker = text.rfind("UNEXPECTED EXCEPTION: ")
    if marker < 0:
        return "an error"
    first, *rest = text[marker:].splitlines()
    last = [ln for ln in rest if ln and not ln[0].isspace() and not ln.startswith("Traceback")]
    return _short(last[-1] if last else first.removeprefix("UNEXPECTED EXCEPTION: "))


def _short(text: str) -> str:
    one = " ".join(text.split())
    return one if len(one) <= _LIMIT else one[: _LIMIT - 1] + "…"
