"""parse_doctest_failure reads test-runner output, which is the project's: never crash,
always one line."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mom_cli.validate.doctest_failure import parse_doctest_failure

PIECES = st.sampled_from(
    [
        "001     >>> f(1)\n",
        "Expected:\n",
        "Got:\n",
        "    2\n",
        "\n",
        "UNEXPECTED EXCEPTION: ValueError('x')\n",
        "Traceback (most recent call last):\n",
        "ValueError: x\n",
        "/p/m.py:3: DocTestFailure\n",
        "/p/m.py:9: UnexpectedException\n",
    ]
)


@given(st.lists(st.one_of(PIECES, st.text(max_size=40)), max_size=12))
def test_any_output_gives_one_line_or_none(parts: list[str]) -> None:
    found = parse_doctest_failure("".join(parts))
    if found is not None:
        assert "\n" not in found.summary and found.summary.startswith("doctest")
        assert found.line >= 0
