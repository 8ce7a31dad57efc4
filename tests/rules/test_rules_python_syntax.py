"""Each Python syntax rule on CPython 3.11's real messages, and the cases it must refuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from rules_helpers import fix_with, proposals

from mom_cli.rules.python_syntax import first_error
from mom_cli.validate.diagnostics import Diagnostic

CASES = [
    ("python.missing_colon", "def add(a, b)\n    return a + b\n", "def add(a, b):\n"),
    ("python.missing_colon", "if x  # note\n    pass\n", "if x:  # note\n"),
    ("python.missing_colon", "def f(a,\n      b)\n    return 1\n", "      b):\n"),
    ("python.unclosed_bracket", "def f(x):\n    y = g(x, 1\n    return y\n", "g(x, 1)\n"),
    ("python.unclosed_bracket", "x = f(\n    a,\n    b,\ny = 2\n", "    b,)\n"),
    ("python.unclosed_bracket", "x = {'a': 1\ny = 3\n", "x = {'a': 1}\n"),
    ("python.mismatched_bracket", "x = (1, 2]\n", "x = (1, 2)\n"),
    ("python.stray_indent", "def f():\n    a = 1\n        b = 2\n    return a\n", "\n    b = 2\n"),
    (
        "python.bad_unindent",
        "def f(a):\n    if a:\n        b = 1\n      c = 2\n    return 1\n",
        "\n        c = 2\n",
    ),
    ("python.expected_indent", "def f():\nreturn 1\n", "def f():\n    return 1\n"),
    ("python.missing_comma", "x = [1, 2 3]\n", "x = [1, 2, 3]\n"),
    ("python.missing_comma", "x = {'a': 1 'b': 2}\n", "x = {'a': 1, 'b': 2}\n"),
    ("python.missing_comma", "x = [\n    1,\n    2\n    3,\n]\n", "    2,\n"),
    ("python.unterminated_string", "x = 'abc\ny = 2\n", "x = 'abc'\n"),
    ("python.unterminated_string", "f('abc, 1)\n", "f('abc', 1)\n"),
    # not `print('hello', world)`: closing early would invent an undefined name
    ("python.unterminated_string", "print('hello, world)\n", "print('hello, world')\n"),
]


def _diag(stage: str = "syntax") -> Diagnostic:
    return Diagnostic(stage, "m.py", 1, "SyntaxError: invalid syntax", code="SyntaxError")


@pytest.mark.parametrize(("rule", "source", "expect"), CASES)
def test_rule_fixes_the_fault(rule: str, source: str, expect: str, tmp_path: Path) -> None:
    assert first_error(source) is not None
    fixed = fix_with(rule, _diag(), source, tmp_path)
    assert fixed is not None, f"{rule} refused"
    assert expect in fixed
    assert first_error(fixed) is None


def test_only_one_rule_claims_each_fault(tmp_path: Path) -> None:
    for rule, source, _ in CASES:
        assert proposals(_diag(), source, tmp_path) == [rule]


@pytest.mark.parametrize(
    "source",
    [
        "x = '''never closed\ny = 2\n",  # where a triple-quoted string ends is a guess
        "def f(a b):\n    pass\n",  # plain "invalid syntax": no implied edit
        "def f(a):\n    return a < 1\n",  # compiles: a flipped comparison is not syntax
        "def f(xs):\n    return xs[len(xs)]\n",  # off-by-one: not syntax either
    ],
)
def test_syntax_rules_refuse(source: str, tmp_path: Path) -> None:
    assert proposals(_diag(), source, tmp_path) == []


def test_lint_stage_message_still_reaches_the_rule(tmp_path: Path) -> None:
    diag = Diagnostic("lint", "m.py", 1, "Expected `:`, found newline", code="invalid-syntax")
    assert proposals(diag, "class A\n    pass\n", tmp_path) == ["python.missing_colon"]


def test_non_python_file_is_ignored(tmp_path: Path) -> None:
    diag = Diagnostic("syntax", "m.rs", 1, "expected ':'")
    assert proposals(diag, "def add(a, b)\n    return a\n", tmp_path) == []


def test_ruffs_expected_closer_is_inserted_where_it_says(tmp_path: Path) -> None:
    """jaraco.functools' stub: `def clamp(value: int, high: int -> int: ...` compiles to a
    bare "invalid syntax"; ruff's "Expected `)`, found `->`" names the token and place."""
    good = "def clamp(value: int, high: int) -> int: ...\n"
    bad = good.replace("int) ->", "int ->")
    diag = Diagnostic(
        "lint", "m.pyi", 1, "Expected `)`, found `->`", column=33, code="invalid-syntax"
    )
    assert fix_with("python.expected_closer", diag, bad, tmp_path) == good
    wrong_place = Diagnostic("lint", "m.pyi", 1, "Expected `)`, found `->`", column=5)
    assert fix_with("python.expected_closer", wrong_place, bad, tmp_path) is None
