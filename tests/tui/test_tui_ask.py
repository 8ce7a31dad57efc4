"""/ask in the session: a reply that stopped at its token limit says so. On
pallets/itsdangerous the embedded model repeated one sentence until its 512 tokens ran out,
mid-word, and the session printed "✓ local/smollm2 · 45→512 tokens" as if it were whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import Reply
from pilot_helpers import SIZE, app_for, finish, log_text, submit
from tui_project import Paid

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("finish_reason", "cut"), [("length", True), ("stop", False)])
async def test_ask_says_when_the_reply_was_cut_off(
    project: Path, paid: Paid, finish_reason: str, cut: bool
) -> None:
    paid.openai.script(Reply(content="It signs the value and then it signs", finish=finish_reason))
    app = app_for(project, paid.config, load_status=False)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "/ask what does sign do?")
        assert await finish(pilot) == 0, log_text(app)
        text = log_text(app)
        assert "It signs the value and then it signs" in text
        assert ("-token limit" in text) is cut, text
