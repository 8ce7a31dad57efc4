"""Rust (real cargo), JS/TS and Go rules: suggestions used, missing tools skipped cleanly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from git_repos import init_repo as make_repo
from rules_helpers import fix_with

from mom_cli.rules.rust import apply_replacements
from mom_cli.validate.diagnostics import Diagnostic

CARGO = """[package]\nname = "t"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n"""
LIB = "pub fn area(side: u32) -> f64 {\n    side\n}\n"


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo not installed")
def test_rustc_machine_applicable_suggestion(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "crate", {"Cargo.toml": CARGO, "src/lib.rs": LIB})
    diag = Diagnostic("build", "src/lib.rs", 2, "mismatched types", code="E0308", tool="cargo")
    fixed = fix_with("rust.rustc_suggestion", diag, LIB, repo)
    assert fixed == LIB.replace("    side\n", "    side.into()\n")
    other = Diagnostic("build", "src/lib.rs", 1, "mismatched types", code="E0308", tool="cargo")
    assert fix_with("rust.rustc_suggestion", other, LIB, repo) is None  # no suggestion there


def test_rust_rule_without_a_crate_stands_aside(tmp_path: Path) -> None:
    diag = Diagnostic("build", "src/lib.rs", 2, "mismatched types", code="E0308", tool="cargo")
    assert fix_with("rust.rustc_suggestion", diag, LIB, tmp_path) is None


def test_byte_offsets_and_overlaps() -> None:
    assert apply_replacements("é x", [(3, 4, "y")]) == "é y"
    assert apply_replacements("abc", [(0, 2, "x"), (1, 3, "y")]) is None


def test_tsc_did_you_mean(tmp_path: Path) -> None:
    src = "const total = 1;\nconsole.log(totl);\n"
    diag = Diagnostic(
        "build", "a.ts", 2, "Cannot find name 'totl'. Did you mean 'total'?", code="TS2552"
    )
    assert fix_with("js.tsc_did_you_mean", diag, src, tmp_path) == src.replace("(totl)", "(total)")


def test_eslint_without_project_eslint_is_skipped(tmp_path: Path) -> None:
    diag = Diagnostic(
        "lint", "a.js", 1, "'x' is never reassigned", code="prefer-const", tool="eslint"
    )
    assert fix_with("js.eslint_fix", diag, "let x = 1;\n", tmp_path) is None


@pytest.mark.skipif(shutil.which("gofmt") is not None, reason="go is installed here")
def test_go_rules_skip_cleanly_without_go(tmp_path: Path) -> None:
    diag = Diagnostic("lint", "a.go", 1, "file is not gofmt-ed", code="format")
    assert fix_with("go.gofmt", diag, "package a\n", tmp_path) is None
    imp = Diagnostic("build", "a.go", 3, "undefined: fmt", code="")
    assert fix_with("go.goimports", imp, "package a\n", tmp_path) is None


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo not installed")
def test_rustc_single_similar_name_is_taken(tmp_path: Path) -> None:
    """E0425 "a local variable with a similar name exists" is `MaybeIncorrect`; one such
    name is the fix (rapidfuzz/strsim-rs: `cuont += 1` beside `count` went to a model)."""
    lib = (
        "pub fn diffs(a: &[u8], b: &[u8]) -> usize {\n    let mut count = 0;\n"
        "    for (x, y) in a.iter().zip(b) {\n        if x != y {\n            cuont += 1;\n"
        "        }\n    }\n    count\n}\n"
    )
    repo = make_repo(tmp_path / "crate", {"Cargo.toml": CARGO, "src/lib.rs": lib})
    diag = Diagnostic("build", "src/lib.rs", 5, "cannot find value", code="E0425", tool="cargo")
    assert fix_with("rust.rustc_suggestion", diag, lib, repo) == lib.replace("cuont", "count")
    far = lib.replace("cuont", "zzzzz")  # nothing similar: no suggestion, no edit
    (repo / "src/lib.rs").write_text(far)
    assert fix_with("rust.rustc_suggestion", diag, far, repo) is None


def _syntax_at(file: str, source: str) -> Diagnostic:
    from mom_cli.validate.detect import language_of
    from mom_cli.validate.syntax import check_source

    [first, *_] = check_source(file, source.encode(), language_of(file) or "")
    return first


def test_js_missing_comma_between_entries(tmp_path: Path) -> None:
    """lukeed/kleur's shape: `bold: init(1, 22)` lost its comma before `dim: …`."""
    good = "const $ = {\n\treset: init(0, 0),\n\tbold: init(1, 22), // b\n\tdim: init(2, 22),\n};\n"
    bad = good.replace("init(1, 22), // b", "init(1, 22) // b")
    assert fix_with("js.missing_comma", _syntax_at("index.mjs", bad), bad, tmp_path) == good
    array = "const xs = [\n  1,\n  2\n  3,\n];\n"
    fixed = fix_with("js.missing_comma", _syntax_at("a.ts", array), array, tmp_path)
    assert fixed == array.replace("  2\n", "  2,\n")
    other = "function f() {\n  return 1 +;\n}\n"  # not a missing comma: refused
    assert fix_with("js.missing_comma", _syntax_at("b.js", other), other, tmp_path) is None


