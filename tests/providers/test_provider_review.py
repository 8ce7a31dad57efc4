"""The local-model diff reviewer: robust score parsing, and the "no opinion" policy."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakes.scripted import ScriptedCaller, always
from git_repos import init_repo
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_cli.config import ModelConfig, load_config
from mom_cli.providers.review import LocalReviewer, UnparseableReview, local_reviewer, parse_review
from mom_cli.validate.pipeline import validate_paths


@pytest.mark.parametrize(
    ("reply", "score", "reason"),
    [
        ("SCORE: 0.9 - looks correct", 0.9, "looks correct"),
        ("score is 0.25, it deletes the guard", 0.25, "it deletes the guard"),
        ("Rating: 8/10. Fine.", 0.8, "Fine."),
        ("I'd give it 7 out of 10 because tests exist", 0.7, "because tests exist"),
        ("85% confident this is right", 0.85, "confident this is right"),
        ('{"score": 0.3, "reason": "breaks add()"}', 0.3, "breaks add()"),
        ("**1** the change is minimal", 1.0, "the change is minimal"),
        ("0.6", 0.6, "no reason given"),
        ("Score: 9", 0.9, "no reason given"),
    ],
)
def test_scores_are_read_from_the_usual_shapes(reply: str, score: float, reason: str) -> None:
    verdict = parse_review(reply)
    assert verdict.score == pytest.approx(score)
    assert verdict.reason == reason and verdict.outcome == "scored"


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "The diff changes line 3 of the file.",
        "```python\ndef add(a, b):\n    return a + b\n```",
        "Score: 12/10",
        "score: 400",
        "3.14.15 version bump",
        '{"score": "high"}',
        '{"score": 1e999}',
    ],
)
def test_junk_is_an_unparseable_review(reply: str) -> None:
    verdict = parse_review(reply)
    assert verdict.score is None and verdict.outcome == "unparseable review"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_reply_is_a_score_in_range_or_unparseable(reply: str) -> None:
    verdict = parse_review(reply)
    assert verdict.score is None or 0.0 <= verdict.score <= 1.0
    assert verdict.reason


def one_reply(reply: str) -> ScriptedCaller:
    """The shared scripted caller: only smollm2 is up, and it always answers `reply`."""
    return ScriptedCaller(usable=("smollm2",), default=always(reply))


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200))
def test_reviewer_on_junk_never_crashes(reply: str) -> None:
    reviewer = LocalReviewer(one_reply(reply), "smollm2")
    try:
        score, reason = reviewer("--- a/x.py\n+++ b/x.py\n@@\n-a\n+b\n")
    except UnparseableReview as exc:
        assert "unparseable review" in str(exc) and "not blocking" in str(exc)
    else:
        assert 0.0 <= score <= 1.0 and reason.startswith("smollm2: ")


def test_local_reviewer_picks_a_usable_local_model() -> None:
    cfg = load_config(environ={}).config
    reviewer = local_reviewer(cfg, one_reply("SCORE: 1"))
    assert reviewer is not None and reviewer.model == "smollm2"
    assert reviewer.window == cfg.models["smollm2"].context_window
    long_diff = "+" + "x" * 50_000
    assert len(reviewer.request(long_diff).messages[-1].content) < 8000  # fits 2k tokens


def test_reviewer_hands_the_call_to_the_runs_event_loop() -> None:
    caller = one_reply("SCORE: 0.95 - fine")

    async def main() -> tuple[float, str]:
        reviewer = LocalReviewer(caller, "smollm2", loop=asyncio.get_running_loop())
        with pytest.raises(RuntimeError):
            reviewer("+x\n")  # on the loop thread it would deadlock: refused
        return await asyncio.to_thread(reviewer, "+x\n")

    assert asyncio.run(main()) == (0.95, "smollm2: fine")


def _repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo", {"a.py": "x = 1\n"}, dirty={"a.py": "x = 2\n"})


@pytest.mark.parametrize(
    ("reply", "passed", "text"),
    [
        ("SCORE: 0.2 - changes the constant for no reason", False, "changes the constant"),
        ("SCORE: 0.9 - ok", True, "score 0.90"),
        ("lorem ipsum", True, "unparseable review"),  # no opinion: pass, with a warning
    ],
)
def test_review_stage_outcomes(tmp_path: Path, reply: str, passed: bool, text: str) -> None:
    cfg = load_config(environ={}).config.validation
    cfg.local_model_review = True
    reviewer = LocalReviewer(one_reply(reply), "smollm2")
    result = validate_paths(
        _repo(tmp_path), ["a.py"], config=cfg, reviewer=reviewer, stages=["syntax", "review"]
    )
    review = next(s for s in result.stages if s.name == "review")
    assert review.passed is passed and result.passed is passed
    shown = review.note + " ".join(d.message for d in review.diagnostics)
    assert text in shown
    if reply == "lorem ipsum":
        assert [d.severity for d in review.diagnostics] == ["warning"]


def test_model_config_is_untouched_by_parsing() -> None:
    assert isinstance(load_config(environ={}).config.models["smollm2"], ModelConfig)
