"""A module the project's interpreter lacks is an install, not a code fix."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.missing_packages import failures_of, missing_packages


def failure(module: str, file: str = "tests/test_a.py", severity: str = "error") -> Diagnostic:
    message = f"error in tests.test_a: ModuleNotFoundError: No module named '{module}'"
    return Diagnostic("tests", file, 3, message, severity, 0, "", "pytest")


def test_a_third_party_module_is_missing_once_with_its_importers(tmp_path: Path) -> None:
    (tmp_path / "src/pkg").mkdir(parents=True)
    build = Diagnostic(
        "build", "src/pkg/io.py", 5, "import pkg.io: ModuleNotFoundError: No module named "
        "'yaml' (not installed in the interpreter used)", "warning", 0, "", "python",
    )  # fmt: skip
    diags = [failure("yaml"), failure("yaml", "tests/test_b.py"), build, build]
    [missing] = missing_packages(diags, tmp_path)
    assert missing.module == "yaml" and len(missing.failures) == 2
    assert missing.importers == ["src/pkg/io.py:5"]
    hint = missing.hint(".venv/bin/python")
    assert "`.venv/bin/python -m pip install PyYAML`" in hint and "2 failure(s)" in hint
    assert failures_of([missing]) == {id(diags[0]), id(diags[1])}


def test_own_stdlib_and_misspelt_modules_are_code_faults(tmp_path: Path) -> None:
    (tmp_path / "src/mypkg").mkdir(parents=True)
    (tmp_path / "helpers.py").write_text("")
    diags = [
        failure("mypkg.missing_sub"),  # the project's own package: code can fix it
        failure("helpers"),
        failure("jsno"),  # a typo of json
        failure("mypkgg"),  # a typo of the project's package
        failure("tomllib"),  # stdlib (a Python version problem, not a pip install)
        failure("frobnicate_lib", severity="warning"),  # a warning alone fails nothing
    ]
    assert missing_packages(diags, tmp_path) == []
    # real packages whose names sit near the standard library's are still packages
    assert [p.module for p in missing_packages([failure("lxml"), failure("toml")], tmp_path)] == [
        "lxml",
        "toml",
    ]


@given(st.text(max_size=300))
def test_any_message_is_read_without_error(message: str) -> None:
    d = Diagnostic("tests", "t.py", 1, message, "error", 0, "", "pytest")
    for p in missing_packages([d], Path("/nonexistent")):
        assert p.module.isidentifier() and p.failures == [d]


def test_a_test_module_that_imports_it_is_named_as_an_importer(tmp_path: Path) -> None:
    """itsdangerous without freezegun: the hint said only "2 failure(s) come from it";
    the failing test modules' own import lines are where it is imported."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_a.py").write_text("import os\n\nfrom freezegun import freeze_time\n")
    (tmp_path / "tests/test_b.py").write_text("import os\n\nx = 1\n")  # line 3 imports nothing
    diags = [failure("freezegun"), failure("freezegun", "tests/test_b.py")]
    [missing] = missing_packages(diags, tmp_path)
    assert missing.importers == ["tests/test_a.py:3"]
    assert "(imported at tests/test_a.py:3)" in missing.hint("python")
