"""A failing test the tracer cannot read (JS, Rust) leads its step's prompt with what the
change touched in the files the test exercises: real temp git repos, real node and cargo
output. Before changed_code, a changed source file was shown from its first line (cut at
3,500 characters), so the changed function at the end of a long file was not in it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from git_repos import commit_files, init_repo

from mom_cli.validate.detect import project_files
from mom_cli.validate.tests import _parse_any
from mom_cli.workflows.changed_code import changed_focus, exercised
from mom_cli.workflows.fix_scope import changed_lines, find_base
from mom_cli.workflows.fix_steps import plan_steps
from mom_cli.workflows.model_step import FixStep, build_prompt
from mom_cli.workflows.trace_targets import Span

PADDING = "".join(
    f"function helper{i}(x) {{\n  // keeps the file long: {'x' * 60}\n  return x + {i};\n}}\n\n"
    for i in range(40)
)
LIB = PADDING + "function add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n"
OTHER = "function unrelated() {\n  return 1;\n}\nmodule.exports = { unrelated };\n"
TEST = """const test = require('node:test');
const assert = require('node:assert');
const { add } = require('../src/lib');

test('adds', () => {
  assert.strictEqual(add(2, 3), 5);
});
"""


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = init_repo(tmp_path / "project", files)
    commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")
    return repo


def _only_node_step(repo: Path) -> FixStep:
    """`node --test`'s failures, planned against the change since the base: one step."""
    out = subprocess.run(
        ["node", "--test", "--test-reporter=tap"], cwd=repo, capture_output=True, text=True
    ).stdout
    changed = changed_lines(repo, find_base(repo))
    [step] = plan_steps(
        _parse_any(out, repo), repo, project_files(repo), use_index=False, changed=changed
    )
    return step


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_node_test_step_leads_with_the_changed_function(tmp_path: Path) -> None:
    files = {"src/lib.js": LIB, "src/a_other.js": OTHER, "test/lib.test.js": TEST}
    repo = _repo(tmp_path, files)
    (repo / "src/lib.js").write_text(LIB.replace("return a + b;", "return a - b;"))
    (repo / "src/a_other.js").write_text(OTHER.replace("return 1;", "return 2;"))
    step = _only_node_step(repo)
    # traced (js_trace): the changed function the test reaches, not the other changed file
    assert step.file == "src/lib.js"
    assert step.context_files == ["test/lib.test.js"]
    add_line = LIB.splitlines().index("function add(a, b) {") + 1
    assert step.trace is not None
    assert step.trace.targets == [Span("src/lib.js", "add", add_line, add_line + 2)]
    prompt = build_prompt(step, repo)
    assert "return a - b;" in prompt  # the changed line, ~3,800 characters into its file
    assert "function unrelated" not in prompt and "helper0" not in prompt


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_node_test_step_without_a_reachable_change_leads_with_the_changed_code(
    tmp_path: Path,
) -> None:
    """The change is in a file the test does not require: no trace, the test file's step
    shows what the change touched (changed_code)."""
    files = {"src/lib.js": LIB, "src/a_other.js": OTHER, "test/lib.test.js": TEST}
    repo = _repo(tmp_path, files)
    (repo / "src/a_other.js").write_text(OTHER.replace("return 1;", "return 2;"))
    (repo / "test/lib.test.js").write_text(TEST.replace("5);", "6);"))
    step = _only_node_step(repo)
    assert step.file == "test/lib.test.js" and step.trace is None
    assert step.context_files == ["src/a_other.js"]
    assert step.changed_notes == [
        "test/lib.test.js: lines 6",
        "src/a_other.js: unrelated (lines 1-3)",
    ]
    assert "The recent change touched (the likely cause):" in build_prompt(step, repo)


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_a_cargo_test_step_shows_the_changed_function_above_the_test(tmp_path: Path) -> None:
    body = "".join(
        f"    // line {i} of a long comment that pushes the test down\n" for i in range(30)
    )
    lib = (
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n#[cfg(test)]\nmod tests {\n"
        f"{body}    #[test]\n    fn adds() {{\n"
        "        assert_eq!(super::add(2, 3), 5);\n    }\n}\n"
    )
    cargo = '[package]\nname = "t"\nversion = "0.1.0"\nedition = "2021"\n'
    repo = _repo(tmp_path, {"Cargo.toml": cargo, "src/lib.rs": lib, ".gitignore": "target/\n"})
    (repo / "src/lib.rs").write_text(lib.replace("    a + b\n", "    a - b\n"))
    proc = subprocess.run(
        ["cargo", "test", "--color", "never"], cwd=repo, capture_output=True, text=True
    )
    diags = _parse_any(proc.stdout + proc.stderr, repo)
    assert [d.code for d in diags] == ["tests::adds"]
    changed = changed_lines(repo, find_base(repo))
    [step] = plan_steps(diags, repo, project_files(repo), use_index=False, changed=changed)
    assert step.changed_notes == ["src/lib.rs: add (lines 1-3)"]
    assert "    a - b\n" in build_prompt(step, repo)


def test_exercised_files_never_leave_the_repository(tmp_path: Path) -> None:
    repo = tmp_path
    (repo / "test").mkdir()
    (repo / "lib.ts").write_text("export const x = 1;\n")
    (repo / "test/a.test.ts").write_text(
        "import { x } from '../lib';\nimport y from '../../outside';\n"
    )
    assert exercised(repo, "test/a.test.ts", ["lib.ts", "other.ts"]) == ["lib.ts"]
    assert changed_focus(repo, ["lib.ts"], {"lib.ts": None}) == ({}, [])
