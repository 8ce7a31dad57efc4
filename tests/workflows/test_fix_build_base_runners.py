"""fix-build's base check for runners other than pytest: real temp git repos, real cargo
and node. A test that already failed at the base (committed before HEAD~1) is debt: never a
fix step, never on its own a reason for exit 1. One the uncommitted change broke is in
scope. Before base_runner, both were the change's (cargo test, node --test: no base check).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from git_repos import commit_files, init_repo
from typer.testing import CliRunner

from mom_cli.cli.app import app

needs_cargo = pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
needs_node = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None, reason="node is not installed"
)

RUST_LIB = """pub fn add(a: i32, b: i32) -> i32 {
    a + b
}

pub fn double(x: i32) -> i32 {
    x * 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds() {
        assert_eq!(add(2, 3), 5);
    }

    #[test]
    fn doubles() {
        assert_eq!(double(2), 5);
    }
}
"""
CARGO = '[package]\nname = "t"\nversion = "0.1.0"\nedition = "2021"\n'
JS_LIB = """function add(a, b) {
  return a + b;
}

function double(x) {
  return x * 2;
}

module.exports = { add, double };
"""
JS_TEST = """const test = require('node:test');
const assert = require('node:assert');
const { add, double } = require('../lib.js');

test('adds', () => {
  assert.strictEqual(add(2, 3), 5);
});

test('doubles', () => {
  assert.strictEqual(double(2), 5);
});
"""
PACKAGE = json.dumps({"name": "t", "version": "1.0.0", "scripts": {"test": "node --test"}})


def _fix_build(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, Any]:
    monkeypatch.setenv("MOM_TIERS__DEFAULT", '["rules"]')  # no model: $0, offline
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--json", *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> Path:
    # not the make_repo fixture: its HOME hides rustup's default toolchain
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    repo = init_repo(tmp_path / "project", {**files, ".gitignore": "target/\nnode_modules/\n"})
    commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")  # the base is HEAD~1
    return repo


def _tests_left(doc: dict[str, Any]) -> dict[str, bool]:
    return {d["code"]: d["preexisting"] for d in doc["remaining"] if d["stage"] == "tests"}


def _step_text(doc: dict[str, Any]) -> str:
    return "\n".join(line for s in doc["steps"] for line in s["diagnostics"])


@needs_cargo
def test_cargo_test_failing_at_the_base_is_not_the_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _project(tmp_path, monkeypatch, {"Cargo.toml": CARGO, "src/lib.rs": RUST_LIB})
    lib = repo / "src/lib.rs"
    lib.write_text(RUST_LIB.replace("pub fn add(", "/// Adds.\npub fn add("))  # harmless
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 0 and doc["passed"], doc["remaining"]
    assert doc["scope"]["tests_failing_at_base"] == ["tests::doubles"]
    assert doc["head_baseline"]["failing_at_head"] == ["tests::doubles"]


@needs_cargo
def test_only_the_cargo_test_the_change_broke_is_a_fix_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _project(tmp_path, monkeypatch, {"Cargo.toml": CARGO, "src/lib.rs": RUST_LIB})
    lib = repo / "src/lib.rs"
    mine = RUST_LIB.replace("    a + b\n", "    a - b\n")
    lib.write_text(mine)
    code, doc = _fix_build(repo, monkeypatch, "--dry-run")
    assert code == 0  # a plan never fails
    assert _tests_left(doc) == {"tests::adds": False}
    assert doc["scope"]["tests_failing_at_base"] == ["tests::doubles"]
    steps = _step_text(doc)
    assert "tests::adds" in steps and "doubles" not in steps
    code, doc = _fix_build(repo, monkeypatch, "--max-tier", "rules")
    assert code == 1 and _tests_left(doc) == {"tests::adds": False}
    assert lib.read_text() == mine  # no model, and no rule for a logic bug: untouched
    # the base was built in target/mom: the user's build is not the base's
    own = subprocess.run(
        ["cargo", "test", "--color", "never"], cwd=repo, capture_output=True, text=True
    )
    assert "test tests::adds ... FAILED" in own.stdout


@needs_node
def test_node_test_failing_at_the_base_is_not_the_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"package.json": PACKAGE, "lib.js": JS_LIB, "test/lib.test.js": JS_TEST}
    repo = _project(tmp_path, monkeypatch, files)
    (repo / "lib.js").write_text(JS_LIB.replace("  return x * 2;", "  return x + x;"))
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 0 and doc["passed"], doc["remaining"]
    assert doc["scope"]["tests_failing_at_base"] == ["doubles"]


@needs_node
def test_only_the_node_test_the_change_broke_is_a_fix_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"package.json": PACKAGE, "lib.js": JS_LIB, "test/lib.test.js": JS_TEST}
    repo = _project(tmp_path, monkeypatch, files)
    mine = JS_LIB.replace("  return a + b;", "  return a - b;")
    (repo / "lib.js").write_text(mine)
    code, doc = _fix_build(repo, monkeypatch, "--dry-run")
    assert code == 0  # a plan never fails
    assert _tests_left(doc) == {"adds": False}
    steps = _step_text(doc)
    assert "adds" in steps and "doubles" not in steps
    # node's TAP names the test's file; the step is on the changed source it requires
    assert [s["file"] for s in doc["steps"]] == ["lib.js"]
    assert (repo / "lib.js").read_text() == mine


PLAIN_TEST = """const assert = require('node:assert');
const { add, double } = require('./lib.js');
assert.strictEqual(double(2), 5);
assert.strictEqual(add(2, 3), 5);
"""


@needs_node
def test_a_run_that_names_no_test_is_compared_honestly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`node test.js` names no test: the same failure at the base is not the change's,
    and the report says it could not tell which tests."""
    plain = json.dumps({"name": "t", "version": "1.0.0", "scripts": {"test": "node test.js"}})
    files = {"package.json": plain, "lib.js": JS_LIB, "test.js": PLAIN_TEST}
    repo = _project(tmp_path, monkeypatch, files)
    (repo / "lib.js").write_text("// math\n" + JS_LIB)
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 0 and doc["passed"], doc["remaining"]
    assert doc["head_baseline"]["note"].startswith("could not tell which tests")
    [failure] = doc["scope"]["tests_failing_at_base"]
    assert "AssertionError" in failure  # what the output said, as it names no test


@needs_node
def test_a_bailing_run_whose_only_failure_is_at_the_base_is_not_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """expressjs/cookie-parser runs `mocha --bail`: a test failing at the base stops the
    run before the tests the change broke (here `add`, asserted after it). fix-build said
    "tests pass apart from 1 already failing at the base" and exited 0."""
    script = "node test.js --bail"  # stands in for mocha --bail: stops at the first failure
    bailing = json.dumps({"name": "t", "version": "1.0.0", "scripts": {"test": script}})
    files = {"package.json": bailing, "lib.js": JS_LIB, "test.js": PLAIN_TEST}
    repo = _project(tmp_path, monkeypatch, files)
    broken = JS_LIB.replace("  return a + b;", "  return a - b;")
    (repo / "lib.js").write_text(broken)
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 1 and not doc["passed"]
    [hidden] = [d for d in doc["remaining"] if d["severity"] == "error"]
    assert hidden["message"].startswith("tests after the first failure did not run (--bail")
    assert (repo / "lib.js").read_text() == broken
