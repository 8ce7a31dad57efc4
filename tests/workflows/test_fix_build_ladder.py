"""A tier without a usable model is skipped, not the end of fix-build's ladder: a user with
only an Anthropic key reaches haiku. Real SDKs against the loopback tiers, real pytest."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.tiers import KEY_ENV, LoopbackTiers
from fix_build_helpers import make_project, run_with_tiers

from mom_cli.ledger.store import Ledger

WRONG_VALUE = {"calc/ops.py": [("    product = a * b\n", "    product = a + b\n")]}
FIX_OPS = (
    "calc/ops.py\n<<<<<<< SEARCH\n    product = a + b\n=======\n    product = a * b\n"
    ">>>>>>> REPLACE\n"
)


def test_tiers_without_a_key_are_skipped_and_the_ladder_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for env in KEY_ENV.values():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv(KEY_ENV["haiku"], "sk-loopback-dummy")  # only this key is set
    repo = make_project(tmp_path / "calc", WRONG_VALUE)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    with LoopbackTiers() as tiers:
        tiers.script("haiku", FIX_OPS)
        result = run_with_tiers(repo, ledger, tiers)
        calls = {t: tiers.calls(t) for t in ("groq", "deepseek", "haiku", "sonnet")}
    ledger.close()
    assert result.passed and result.exit_code == 0, result.to_dict()
    assert calls == {"groq": 0, "deepseek": 0, "haiku": 1, "sonnet": 0}
    assert result.needs == []


def test_what_is_needed_names_the_unusable_tiers_above_the_last_usable_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for env in KEY_ENV.values():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv(KEY_ENV["deepseek"], "sk-loopback-dummy")
    repo = make_project(tmp_path / "calc", WRONG_VALUE)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    with LoopbackTiers() as tiers:
        tiers.script("deepseek", FIX_OPS.replace("a * b", "a - b"))  # wrong: still failing
        result = run_with_tiers(repo, ledger, tiers)
        asked = tiers.calls("deepseek")
    ledger.close()
    assert result.exit_code == 1 and not result.passed
    assert asked == 1
    assert [need.split(":")[0] for need in result.needs] == ["haiku", "sonnet"]
    assert KEY_ENV["haiku"] in result.needs[0]