def test_doctor_names_missing_rule_tools_only_for_the_projects_languages(tmp_path: Path) -> None:
    """On a JavaScript project (lukeed/kleur) doctor said black and gofmt were missing."""
    from mom_cli.rules.tools import RULE_TOOL_KIND, RULE_TOOLS, find_tool, missing_rule_tools

    js = tmp_path / "js"
    js.mkdir()
    (js / "package.json").write_text('{"name": "t"}\n')
    assert missing_rule_tools(js) == {}  # no rule tool serves plain JavaScript
    go = tmp_path / "go"
    go.mkdir()
    (go / "go.mod").write_text("module t\n")
    absent = {n for n in RULE_TOOLS if find_tool(n, go) is None}
    assert set(missing_rule_tools(go)) == {n for n in absent if RULE_TOOL_KIND[n] == "go"}
    unknown = tmp_path / "empty"
    unknown.mkdir()
    assert set(missing_rule_tools(unknown)) == absent  # nothing to go by: all of them


def test_a_missing_closing_token_is_put_where_tree_sitter_found_it_missing(
    tmp_path: Path,
) -> None:
    """vercel/ms: `if (typeof ms !== 'number' || !Number.isFinite(ms) {` — tree-sitter's
    "missing `)`" names the token and its place; a model was the only way forward."""
    good = (
        "export function f(ms: number): string {\n"
        "  const é = 'x';\n"
        "  if (typeof ms !== 'number' || !Number.isFinite(ms)) {\n"
        "    throw new Error(é);\n  }\n  return é;\n}\n"
    )
    bad = good.replace("isFinite(ms)) {", "isFinite(ms) {")
    diag = _syntax_at("src/index.ts", bad)
    assert diag.message == "missing `)`"
    assert fix_with("js.missing_token", diag, bad, tmp_path) == good
    call = "foo(a, b;\nconst x = [1, 2;\n"
    assert fix_with("js.missing_token", _syntax_at("a.js", call), call, tmp_path) == (
        "foo(a, b);\nconst x = [1, 2;\n"  # the first; the next check finds the second
    )
    vague = "foo(a, [1, 2;\n"  # "syntax error near …": no token named, nothing to insert
    assert fix_with("js.missing_token", _syntax_at("a.js", vague), vague, tmp_path) is None
    name = Diagnostic("syntax", "a.js", 1, "missing `identifier`", column=5, tool="tree-sitter")
    assert fix_with("js.missing_token", name, "let = 1;\n", tmp_path) is None


COOKIE = """var signature = require('cookie-signature')
const { parse: parseCookie } = require('cookie')

exports.JSONCookie = JSONCookie

function JSONCookies (obj) {
  var val
  for (const key of Object.keys(obj)) {
    val = JSONCookei(obj[key])
  }
  return val
}

function JSONCookie (str) {
  return JSON.parse(str.slice(2))
}
"""


def test_a_misspelt_name_node_reports_is_the_close_name_the_file_declares(
    tmp_path: Path,
) -> None:
    """expressjs/cookie-parser: mocha said `ReferenceError: JSONCookei is not defined`
    at index.js:9 and a model was the only way out."""
    diag = Diagnostic("tests", "index.js", 9, "Uncaught ReferenceError: JSONCookei is not defined")
    fixed = fix_with("js.undefined_name", diag, COOKIE, tmp_path)
    assert fixed == COOKIE.replace("JSONCookei(", "JSONCookie(")
    global_typo = Diagnostic("tests", "index.js", 8, "ReferenceError: Objcet is not defined")
    src = COOKIE.replace("Object.keys", "Objcet.keys")
    assert fix_with("js.undefined_name", global_typo, src, tmp_path) == COOKIE
    destructured = Diagnostic("tests", "index.js", 9, "ReferenceError: parseCookei is not defined")
    src = COOKIE.replace("JSONCookei(obj[key])", "parseCookei(obj[key])")
    assert fix_with("js.undefined_name", destructured, src, tmp_path) == src.replace(
        "parseCookei", "parseCookie"
    )


def test_an_undefined_name_with_no_close_declaration_is_left_to_a_model(tmp_path: Path) -> None:
    unknown = Diagnostic("tests", "index.js", 9, "ReferenceError: frobnicate is not defined")
    src = COOKIE.replace("JSONCookei(obj[key])", "frobnicate(obj[key])")
    assert fix_with("js.undefined_name", unknown, src, tmp_path) is None
    elsewhere = Diagnostic("tests", "index.js", 3, "ReferenceError: JSONCookei is not defined")
    assert fix_with("js.undefined_name", elsewhere, COOKIE, tmp_path) is None  # not on that line
