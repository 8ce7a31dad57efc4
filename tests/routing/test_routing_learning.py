"""Learning from outcomes: failing tiers lose a category, passing cheap tiers win it."""

from __future__ import annotations

from fakes.scripted import default_config, no_calls

from mom_cli.ledger.store import Ledger, LedgerEntry
from mom_cli.routing.learning import OutcomeStats
from mom_cli.routing.outcome_store import OutcomeStore
from mom_cli.routing.selector import ModelSelector, StepProfile


def test_blend_is_the_configured_affinity_until_evidence_arrives() -> None:
    stats = OutcomeStats(prior_weight=8)
    assert stats.blend("m", "code", 0.3) == 0.3
    stats.extend([("m", "code", True)] * 2)
    assert abs(stats.blend("m", "code", 0.3) - (8 * 0.3 + 2) / 10) < 1e-12
    stats.extend([("m", "code", True)] * 1000)
    assert stats.blend("m", "code", 0.3) > 0.99


def test_a_tier_that_keeps_failing_a_category_stops_being_chosen() -> None:
    stats = OutcomeStats()
    selector = ModelSelector(default_config(), no_calls(), stats)
    profile = StepProfile("factual", "trivial")
    assert selector.select(profile).model == "smollm2"
    chosen = []
    for _ in range(12):
        stats.record("smollm2", "factual", False)
        chosen.append(selector.select(profile).model)
    assert chosen[0] == "smollm2"  # one failure is not enough evidence
    assert chosen[-1] == "groq-llama"
    # Other categories are unaffected.
    assert selector.select(StepProfile("general", "trivial")).model == "smollm2"


def test_a_cheap_tier_that_keeps_passing_gets_trusted() -> None:
    stats = OutcomeStats()
    selector = ModelSelector(default_config(), no_calls(), stats)
    profile = StepProfile("code", "medium", input_tokens=300)
    assert selector.select(profile).tier == "deepseek"
    passes = 0
    while selector.select(profile).tier != "local":
        stats.record("smollm2", "code", True)
        passes += 1
        assert passes < 100
    assert 10 <= passes <= 40  # evidence-weighted: neither instant nor never
    sel = selector.select(profile)
    assert any(f"learned from {passes}/{passes} passes" in r for r in sel.reasons)


def test_learning_can_be_switched_off() -> None:
    cfg = default_config(routing={"learn_from_outcomes": False})
    stats = OutcomeStats([("smollm2", "factual", False)] * 50)
    assert (
        ModelSelector(cfg, no_calls(), stats).select(StepProfile("factual", "trivial")).model
        == "smollm2"
    )


def test_outcome_store_round_trip_and_merge_with_ledger(tmp_path) -> None:
    store = OutcomeStore(tmp_path / "o.sqlite3")
    store.record("smollm2", "code", False, tier="local")
    store.record("groq-llama", "code", True)
    assert store.outcomes() == [("smollm2", "code", False), ("groq-llama", "code", True)]
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.record(
        LedgerEntry("groq", "groq-llama", "x", "groq", "", 1, 1, 0.0, 1.0, "ok", category="code")
    )
    stats = OutcomeStats.from_sources(store, ledger, None)
    assert stats.evidence("groq-llama", "code").attempts == 2
    assert stats.evidence("smollm2", "code").rate == 0.0
    store.close()
    ledger.close()
