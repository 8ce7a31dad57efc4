"""`/fix` in the session: the change panel shows what fix-build changed (its diff, from
the step's checkpoint) and the step's final status, not "pending, no change"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from git_repos import make_repo  # noqa: F401 (a fixture)
from pilot_helpers import SIZE, app_for, finish, log_text, submit
from tui_project import Paid

from mom_cli.tui.widgets.diff_panel import DiffPanel

pytestmark = pytest.mark.anyio

OPS = (
    '"""Arithmetic."""\n\n\ndef add(a: int, b: int) -> int:\n    total = a + b\n    return total\n'
)
TEST = "from calc.ops import add\n\n\ndef test_add() -> None:\n    assert add(2, 3) == 5\n"


async def test_fix_shows_the_rule_fix_diff_and_the_final_status(
    make_repo: Callable[..., Path],  # noqa: F811
    paid: Paid,
) -> None:
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n',
            "calc/__init__.py": '"""calc."""\n',
            "calc/ops.py": OPS,
            "tests/test_ops.py": TEST,
        }
    )
    # the user's uncommitted typo: a NameError the rules tier fixes at $0
    (repo / "calc/ops.py").write_text(OPS.replace("return total", "return totl"))
    app = app_for(repo, paid.config, load_status=False)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "/fix")
        assert await finish(pilot) == 0, log_text(app)
        await pilot.press("f2")
        await pilot.pause()
        panel = app.query_one(DiffPanel)
        step = next(iter(app.state.steps.values()))
        assert step.status == "passed" and step.tier == "rules" and step.record_id
        assert "-    return totl" in panel.diff_text and "+    return total" in panel.diff_text
        assert "no validated change" not in str(panel.body.render())
        await pilot.press("r")  # fix-build holds nothing: say so, and how to revert
        await pilot.pause()
        assert "its change was applied, not held (/fix holds none); /undo" in log_text(app)
        await submit(pilot, "/ask what does add do?")  # a paid call: a second ledger line
        await finish(pilot)
        await submit(pilot, "/cost")
        await finish(pilot)
        rows = [ln for ln in log_text(app).splitlines() if " calls  " in ln]
        assert any("python.undefined_name" in r for r in rows) and len(rows) >= 2, rows
        assert len({r.index(" calls  ") for r in rows}) == 1, rows  # columns line up
    assert (repo / "calc/ops.py").read_text() == OPS
