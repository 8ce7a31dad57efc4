"""A validated item that no test judged says so, instead of looking tested."""

from __future__ import annotations

from mom_cli.validate.result import StageResult, ValidationResult
from mom_cli.workflows.milestone.item import untested_note


def _result(*stages: StageResult) -> ValidationResult:
    return ValidationResult(True, list(stages), ["app/x.py"])


def test_tested_item_has_no_note() -> None:
    tests = StageResult("tests", True, 0.5)
    assert untested_note(_result(StageResult("syntax", True), tests)) == ""


def test_item_no_test_covers_is_flagged() -> None:
    tests = StageResult("tests", True, skipped=True, note="no tests import the changed files")
    note = untested_note(_result(StageResult("syntax", True), tests))
    assert note.startswith("validated by syntax, build and lint only")
    assert "no tests import the changed files" in note


def test_tests_stage_disabled_is_flagged() -> None:
    assert "did not run" in untested_note(_result(StageResult("syntax", True)))
