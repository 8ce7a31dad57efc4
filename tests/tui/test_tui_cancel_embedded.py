"""Ctrl+C while the real embedded model is in prefill: the session is idle again at once
(llama.cpp's decode is aborted, not waited for), the next request answers, and the user's
files are untouched. Before, /ask could not be cancelled at all and a run's step waited for
the whole prefill (78 s on a busy machine)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import tomli_w
from pilot_helpers import SIZE, app_for, finish, log_text, submit, until
from tui_project import tree_state

from mom_cli.providers import embedded

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.embedded,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed in this venv (run ./scripts/setup)",
    ),
]

# ~700 prompt tokens with the step's context: it fits the 2,048-token window, and its
# prefill runs for seconds (minutes on a busy machine) on the 135M model
LONG_TEXT = "Explain this list in calc/ops.py comments: " + "word " * 600


def aborted_in_prefill() -> bool:
    """Fewer tokens in the model's context than the long text alone holds: the prefill
    stopped part way (waiting for it would have left them all there)."""
    llama = embedded._loaded["llama"]
    return bool(llama.n_tokens < len(llama.tokenize(LONG_TEXT.encode())))


@pytest.fixture
def local_only(tmp_path: Path) -> Path:
    """No keys and no Ollama: the embedded model is the only usable tier."""
    path = tmp_path / "routing.toml"
    path.write_text(
        tomli_w.dumps(
            {
                "routing": {"learn_from_outcomes": False},
                "providers": {"ollama": {"base_url": "http://127.0.0.1:9"}},
            }
        )
    )
    return path


async def test_ctrl_c_during_ask_stops_the_embedded_model(project: Path, local_only: Path) -> None:
    before = tree_state(project)
    app = app_for(project, local_only, load_status=False)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "/ask " + LONG_TEXT)
        await until(pilot, lambda: embedded.running() or app.last_exit is not None)
        assert embedded.running(), log_text(app)
        await pilot.press("ctrl+c")
        assert await finish(pilot) == 130, log_text(app)
        assert not embedded.running() and app.busy == 0 and aborted_in_prefill()
        assert "■ cancelling" in log_text(app) and "✗ cancelled" in log_text(app)
        app.last_exit = None
        await submit(pilot, "/ask Say hi.")
        assert await finish(pilot) == 0, log_text(app)
        assert "local/smollm2" in log_text(app)
    assert tree_state(project) == before


async def test_ctrl_c_during_a_running_embedded_step_returns_to_idle(
    project: Path, local_only: Path
) -> None:
    before = tree_state(project)
    app = app_for(project, local_only, load_status=False)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, LONG_TEXT)
        await until(pilot, lambda: embedded.running() or app.last_exit is not None)
        assert embedded.running(), log_text(app)
        await pilot.press("ctrl+c")
        assert await finish(pilot) == 130, log_text(app)
        assert "cancelled" in log_text(app)
        assert not embedded.running() and app.busy == 0 and app.token is None
        assert aborted_in_prefill()
    assert tree_state(project) == before
