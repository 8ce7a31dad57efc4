"""The money bar is live: a call ledgered mid-run shows in today's spend before the run
ends (re-read from the ledger, not estimated from events)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import Reply
from pilot_helpers import SIZE, app_for, finish, log_text, submit, until
from tui_project import GOOD_EDIT, REQUEST, Paid

from mom_cli.service.info import money

pytestmark = pytest.mark.anyio


async def test_spend_updates_while_the_run_is_still_validating(project: Path, paid: Paid) -> None:
    (project / "SLOW").write_text("3")  # the paid call is done; validation takes a while
    paid.openai.script(Reply(content=GOOD_EDIT))
    app = app_for(project, paid.config)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.money_bar.money is not None)
        bar = app.money_bar
        assert bar.money is not None and bar.money.spent_today_usd == 0
        await submit(pilot, REQUEST)
        await until(pilot, lambda: bar.money.spent_today_usd > 0 or not app.busy)  # type: ignore[union-attr]
        assert app.busy == 1, "the bar only moved after the run"
        assert "today $0.0000" not in str(bar.render_text())
        assert await finish(pilot) == 0, log_text(app)
        await until(pilot, lambda: not app._money_loading)
    assert app.ws is not None
    assert bar.money.spent_today_usd == money(app.ws.config).spent_today_usd > 0  # type: ignore[union-attr]
