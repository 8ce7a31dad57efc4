"""Failing JS tests traced to the function the change broke (js_trace): real node on temp
git repos. Before it, commander.js's broken `camelcase` (lib/option.js) made three steps,
one per failing test file, each asking to fix a test file."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from git_repos import commit_files, init_repo
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_cli.validate.detect import project_files
from mom_cli.validate.tests import _parse_any
from mom_cli.workflows.changed_code import js_imports
from mom_cli.workflows.fix_scope import changed_lines, find_base
from mom_cli.workflows.fix_steps import plan_steps
from mom_cli.workflows.model_step import build_prompt
from mom_cli.workflows.trace_targets import Span

OPTION = """function camelcase(str) {
  return str.split('-').reduce((str, word) => {
    return str + word[0].toUpperCase() + word.slice(1);
  });
}

function other() {
  return 1;
}

module.exports = { camelcase, other };
"""
INDEX = "const { camelcase } = require('./lib/option.js');\nexports.camelcase = camelcase;\n"
TEST = """const test = require('node:test');
const assert = require('node:assert');
const commander = require('..');

test('NAME', () => {
  assert.strictEqual(commander.camelcase('word-word'), 'wordWord');
});
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_failures_in_two_test_files_are_one_step_at_the_changed_function(
    tmp_path: Path,
) -> None:
    files = {
        "package.json": '{"name": "c", "main": "./index.js"}\n',
        "index.js": INDEX,
        "lib/option.js": OPTION,
        "tests/a.test.js": TEST.replace("NAME", "a"),
        "tests/b.test.js": TEST.replace("NAME", "b"),
    }
    repo = init_repo(tmp_path / "project", files)
    commit_files(repo, {"lib/option.js": OPTION.replace("word.slice(1)", "word.slice(2)")}, "tidy")
    out = subprocess.run(
        ["node", "--test", "--test-reporter=tap"], cwd=repo, capture_output=True, text=True
    ).stdout
    diags = _parse_any(out, repo)
    assert sorted(d.file for d in diags) == ["tests/a.test.js", "tests/b.test.js"]
    changed = changed_lines(repo, find_base(repo))
    [step] = plan_steps(diags, repo, project_files(repo), use_index=False, changed=changed)
    assert step.file == "lib/option.js"
    assert step.files == ["lib/option.js", "tests/a.test.js", "tests/b.test.js"]
    assert step.trace is not None and step.trace.targets == [
        Span("lib/option.js", "camelcase", 1, 5)
    ]
    prompt = build_prompt(step, repo)
    assert "word.slice(2)" in prompt and "```javascript" in prompt
    assert "function other" not in prompt


def test_relative_imports_resolve_folders_and_package_main(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "package.json").write_text('{"main": "./src/main.js"}')
    (tmp_path / "src/main.js").write_text("")
    (tmp_path / "src/index.ts").write_text("")
    (tmp_path / "tests/a.js").write_text(
        "require('..'); import x from '../src'; require('../../outside');\n"
    )
    assert js_imports(tmp_path, "tests/a.js") == {"src/main.js", "src/index.ts"}
    (tmp_path / "src/util.ts").write_text("")
    (tmp_path / "tests/c.test.ts").write_text("import { u } from '../src/util.js';\n")
    assert js_imports(tmp_path, "tests/c.test.ts") == {"src/util.ts"}  # TS's ESM convention
    (tmp_path / "src/package.json").write_text('{"main": "/etc/passwd"}')
    (tmp_path / "lib").symlink_to("/etc")
    (tmp_path / "tests/b.js").write_text("require('../src'); require('../lib/passwd');\n")
    assert js_imports(tmp_path, "tests/b.js") == {"src/index.ts"}


@given(st.lists(st.text(alphabet="./abjsoutide", max_size=16), max_size=6))
@settings(max_examples=150, deadline=None)
def test_imports_of_any_specifier_stay_inside_the_repository(specs: list[str]) -> None:
    """A repo's files are untrusted: no specifier resolves to a file outside it."""
    with tempfile.TemporaryDirectory() as tmp:
        outer = Path(tmp)
        root = outer / "repo"
        (root / "sub").mkdir(parents=True)
        for name in ("outside.js", "repo.js", "a.js"):
            (outer / name).write_text("")
        for name in ("a.js", "index.js", "sub/b.js", "sub/index.js"):
            (root / name).write_text("")
        (root / "sub/t.js").write_text("\n".join(f"require('{s}')" for s in specs))
        for rel in js_imports(root, "sub/t.js"):
            assert not rel.startswith(("/", "..")) and (root / rel).is_file()
            assert (root / rel).resolve().is_relative_to(root.resolve())
