"""The lint stage's eslint runner: exit 2 is "could not lint", never "clean"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mom_cli.config import ValidationSection
from mom_cli.validate.pipeline import validate_project

# eslint 7 under node 20 in expressjs/cookie-parser: it crashes while loading its
# plugins, prints this on stderr, nothing on stdout, and exits 2.
CRASH = """#!/bin/sh
echo 'Oops! Something went wrong! :(' >&2
echo '' >&2
echo 'ESLint: 7.32.0' >&2
echo '' >&2
echo 'SyntaxError: Cannot use import statement outside a module' >&2
echo '    at new Script (node:vm:117:7)' >&2
exit 2
"""
CLEAN = "#!/bin/sh\necho '[]'\nexit 0\n"


def _project(make_repo: Callable[..., Path], eslint: str) -> Path:
    repo = make_repo(
        {
            "package.json": '{"name": "p"}\n',
            ".eslintrc.yml": "root: true\n",
            ".gitignore": "node_modules/\n",
            "index.js": "module.exports = 1\n",
        }
    )
    tool = repo / "node_modules" / ".bin" / "eslint"
    tool.parent.mkdir(parents=True)
    tool.write_text(eslint)
    tool.chmod(0o755)
    return repo


def test_an_eslint_that_crashes_is_reported_not_read_as_clean(
    make_repo: Callable[..., Path],
) -> None:
    """Its empty stdout read as "no findings". It is a warning that says why, not an error:
    a linter its environment broke is no finding a change made or could fix."""
    repo = _project(make_repo, CRASH)
    result = validate_project(repo, config=ValidationSection(), early_exit=False)
    lint = next(s for s in result.stages if s.name == "lint")
    assert lint.passed and not lint.skipped and lint.note == "1 warning(s)"
    [diag] = lint.diagnostics
    assert diag.severity == "warning"
    assert diag.message == (
        "eslint could not run (exit code 2): "
        "SyntaxError: Cannot use import statement outside a module"
    )


def test_an_eslint_with_no_findings_passes(make_repo: Callable[..., Path]) -> None:
    repo = _project(make_repo, CLEAN)
    result = validate_project(repo, config=ValidationSection(), early_exit=False)
    lint = next(s for s in result.stages if s.name == "lint")
    assert lint.passed and not lint.skipped
