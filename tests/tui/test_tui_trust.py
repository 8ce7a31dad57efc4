"""A repository's untrusted routing.toml: the session names what it ignored, as every
command does. On a clone with `[cost] daily_budget_usd = 500` and a groq `base_url` in its
routing.toml, `mom doctor` warned that both were ignored and how to trust the file; the
session showed a $5.00 budget and said nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, app_for, log_text, until

from mom_cli.tui.app import MomApp

pytestmark = pytest.mark.anyio


async def test_session_says_which_repo_config_keys_it_ignored(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOM_TRUST_REPO_CONFIG", raising=False)
    (project / "routing.toml").write_text("[cost]\ndaily_budget_usd = 500\n")
    app: MomApp = app_for(project, load_status=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.ws is not None, timeout=30)
        await pilot.pause(0.1)
        text = log_text(app)
        assert "is not trusted, so these keys were ignored: cost.daily_budget_usd" in text
        assert "mom trust" in text


async def test_a_trusted_or_harmless_repo_config_says_nothing(project: Path) -> None:
    (project / "routing.toml").write_text("[cost]\ndaily_budget_usd = 1\n")  # tightens
    app: MomApp = app_for(project, load_status=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.ws is not None, timeout=30)
        await pilot.pause(0.1)
        assert "not trusted" not in log_text(app)
