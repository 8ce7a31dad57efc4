"""The local tier as a diff reviewer: `validate`'s review stage and the pre-commit hook.

`validation.local_model_review` (runs) and `validation.hook_use_model` (the hook) hand a
`LocalReviewer` to the validator as its `reviewer(diff) -> (score 0..1, reason)`. The
validator never imports providers; this module is the bridge.

The reply is untrusted text from a small model, so `parse_review` accepts only a number
that is clearly a score (labelled "score: 0.8", a fraction "8/10", a percentage, JSON
{"score": …}, or a reply that starts with the number) and never raises.

Policy for an unparseable reply: **no opinion, counts as a pass, with a warning.** A 135M
model usually answers with junk; failing every change on that would make the review stage
a coin flip that blocks good work, while the deterministic stages (syntax, build, tests,
lint) still judge the change. The reviewer raises `UnparseableReview`, which the review
stage reports as "review unavailable: unparseable review …" and passes.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from mom_cli.config import MomConfig
from mom_cli.providers.base import Completion, CompletionRequest, ModelCaller

LOCAL_TIER = "local"
SYSTEM = "You are a strict code reviewer. You answer with a score and one short reason."
PROMPT = (
    "Review this code change. Is it correct, safe and limited to what it should change?\n"
    "Reply with exactly one line: SCORE: <a number from 0 to 1> - <short reason>\n"
    "1 means clearly correct, 0 means broken or harmful.\n\n"
    "```diff\n{diff}\n```"
)
REPLY_TOKENS = 64
TIMEOUT_SECONDS = 300.0

_NUM = r"(\d{1,3}(?:\.\d+)?|\.\d+)(?!\w|\.\d)"  # a whole number: not 1e9, 3.1.4
_JSON_OBJECT = re.compile(r"\{[^{}]*\}")
_LABELLED = re.compile(
    rf"\b(?:score|rating|grade)\b\W{{0,3}}(?:is|of|=)?\s*{_NUM}(?:\s*(/|out of)\s*{_NUM})?",
    re.IGNORECASE,
)
_FRACTION = re.compile(rf"(?<![\w.]){_NUM}\s*(?:/|out of)\s*(10|100|5|1)\b", re.IGNORECASE)
_PERCENT = re.compile(rf"(?<![\w.]){_NUM}\s*%")
_LEADING = re.compile(rf"^\W{{0,3}}{_NUM}(?=\s|$|[-–—:,;)*])")


class UnparseableReview(ValueError):
    """The model's reply held no usable score; the review stage treats it as no opinion."""


@dataclass(frozen=True)
class ReviewVerdict:
    score: float | None  # 0..1, or None when the reply could not be read
    reason: str
    raw: str

    @property
    def outcome(self) -> str:
        return "scored" if self.score is not None else "unparseable review"


def parse_review(text: str) -> ReviewVerdict:
    """Read a score in [0, 1] and a reason from untrusted model output; never raises."""
    raw = text if isinstance(text, str) else ""
    body = raw.strip()
    found = _json_score(body)
    if found is None:
        score, end = _regex_score(body)
        if score is not None:
            rest = re.sub(r"^[\s\-–—:,;.)*]+", "", body[end:]).splitlines()
            found = score, (rest[0] if rest else "")
    if found is None:
        return ReviewVerdict(None, "unparseable review (no score found)", raw[:300])
    score, reason = found
    return ReviewVerdict(score, reason.strip()[:200] or "no reason given", raw[:300])


def _json_score(body: str) -> tuple[float, str] | None:
    """{"score": 0.7, "reason": "..."} anywhere in the reply."""
    for match in _JSON_OBJECT.finditer(body):
        try:
            data = json.loads(match.group(0))
            value = data.get("score") if isinstance(data, dict) else None
            number = float(value) if isinstance(value, (int, float)) else None
        except (ValueError, RecursionError, OverflowError):
            continue
        score = None if number is None or isinstance(value, bool) else _normalise(number, None)
        if score is not None:
            reason = data.get("reason")
            return score, reason if isinstance(reason, str) else ""
    return None


