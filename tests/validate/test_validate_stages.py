"""Each validator stage against real tools on temp projects."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from git_repos import ADD_TEST_JS, NODE_SCRIPT_PACKAGE, init_repo
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_cli.config import ValidationSection
from mom_cli.validate.jsfailures import parse_js_stack
from mom_cli.validate.pipeline import run_validation, validate_paths, validate_project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PKG = {
    "pyproject.toml": "[project]\nname = 'pkg'\nversion = '0'\n"
    "[tool.ruff.lint]\nselect = ['E', 'F']\n",
    "pkg/__init__.py": "",
    "pkg/a.py": "def one() -> int:\n    return 1\n",
    "pkg/b.py": "def two() -> int:\n    return 3\n",
    "tests/test_a.py": "from pkg.a import one\n\n\ndef test_one() -> None:\n"
    "    assert one() == 1\n",
    "tests/test_b.py": "from pkg import b\n\n\ndef test_two() -> None:\n    assert b.two() == 2\n",
}


@pytest.fixture
def pkg(make_repo: Callable[..., Path], add_venv: Callable[[Path], Path]) -> Path:
    repo = make_repo(PKG)
    add_venv(repo)
    return repo


def stage(result, name):  # type: ignore[no-untyped-def]
    return next(s for s in result.stages if s.name == name)


def test_python_build_imports_the_changed_modules(pkg: Path) -> None:
    (pkg / "pkg/a.py").write_text("import json\n\nVALUE = undefined_name\n")
    (pkg / "pkg/c.py").write_text("import not_installed_anywhere\n")
    result = validate_paths(
        pkg, ["pkg/a.py", "pkg/c.py"], config=ValidationSection(), stages=["build"]
    )
    build = stage(result, "build")
    assert not build.passed and "project venv" in build.tool_used
    [error] = build.errors
    assert (error.file, error.line) == ("pkg/a.py", 3) and "NameError" in error.message
    [warning] = [d for d in build.diagnostics if d.severity == "warning"]
    assert warning.file == "pkg/c.py" and "not installed" in warning.message


def test_affected_tests_first_then_full_suite(pkg: Path) -> None:
    (pkg / "pkg/a.py").write_text("def one() -> int:\n    return 1  # touched\n")
    quick = validate_paths(pkg, ["pkg/a.py"], config=ValidationSection(), stages=["tests"])
    tests = stage(quick, "tests")
    assert tests.passed and "tests/test_a.py" in tests.note and "test_b" not in tests.note
    full = validate_paths(
        pkg, ["pkg/a.py"], config=ValidationSection(full_tests=True), stages=["tests"]
    )
    [failure] = stage(full, "tests").diagnostics
    assert failure.code == "tests/test_b.py::test_two"
    assert (failure.file, failure.line) == ("tests/test_b.py", 5)
    assert "assert 3 == 2" in failure.message
    # changing b selects test_b through `from pkg import b`
    only_b = validate_paths(pkg, ["pkg/b.py"], config=ValidationSection(), stages=["tests"])
    assert [d.code for d in stage(only_b, "tests").diagnostics] == ["tests/test_b.py::test_two"]


def test_ruff_lint_and_ignored_codes(pkg: Path) -> None:
    (pkg / "pkg/a.py").write_text("import os\n\n\ndef one() -> int:\n    return 1\n")
    lint = stage(
        validate_paths(pkg, ["pkg/a.py"], config=ValidationSection(), stages=["lint"]), "lint"
    )
    [diag] = lint.diagnostics
    assert not lint.passed and (diag.code, diag.file, diag.line, diag.tool) == (
        "F401",
        "pkg/a.py",
        1,
        "ruff",
    )
    ignored = ValidationSection(ignore_lint_codes=["F4"])
    assert stage(validate_paths(pkg, ["pkg/a.py"], config=ignored, stages=["lint"]), "lint").passed


@pytest.mark.parametrize("preview", [False, True])
def test_ruff_codeless_findings_keep_their_rule_name(pkg: Path, preview: bool) -> None:
    """Only a parse error is "syntax": under preview, recent ruff gives both it and rules
    without a code yet `"code": null` (found on tox-dev/platformdirs)."""
    rules = "'E', 'F', 'pytest-fixture-autouse'" if preview else "'E', 'F'"
    (pkg / "pyproject.toml").write_text(
        PKG["pyproject.toml"].replace(
            "select = ['E', 'F']", f"preview = {str(preview).lower()}\nselect = [{rules}]"
        )
    )
    (pkg / "tests/test_a.py").write_text(
        "import pytest\n\n\n@pytest.fixture(autouse=True)\ndef _quiet() -> None:\n    return None\n"
    )
    (pkg / "pkg/a.py").write_text("def one( -> int:\n    return 1\n")
    paths = ["pkg/a.py", "tests/test_a.py"]
    lint = stage(validate_paths(pkg, paths, config=ValidationSection(), stages=["lint"]), "lint")
    assert "syntax" in {d.code for d in lint.diagnostics if d.file == "pkg/a.py"}
    in_tests = {d.code for d in lint.diagnostics if d.file == "tests/test_a.py"}
    assert in_tests == ({"pytest-fixture-autouse"} if preview else set())


def test_configured_command_wins_and_timeouts_fail(pkg: Path) -> None:
    cfg = ValidationSection(build_command="echo 'pkg/a.py:1:2: error: custom says no'; exit 1")
    build = stage(validate_paths(pkg, ["pkg/a.py"], config=cfg, stages=["build"]), "build")
    assert "(config)" in build.tool_used
    assert [(d.file, d.line, d.column, d.message) for d in build.diagnostics] == [
        ("pkg/a.py", 1, 2, "custom says no")
    ]
    slow = ValidationSection(build_command="sleep 20", timeout_seconds=1)
    timed = stage(validate_paths(pkg, ["pkg/a.py"], config=slow, stages=["build"]), "build")
    assert not timed.passed and "killed after" in timed.diagnostics[0].message


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_rust_benches_that_need_nightly_do_not_fail_a_stable_build(tmp_path: Path) -> None:
    """libtest benches (`#![feature(test)]`) are nightly-only; the project's `cargo test`
    does not build them, so they are no failure here (rapidfuzz/strsim-rs at HEAD)."""
    crate = init_repo(  # not the make_repo fixture: its HOME hides rustup's default toolchain
        tmp_path / "crate",
        {
            "Cargo.toml": '[package]\nname = "t"\nversion = "0.1.0"\nedition = "2021"\n',
            "src/lib.rs": "pub fn one() -> u32 {\n    1\n}\n",
            "benches/b.rs": "#![feature(test)]\nextern crate test;\n\n#[bench]\n"
            "fn b(bench: &mut test::Bencher) {\n    bench.iter(t::one);\n}\n",
        },
    )
    if "nightly" in subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout:
        pytest.skip("a nightly toolchain builds the bench")
    clean = validate_project(crate, config=ValidationSection(), stages=["build", "lint"])
    build = stage(clean, "build")
    assert build.passed and "nightly" in build.note and "nightly" in build.tool_used
    assert stage(clean, "lint").errors == []
    (crate / "src/lib.rs").write_text("pub fn one() -> u32 {\n    oen\n}\n")
    broken = stage(validate_project(crate, config=ValidationSection(), stages=["build"]), "build")
    assert [(d.file, d.code) for d in broken.errors] == [("src/lib.rs", "E0425")]


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_rust_build_tests_and_clippy(tmp_path: Path) -> None:
    crate = tmp_path / "shapes"
    shutil.copytree(EXAMPLES / "rust-shapes", crate)
    cfg = ValidationSection()
    broken = validate_project(crate, config=cfg)
    assert broken.not_run == ["tests", "lint"]
    [error] = stage(broken, "build").errors
    assert (error.file, error.line, error.code) == ("src/lib.rs", 30, "E0308")
    lib = crate / "src/lib.rs"
    lib.write_text(
        lib.read_text()
        .replace("        SQUARE_SIDES\n", "        self.side * self.side\n")
        .replace(
            "assert_eq!(Square { side: 3.0 }.area(), 9.0);",
            "assert_eq!(Square { side: 3.0 }.area(), 10.0);",
        )
        .replace("pub fn total_area", "#[allow(clippy::needless_return)]\npub fn total_area")
        .replace(
            "    shapes.iter().map(|s| s.area()).sum()\n",
            "    let unused_var = 1;\n    shapes.iter().map(|s| s.area()).sum()\n",
        )
    )
    result = validate_project(crate, config=cfg, early_exit=False)
    assert stage(result, "build").passed
    [failure] = stage(result, "tests").diagnostics
    assert failure.code == "tests::square_area" and failure.file == "src/lib.rs"
    assert "left: 9.0" in failure.message
    lint = stage(result, "lint")
    assert lint.passed and any(
        d.severity == "warning" and "unused" in d.message for d in lint.diagnostics
    )


def test_npm_test_failures_are_per_test(make_repo: Callable[..., Path]) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    repo = make_repo(
        {
            "package.json": '{"name": "t", "version": "1.0.0", '
            '"scripts": {"test": "node --test --test-reporter=tap"}}',
            "test/math.test.js": (
                "const test = require('node:test');\nconst assert = require('node:assert');\n"
                "test('adds', () => assert.strictEqual(1 + 1, 2));\n"
                "test('subtracts', () => assert.strictEqual(3 - 1, 1));\n"
            ),
        }
    )
    result = run_validation(repo, None, config=ValidationSection(), stages=["syntax", "tests"])
    assert stage(result, "syntax").passed
    tests = stage(result, "tests")
    assert not tests.passed and [d.code for d in tests.diagnostics] == ["subtracts"]


def test_npm_test_without_tap_names_the_failing_assertion(make_repo: Callable[..., Path]) -> None:
    """`"test": "node test/a.js"` prints a V8 stack, no TAP: the failure is where the stack
    enters the project, not "exit code 1: <the output's last line>" (lukeed/kleur, uvu)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    repo = make_repo(
        {
            "package.json": NODE_SCRIPT_PACKAGE,
            "index.js": "exports.add = (a, b) => a - b;\n",
            "test/a.js": ADD_TEST_JS,
        }
    )
    tests = stage(run_validation(repo, None, config=ValidationSection(), stages=["tests"]), "tests")
    [failure] = tests.diagnostics
    assert not tests.passed and (failure.file, failure.line) == ("test/a.js", 3)
    assert failure.message.startswith("AssertionError") and "-1 !== 5" in failure.message


