"""The tier-0 loop on real files: keep what improves validation, roll back what does not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from git_repos import init_repo as make_repo

from mom_cli.edits.blocks import EditBlock
from mom_cli.ledger.store import Ledger
from mom_cli.rules import registry
from mom_cli.rules.engine import RulesEngine, improved
from mom_cli.rules.python_syntax import first_error
from mom_cli.rules.registry import Rule, RuleContext
from mom_cli.rules.steps import CheckpointApplier
from mom_cli.validate.diagnostics import Diagnostic


def compile_check(repo: Path) -> list[Diagnostic]:
    """A tiny real validator: CPython's first syntax error in every .py file."""
    out = []
    for path in sorted(repo.rglob("*.py")):
        err = first_error(path.read_text())
        if err is not None:
            rel = path.relative_to(repo).as_posix()
            out.append(Diagnostic("syntax", rel, err.lineno or 0, f"SyntaxError: {err.msg}"))
    return out


@pytest.fixture
def bad_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A registered rule that 'fixes' the colon by deleting the function's body."""

    def wreck(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
        if "expected ':'" not in diag.message:
            return None
        return EditBlock(diag.file, "    return a + b\n", "        return a + b\n  x = (\n")

    registry.all_rules()
    # first in the registry, so the engine must roll it back before the real rule's turn
    rules = {"test.wreck": Rule("test.wreck", ("python",), wreck), **registry._RULES}
    monkeypatch.setattr(registry, "_RULES", rules)
    yield


SRC = "def add(a, b)\n    return a + b\n"


def _engine(repo: Path, ledger: Ledger) -> RulesEngine:
    return RulesEngine(
        repo, lambda: compile_check(repo), CheckpointApplier(repo), ledger=ledger, run_id="t"
    )


def test_bad_rule_is_rolled_back_and_good_rule_kept(tmp_path: Path, bad_rule: None) -> None:
    repo = make_repo(tmp_path / "r", {"m.py": SRC})
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    report = _engine(repo, ledger).run()
    outcomes = [(a.rule, a.outcome) for a in report.attempts]
    assert outcomes == [("test.wreck", "rolled_back"), ("python.missing_colon", "validated")]
    assert (repo / "m.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert report.remaining == []
    rows = ledger.rows(run_id="t")
    assert [(r.tier, r.provider, r.model, r.cost_usd, r.outcome) for r in rows] == [
        ("rules", "rules", "test.wreck", 0.0, "rolled_back"),
        ("rules", "rules", "python.missing_colon", 0.0, "validated"),
    ]


def test_rollback_restores_bytes_when_nothing_helps(tmp_path: Path, bad_rule: None) -> None:
    src = "def add(a, b)\r\n    return a + b\r\n"  # CRLF, so byte-exactness matters
    repo = make_repo(tmp_path / "r", {"m.py": "x = 1\n"})
    (repo / "m.py").write_bytes(src.encode())
    registry._RULES.pop("python.missing_colon")  # the fixture's copy: only the bad rule left
    report = _engine(repo, Ledger(tmp_path / "l.sqlite3")).run()
    assert [a.outcome for a in report.attempts] == ["rolled_back"]
    assert (repo / "m.py").read_bytes() == src.encode()
    assert len(report.remaining) == 1


def test_multiple_faults_in_one_file_are_fixed_in_turn(tmp_path: Path) -> None:
    src = "def f(x)\n    y = g(x, 1\n    return y\n\ndef g(a, b):\n        return [a b]\n"
    repo = make_repo(tmp_path / "r", {"m.py": src})
    report = _engine(repo, Ledger(tmp_path / "l.sqlite3")).run()
    assert [a.rule for a in report.fixed] == [
        "python.missing_colon",
        "python.unclosed_bracket",
        "python.missing_comma",
    ]
    assert first_error((repo / "m.py").read_text()) is None


def d(stage: str, file: str, line: int, msg: str, severity: str = "error") -> Diagnostic:
    return Diagnostic(stage, file, line, msg, severity)


def test_improved_verdicts() -> None:
    target = d("syntax", "a.py", 3, "expected ':'")
    other = d("lint", "b.py", 1, "unused import")
    # gone, nothing new
    assert improved([target, other], [other], target)[0]
    # still there
    assert not improved([target], [d("syntax", "a.py", 3, "expected ':'")], target)[0]
    # a new error elsewhere at the same stage: worse
    assert not improved([target], [d("syntax", "c.py", 1, "invalid syntax")], target)[0]
    # a later syntax error in the same file was masked by the first: progress
    assert improved([target], [d("syntax", "a.py", 9, "'(' was never closed")], target)[0]
    # the build passes now, so tests run and report: progress
    assert improved([target], [d("tests", "t.py", 2, "failed test_x")], target)[0]
    # strict rules need syntax, build and tests clean afterwards
    lint = d("lint", "a.py", 1, "E711")
    assert not improved([lint, other], [other, d("tests", "t.py", 1, "x")], lint, strict=True)[0]
    assert improved([lint, other], [other], lint, strict=True)[0]
