"""Layouts and configs real projects have: src/ packages, no ruff config of their own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mom_cli.config import ValidationSection
from mom_cli.validate.pipeline import validate_paths, validate_project


def test_src_layout_tests_import_the_package_without_install(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n',
            "src/pkg/__init__.py": "def double(x):\n    return 2 * x\n",
            "tests/test_pkg.py": "from pkg import double\n\n\ndef test_double():\n"
            "    assert double(2) == 4\n",
        }
    )
    result = validate_project(repo, config=ValidationSection(), early_exit=False)
    tests = next(s for s in result.stages if s.name == "tests")
    assert tests.passed, result.prompt_text()


def test_project_without_ruff_config_gets_only_fault_rules(make_repo: Callable[..., Path]) -> None:
    style_only = "class A(object):\n    values = dict()\n"
    repo = make_repo({"pyproject.toml": '[project]\nname = "p"\n', "p.py": style_only})
    lint = validate_paths(repo, ["p.py"], config=ValidationSection(), stages=["lint"])
    assert lint.passed, lint.prompt_text()
    (repo / "p.py").write_text("import os\n" + style_only)
    unused = validate_paths(repo, ["p.py"], config=ValidationSection(), stages=["lint"])
    assert not unused.passed
    assert [d.code for d in unused.diagnostics] == ["F401"]


def test_project_ruff_config_is_obeyed(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "p"\n\n[tool.ruff.lint]\nselect = ["UP"]\n',
            "p.py": "class A(object):\n    pass\n",
        }
    )
    lint = validate_paths(repo, ["p.py"], config=ValidationSection(), stages=["lint"])
    assert not lint.passed
    assert [d.code for d in lint.diagnostics] == ["UP004"]


def test_tests_importing_by_string_are_affected(make_repo: Callable[..., Path]) -> None:
    """A test that imports a not-yet-written module with importorskip still judges it."""
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "app"\n',
            "app/__init__.py": "",
            "tests/test_version.py": "import pytest\n\n\ndef test_version():\n"
            '    mod = pytest.importorskip("app.version")\n    assert mod.VERSION == "1.0"\n',
        }
    )
    (repo / "app" / "version.py").write_text('VERSION = "0.9"\n')
    wrong = validate_paths(repo, ["app/version.py"], config=ValidationSection(), stages=["tests"])
    assert not wrong.passed, wrong.prompt_text()
    (repo / "app" / "version.py").write_text('VERSION = "1.0"\n')
    right = validate_paths(repo, ["app/version.py"], config=ValidationSection(), stages=["tests"])
    assert right.passed, right.prompt_text()


DOCTESTS = '''def add(a, b):
    """
    >>> add(1, 2)
    4
    """
    return a + b


def boom():
    """
    >>> x = 1
    >>> boom_helper()
    1
    """
'''


def test_a_failing_doctest_says_which_example_and_what_went_wrong(
    make_repo: Callable[..., Path],
) -> None:
    """jaraco.functools (`--doctest-modules`): a doctest's failure was reported as
    "failed jaraco.functools.splat: 640 " at its docstring's first line, the message
    being the first line of pytest's numbered source excerpt."""
    repo = make_repo(
        {
            "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
            "pkg/__init__.py": "",
            "pkg/m.py": DOCTESTS,
        }
    )
    result = validate_project(repo, config=ValidationSection(), stages=["tests"])
    found = {d.code: (d.file, d.line, d.message) for d in result.diagnostics}
    assert found == {
        "pkg/m.py::pkg.m.add": (
            "pkg/m.py",
            3,
            "failed pkg.m.add: doctest `add(1, 2)` expected 4, got 3",
        ),
        "pkg/m.py::pkg.m.boom": (
            "pkg/m.py",
            12,
            "failed pkg.m.boom: doctest `boom_helper()` raised "
            "NameError: name 'boom_helper' is not defined",
        ),
    }


def test_a_linter_mom_does_not_run_is_named_not_called_absent(
    make_repo: Callable[..., Path],
) -> None:
    """vercel/ms lints with biome: `mom validate` said "no linter configured"."""
    repo = make_repo(
        {
            "package.json": '{"name": "p"}\n',
            "biome.json": "{}\n",
            "src/a.js": "export const a = 1;\n",
        }
    )
    [lint] = validate_project(repo, config=ValidationSection(), stages=["lint"]).stages
    assert (
        lint.skipped
        and lint.note == "the project lints with biome (biome.json), which mom does not run"
    )


def test_a_test_package_is_not_imported_as_a_top_level_module(
    make_repo: Callable[..., Path],
) -> None:
    """pallets/itsdangerous keeps its tests in a package, tests/test_itsdangerous/: every
    `mom validate` warned "import test_itsdangerous: No module named 'test_itsdangerous'
    (not installed in the interpreter used)", for a folder pytest imports its own way."""
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n',
            "src/pkg/__init__.py": "def double(x):\n    return 2 * x\n",
            "tests/test_pkg/__init__.py": "",
            "tests/test_pkg/helpers.py": "VALUE = 2\n",
            "tests/test_pkg/test_double.py": "from pkg import double\n\n\n"
            "def test_double():\n    assert double(2) == 4\n",
        }
    )
    result = validate_project(repo, config=ValidationSection(), early_exit=False)
    build = next(s for s in result.stages if s.name == "build")
    assert build.diagnostics == [], result.prompt_text()


def test_one_broken_import_is_one_build_error_not_one_per_module(
    make_repo: Callable[..., Path],
) -> None:
    """sqlparse with `remove_quotes` deleted from utils.py while sql.py still imports it:
    the package's __init__ imports sql.py, so importing each of its 21 modules failed at
    the same line, and fix-build listed 21 build errors (and sent them all to the model)
    for one cause. The same failure at the same place is one diagnostic."""
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n',
            "pkg/__init__.py": "from pkg import a, b, c\n",
            "pkg/util.py": "def kept():\n    return 1\n",
            "pkg/a.py": "from pkg.util import gone\n",
            "pkg/b.py": "B = 2\n",
            "pkg/c.py": "C = 3\n",
        }
    )
    result = validate_project(repo, config=ValidationSection(), early_exit=False)
    build = next(s for s in result.stages if s.name == "build")
    [error] = build.diagnostics
    assert (error.file, error.line, error.code) == ("pkg/a.py", 1, "ImportError")
    assert "cannot import name 'gone'" in error.message
    assert "other module(s) that import it" in error.message