UVU_OUTPUT = (
    "\x1b[1mtest/index.js\x1b[22m\n\x1b[90m• \x1b[31m✘ \x1b[39m  (1 / 2)\n\n"
    '  \x1b[1m\x1b[41m FAIL \x1b[22m\x1b[49m "codes"\n    ~> matches expected  (is)\n\n'
    "    at assert (ROOT/node_modules/uvu/assert/index.js:31:8)\n"
    "    at Object.handler (ROOT/test/index.js:19:10)\n"
    "    at Number.runner (ROOT/node_modules/uvu/dist/index.js:92:16)\n\n"
    '  FAIL  "elsewhere"\n    at Object.handler (/etc/passwd:1:1)\n'
)


def test_js_stack_failures_skip_dependencies_and_paths_outside_the_repo(tmp_path: Path) -> None:
    text = UVU_OUTPUT.replace("ROOT", str(tmp_path))
    [failure] = parse_js_stack(text, tmp_path)
    assert (failure.file, failure.line) == ("test/index.js", 19)
    assert failure.message == 'FAIL  "codes" ~> matches expected  (is)'


@given(st.text(max_size=400))
@settings(max_examples=150, deadline=None)
def test_js_stack_parsing_of_untrusted_output_never_leaves_the_repo(text: str) -> None:
    root = Path("/work/nonexistent-root")
    for d in parse_js_stack(text + "\n    at f (/work/nonexistent-root/t.js:1:1)\n", root):
        assert not d.file.startswith(("/", "..")) and "node_modules" not in d.file