def _regex_score(body: str) -> tuple[float | None, int]:
    match = _LABELLED.search(body)
    if match:
        den = float(match.group(3)) if match.group(3) else None
        return _normalise(float(match.group(1)), den), match.end()
    match = _FRACTION.search(body)
    if match:
        return _normalise(float(match.group(1)), float(match.group(2))), match.end()
    match = _PERCENT.search(body)
    if match:
        return _normalise(float(match.group(1)), 100.0), match.end()
    match = _LEADING.search(body)
    if match:
        return _normalise(float(match.group(1)), None), match.end()
    return None, 0


def _normalise(value: float, denominator: float | None) -> float | None:
    """A score in [0, 1]; bare numbers above 1 are read as out of 10 or out of 100."""
    if denominator is not None:
        if denominator <= 0 or value > denominator:
            return None
        return value / denominator
    if 0.0 <= value <= 1.0:
        return value
    if value <= 10.0:
        return value / 10.0
    if value <= 100.0:
        return value / 100.0
    return None


def pick_local_model(config: MomConfig, caller: ModelCaller) -> str | None:
    """The usable local-tier model best at code, or None when none answers here."""
    models = config.models_in_tier(LOCAL_TIER)
    usable = [n for n in models if caller.availability(n).ok]
    if not usable:
        return None
    return max(usable, key=lambda n: (models[n].affinity_for("code"), n))


class LocalReviewer:
    """`Reviewer` over a ModelCaller; synchronous because the validator is.

    With `loop` (the run's event loop) the call is handed to that loop, so it shares the
    run's provider pool; call it from a worker thread then, never from the loop itself.
    Without `loop` (the pre-commit hook) each review runs its own short event loop.
    """

    def __init__(
        self,
        caller: ModelCaller,
        model: str,
        *,
        window: int = 2048,
        loop: asyncio.AbstractEventLoop | None = None,
        run_id: str = "",
    ) -> None:
        self.caller = caller
        self.model = model
        self.window = window
        self.loop = loop
        self.run_id = run_id
        self.last: ReviewVerdict | None = None

    def request(self, diff: str) -> CompletionRequest:
        limit = max(800, (self.window - REPLY_TOKENS - 200) * 3)  # ~3 characters per token
        shown = diff if len(diff) <= limit else diff[:limit] + "\n… (diff trimmed)"
        return CompletionRequest.from_prompt(
            PROMPT.format(diff=shown), system=SYSTEM, max_tokens=REPLY_TOKENS, temperature=0.0
        )

    def __call__(self, diff: str) -> tuple[float, str]:
        if not diff.strip():
            return 1.0, "empty diff: nothing to review"
        coro = self.caller.complete(
            self.request(diff), model=self.model, run_id=self.run_id, task_id="review"
        )
        completion = self._run(coro)
        verdict = parse_review(completion.content)
        self.last = verdict
        if verdict.score is None:
            snippet = " ".join(completion.content.split())[:80]
            raise UnparseableReview(
                f"unparseable review from {self.model} (no opinion, not blocking): {snippet!r}"
            )
        return verdict.score, f"{self.model}: {verdict.reason}"

    def _run(self, coro: Coroutine[Any, Any, Completion]) -> Completion:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # no loop in this thread: the normal case (worker thread or the hook)
        else:
            coro.close()
            raise RuntimeError("LocalReviewer blocks; call it off the event loop thread")
        if self.loop is not None and self.loop.is_running():
            return asyncio.run_coroutine_threadsafe(coro, self.loop).result(TIMEOUT_SECONDS)
        return asyncio.run(coro)


def local_reviewer(
    config: MomConfig,
    caller: ModelCaller,
    *,
    loop: asyncio.AbstractEventLoop | None = None,
    run_id: str = "",
) -> LocalReviewer | None:
    """A reviewer on the best usable local model, or None when the local tier is down."""
    model = pick_local_model(config, caller)
    if model is None:
        return None
    window = config.models[model].context_window
    return LocalReviewer(caller, model, window=window, loop=loop, run_id=run_id)


def hook_reviewer(config: MomConfig) -> LocalReviewer | None:
    """For the pre-commit hook (`validation.hook_use_model`): its own pool and the ledger."""
    from mom_cli.ledger.store import Ledger
    from mom_cli.providers.pool import ProviderPool

    return local_reviewer(config, ProviderPool(config, ledger=Ledger()), run_id="pre-commit")
