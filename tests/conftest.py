"""Suite-wide safety: never touch the developer's real ledger or user config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("momhome")
    monkeypatch.setenv("MOM_HOME", str(home))
    monkeypatch.setenv("MOM_CONFIG_HOME", str(Path(home) / "config"))
    for name in ("GROQ_API_KEY", "DEEPSEEK_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _default_safety_policy() -> Iterator[None]:
    """Loading a config adopts its sandbox and safety settings process-wide (mom_cli.sandbox,
    config.active_safety); one test's config must not leak into the next test."""
    yield
    from mom_cli import config, sandbox

    sandbox.reset()
    config._active_safety.clear()