@pytest.mark.skipif(shutil.which("go") is None, reason="go is not installed on this machine")
def test_go_build_and_test(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        {
            "go.mod": "module example.com/m\n\ngo 1.21\n",
            "m.go": "package m\n\nfunc Two() int { return 3 }\n",
            "m_test.go": 'package m\n\nimport "testing"\n\nfunc TestTwo(t *testing.T) {\n'
            '\tif Two() != 2 {\n\t\tt.Errorf("want 2")\n\t}\n}\n',
        }
    )
    result = validate_project(repo, config=ValidationSection(), early_exit=False)
    assert stage(result, "build").passed
    [failure] = stage(result, "tests").diagnostics
    assert failure.code == "TestTwo" and failure.file == "m_test.go"


def test_mixin_tests_run_by_several_classes_keep_their_class_in_the_id(
    make_repo: Callable[..., Path], add_venv: Callable[[Path], Path]
) -> None:
    """cachetools' mixins: one failing test method run by three TestCase classes is three
    failures with three ids, not one id printed three times."""
    mixin = (
        "import unittest\n\n\nclass Mixin:\n    def test_x(self):\n        assert 1 == 2\n\n\n"
        "class TestA(Mixin, unittest.TestCase):\n    pass\n\n\n"
        "class TestB(Mixin, unittest.TestCase):\n    pass\n"
    )
    repo = make_repo({"tests/test_m.py": mixin})
    add_venv(repo)
    result = validate_project(repo, config=ValidationSection(), stages=["tests"])
    assert sorted(d.code for d in result.diagnostics) == [
        "tests/test_m.py::TestA::test_x",
        "tests/test_m.py::TestB::test_x",
    ]


def test_a_project_without_tests_says_so_instead_of_passed(
    make_repo: Callable[..., Path], add_venv: Callable[[Path], Path]
) -> None:
    repo = make_repo({"six.py": "X = 1\n"})
    add_venv(repo)
    tests = stage(validate_project(repo, config=ValidationSection(), stages=["tests"]), "tests")
    assert tests.passed and tests.skipped and tests.note == "pytest collected no tests"
