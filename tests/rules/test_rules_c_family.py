"""C, C++ and Java: a statement's missing `;` found by tree-sitter and added by a rule;
anything else is refused (found on pallets/markupsafe's `_speedups.c`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_helpers import fix_with, proposals

from mom_cli.rules.c_family import code_end
from mom_cli.validate.syntax import check_source

C_GOOD = (
    "#include <stdio.h>\n\nstatic int twice(int x) {\n"
    '\tprintf("http://x; %d\\n", x);  // say it\n\treturn x * 2;\n}\n'
)
JAVA_GOOD = (
    "class A {\n    int twice(int x) {\n        int y = x * 2;\n        return y;\n    }\n}\n"
)


def _first_error(rel: str, text: str, language: str):  # type: ignore[no-untyped-def]
    errors = check_source(rel, text.encode(), language)
    assert errors, text
    return errors[0]


@pytest.mark.parametrize(
    ("rel", "language", "good", "statement"),
    [
        ("m.c", "c", C_GOOD, "\treturn x * 2;"),
        ("m.c", "c", C_GOOD, '\tprintf("http://x; %d\\n", x);'),
        ("A.java", "java", JAVA_GOOD, "        int y = x * 2;"),
        ("A.java", "java", JAVA_GOOD, "        return y;"),
    ],
)
def test_a_missing_semicolon_is_put_back(
    tmp_path: Path, rel: str, language: str, good: str, statement: str
) -> None:
    broken = good.replace(statement, statement.removesuffix(";"), 1)
    assert broken != good
    diag = _first_error(rel, broken, language)
    assert fix_with("cfamily.missing_semicolon", diag, broken, tmp_path) == good
    assert "cfamily.missing_semicolon" in proposals(diag, broken, tmp_path)


def test_other_syntax_errors_are_refused(tmp_path: Path) -> None:
    broken = C_GOOD.replace("static int twice(int x) {", "static int twice(int x {")
    diag = _first_error("m.c", broken, "c")
    assert fix_with("cfamily.missing_semicolon", diag, broken, tmp_path) is None


def test_directives_in_an_initializer_are_not_syntax_errors(tmp_path: Path) -> None:
    """tree-sitter-c cannot parse `#ifdef` inside an initializer; the compiler can."""
    source = (
        "static int slots[] = {\n#ifdef A  // newer\n\t1,\n#endif\n\t0\n};\n"
        "int f(void) {\n\treturn 0\n}\n"
    )
    errors = check_source("m.c", source.encode(), "c")
    assert [(d.line, d.message) for d in errors] == [(8, "missing `;`")]
    fixed = fix_with("cfamily.missing_semicolon", errors[0], source, tmp_path)
    assert fixed == source.replace("return 0\n", "return 0;\n")


@given(st.text(alphabet='ab/*"\\ ;x', max_size=30))
def test_code_end_never_cuts_inside_a_string(line: str) -> None:
    end = code_end(line)
    assert 0 <= end <= len(line)
    assert line[end:].strip() == "" or line[end:].lstrip().startswith(("//", "/*"))
