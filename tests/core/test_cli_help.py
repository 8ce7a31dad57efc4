"""--help teaches: flags show no value type, options that take a value name it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mom_cli.cli.app import app


@pytest.mark.parametrize(
    "command", [[], ["fix-build"], ["run"], ["context"], ["config"], ["hook", "install"]]
)
def test_help_shows_no_bool_type_beside_flags(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "--help" in result.output
    assert "<bool>" not in result.output


def test_value_options_name_what_they_take() -> None:
    out = CliRunner().invoke(app, ["fix-build", "--help"], env={"COLUMNS": "120"}).output
    assert "TIER" in out and "changed|all" in out and "<path>" in out
