"""The retry prompt names what the change broke, not the debt that was already there."""

from __future__ import annotations

from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.result import StageResult, ValidationResult

RAW = "m.py:3:1: F401 `os` imported but unused\nold.py:9:80: E501 Line too long (120 > 100)\n"


def _result(*diags: Diagnostic, raw: str = RAW) -> ValidationResult:
    stage = StageResult("lint", False, diagnostics=list(diags), tool_used="ruff", raw_output=raw)
    return ValidationResult(False, [stage], ["m.py", "old.py"])


def test_debt_is_neither_listed_nor_repeated_by_the_raw_output() -> None:
    new = Diagnostic("lint", "m.py", 3, "`os` imported but unused", code="F401", tool="ruff")
    debt = Diagnostic(
        "lint", "old.py", 9, "Line too long (already at HEAD)", "info", code="E501", tool="ruff"
    )
    text = _result(new, debt).prompt_text()
    assert "m.py:3" in text and "F401" in text
    assert "old.py" not in text and "E501" not in text and "Tool output" not in text
    assert "1 findings that were already there are not shown" in text


def test_raw_output_stays_when_it_is_all_there_is_or_nothing_is_hidden() -> None:
    new = Diagnostic("lint", "m.py", 3, "`os` imported but unused", code="F401", tool="ruff")
    assert "Tool output (trimmed):" in _result(new).prompt_text()
    opaque = _result(raw="Traceback: ruff crashed\n")
    assert "ruff crashed" in opaque.prompt_text()
