"""Hypothesis: whatever text a tool emits, and whatever the file holds, rules never raise.

Rules that shell out (ruff, cargo, eslint, go tools) are left out to keep this fast; their
inputs from diagnostics are only the code and file name, covered by their own tests.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mom_cli.rules.registry import RuleContext, all_rules
from mom_cli.validate.diagnostics import Diagnostic

OFFLINE = [
    r
    for r in all_rules()
    if not r.name.startswith(("python.ruff", "python.format", "rust.", "go.", "js.eslint"))
]
MESSAGES = st.one_of(
    st.text(max_size=120),
    st.sampled_from(
        [
            "SyntaxError: expected ':'",
            "'(' was never closed",
            "unexpected indent",
            "unindent does not match any outer indentation level",
            "invalid syntax. Perhaps you forgot a comma?",
            "unterminated string literal (detected at line 1)",
            "Undefined name `x`",
            "NameError: name '' is not defined",
            "has no attribute 'a'. Did you mean: 'b'?",
            "AttributeError: module 'os.path' has no attribute 'joinn'",
            "module '..x' has no attribute 'a'",
            "module 'a..b.' has no attribute 'zz'",
            "Cannot find name 'x'. Did you mean 'y'?",
        ]
    ),
)
SNIPPETS = st.sampled_from(
    ["def f(x)\n    return x\n", "x = (1,\n", "  y = 1\n", "'abc\n", "[1 2]\n", "é = é\n", ""]
)
SOURCES = st.one_of(st.text(max_size=200), SNIPPETS, st.lists(SNIPPETS).map("".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=MESSAGES,
    source=SOURCES,
    stage=st.sampled_from(["syntax", "build", "tests", "lint", "", "weird"]),
    line=st.integers(min_value=-5, max_value=10_000),
    code=st.sampled_from(["", "F821", "E999", "SyntaxError", "TS2552", "x"]),
    suffix=st.sampled_from([".py", ".ts", ".rs", ".go", ""]),
)
def test_rules_never_crash(
    message: str, source: str, stage: str, line: int, code: str, suffix: str
) -> None:
    diag = Diagnostic(stage, f"pkg/m{suffix}", line, message, code=code)
    ctx = RuleContext(Path("/nonexistent-mom-repo"))
    for rule in OFFLINE:
        block = rule.fn(diag, source, ctx)
        assert block is None or block.path == diag.file


@settings(max_examples=200, deadline=None)
@given(module=st.text(max_size=40))
def test_module_names_never_raise_nor_leave_the_search_paths(module: str) -> None:
    """The module name comes from tool output: any text is answered (None or names)."""
    from mom_cli.rules.python_module_names import module_names

    names = module_names(module, Path("/nonexistent-mom-repo"))
    assert names is None or all(isinstance(n, str) for n in names)
    if any(not part.isidentifier() for part in module.split(".")):
        assert names is None
