"""Stage 1 with tree-sitter (every language) and compile() (Python)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mom_cli.validate.detect import detect_project, language_of
from mom_cli.validate.syntax import check_source, check_syntax

BROKEN = {
    "python": ("def add(a, b)\n    return a + b\n", 1),
    "rust": ("fn main() {\n    let x = ;\n}\n", 2),
    "javascript": ("function f( {\n  return 1;\n}\n", 1),
    "typescript": ("let x: number = ;\n", 1),
    "go": ("package main\n\nfunc main() {\n\tx := \n}\n", 4),
    "java": ("class A {\n  void f() { int x = ; }\n}\n", 2),
}
GOOD = {
    "python": "def add(a, b):\n    return a + b\n",
    "rust": 'fn main() { let x = 1; println!("{}", x); }\n',
    "javascript": "function f() { return 1; }\n",
    "typescript": "let x: number = 1;\n",
    "go": "package main\n\nfunc main() {}\n",
    "java": "class A { void f() { int x = 1; } }\n",
}


@pytest.mark.parametrize("language", sorted(BROKEN))
def test_broken_files_are_located(language: str) -> None:
    source, line = BROKEN[language]
    diags = check_source(f"f.{language}", source.encode(), language)
    assert diags and diags[0].severity == "error" and diags[0].stage == "syntax"
    assert diags[0].line == line and diags[0].column >= 1


@pytest.mark.parametrize("language", sorted(GOOD))
def test_good_files_are_clean(language: str) -> None:
    assert check_source("f", GOOD[language].encode(), language) == []


def test_python_message_comes_from_compile() -> None:
    [diag] = check_source("calc.py", b"def add(a, b)\n    return a + b\n", "python")
    assert diag.message == "SyntaxError: expected ':'" and (diag.line, diag.column) == (1, 14)


def test_compile_only_errors_are_warnings() -> None:
    [diag] = check_source("m.py", b"return 1\n", "python")
    assert diag.severity == "warning" and "'return' outside function" in diag.message


def test_check_syntax_skips_unknown_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# not code (\n")
    (tmp_path / "bad.py").write_text("x = (\n")
    diags = check_syntax(tmp_path, ["notes.md", "bad.py", "deleted.py"])
    assert [d.file for d in diags] == ["bad.py"]


def test_detect_project_kinds(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text("[package]\n")
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "package.json").write_text('{"devDependencies": {"typescript": "5"}}')
    assert detect_project(tmp_path).kinds == ["rust", "typescript", "python"]
    assert detect_project(tmp_path / "nothing", ["x.go"]).kinds == ["go"]
    assert language_of("a/b.TSX") == "tsx"
