"""Which projects' test runs stop at their first failure (validate.bail)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mom_cli.validate.bail import bail_reason


@pytest.mark.parametrize(
    ("script", "bails"),
    [
        ("mocha --reporter spec --bail --check-leaks test/", True),  # expressjs/cookie-parser
        ("mocha -b test/", True),
        ("jest --bail", True),
        ("jest --bail=0", False),
        ("tsc -b && node --test", False),  # tsc's -b is build mode
        ("mocha test.js test.node.js", False),  # debug-js/debug
        ("jest && npm run check:type:ts", False),  # commander.js 14
    ],
)
def test_bail_in_the_test_script(tmp_path: Path, script: str, bails: bool) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"test": script}}))
    assert bool(bail_reason(tmp_path)) is bails


def test_bail_in_a_mocharc(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"scripts": {"test": "mocha"}}')
    assert bail_reason(tmp_path) == ""
    (tmp_path / ".mocharc.yml").write_text("spec: test/\nbail: true\n")
    assert bail_reason(tmp_path) == "bail: true in .mocharc.yml"


def test_no_or_broken_package_json(tmp_path: Path) -> None:
    assert bail_reason(tmp_path) == ""
    (tmp_path / "package.json").write_text('["not", "an object"]')
    assert bail_reason(tmp_path) == ""
