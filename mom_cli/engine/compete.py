"""Compete mode: the same step on N models at once, then one answer out.

Judging, surest first: for code with a validator, the validator decides (first passing
answer, ties broken by rubric); otherwise a critic model writes the best answer from all
of them (Mixture-of-Agents); if there is no critic or it fails, a vote: the answer that
agrees most with the others wins (consensus), with a small rubric as tie-breaker.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from mom_cli.errors import Action, MomError
from mom_cli.providers.base import Completion, CompletionRequest, ModelCaller
from mom_cli.routing.ladder import Rung

Validator = Callable[[Completion], Awaitable[bool]]

CRITIC_SYSTEM = (
    "Several assistants answered the same request. Write the single best answer: keep what "
    "is correct, fix what is wrong, resolve contradictions, and do not mention the assistants."
)
_WORD = re.compile(r"[a-z0-9_]{3,}")


@dataclass(frozen=True)
class Entry:
    rung: Rung
    completion: Completion | None
    error: str = ""
    score: float = 0.0
    passed: bool | None = None  # validator verdict when one ran


@dataclass(frozen=True)
class CompeteResult:
    text: str
    method: str  # "validator" | "critic" | "vote" | "single" | "none"
    winner: Completion | None  # the chosen answer, or the critic's synthesis
    entries: tuple[Entry, ...]
    critic: Completion | None = None

    @property
    def contributors(self) -> list[Completion]:
        """Completions whose text shaped the result (all answers when a critic merged them)."""
        if self.critic is not None:
            return [e.completion for e in self.entries if e.completion] + [self.critic]
        return [self.winner] if self.winner else []


def rubric(answer: str, prompt: str, *, code: bool, truncated: bool) -> float:
    """Cheap deterministic quality signal: coverage of the prompt's words, shape, length."""
    if not answer.strip():
        return 0.0
    wanted = set(_WORD.findall(prompt.lower()))
    got = set(_WORD.findall(answer.lower()))
    coverage = len(wanted & got) / len(wanted) if wanted else 0.5
    score = 0.5 * coverage + 0.3 * min(1.0, len(answer) / 400)
    if code:
        score += 0.2 if "```" in answer or "def " in answer or "{" in answer else 0.0
    else:
        score += 0.2
    return score - (0.3 if truncated else 0.0)


def consensus(texts: Sequence[str]) -> list[float]:
    """Mean Jaccard similarity of each answer's word set to every other answer's."""
    sets = [set(_WORD.findall(t.lower())) for t in texts]
    out = []
    for i, a in enumerate(sets):
        sims = [len(a & b) / len(a | b) if a | b else 0.0 for j, b in enumerate(sets) if j != i]
        out.append(sum(sims) / len(sims) if sims else 0.0)
    return out


async def compete(
    request: CompletionRequest,
    rungs: Sequence[Rung],
    caller: ModelCaller,
    *,
    category: str = "general",
    validator: Validator | None = None,
    critic: str | None = None,
    run_id: str = "",
    task_id: str = "",
) -> CompeteResult:
    async def ask(rung: Rung) -> Completion:
        return await caller.complete(request, model=rung.model, run_id=run_id, task_id=task_id)

    replies = await asyncio.gather(*(ask(r) for r in rungs), return_exceptions=True)
    prompt = request.messages[-1].content if request.messages else ""
    entries: list[Entry] = []
    for rung, reply in zip(rungs, replies, strict=True):
        if isinstance(reply, MomError) and reply.action == Action.STOP:
            raise reply
        if isinstance(reply, BaseException):
            entries.append(Entry(rung, None, f"{type(reply).__name__}: {reply}"))
            continue
        score = rubric(
            reply.content,
            prompt,
            code=category == "code",
            truncated=reply.finish_reason == "length",
        )
        entries.append(Entry(rung, reply, score=score))
    good = [e for e in entries if e.completion and e.completion.content.strip()]
    if not good:
        return CompeteResult("", "none", None, tuple(entries))
    if len(good) == 1:
        win = good[0].completion
        return CompeteResult(win.content if win else "", "single", win, tuple(entries))
    if validator is not None and category == "code":
        judged = []
        for e in good:
            assert e.completion is not None
            judged.append(
                Entry(e.rung, e.completion, e.error, e.score, await validator(e.completion))
            )
        best = max(judged, key=lambda e: (bool(e.passed), e.score))
        win = best.completion
        return CompeteResult(win.content if win else "", "validator", win, tuple(judged))
    if critic:
        merged = await _critique(caller, critic, prompt, good, run_id, task_id)
        if merged is not None:
            return CompeteResult(merged.content, "critic", merged, tuple(entries), critic=merged)
    votes = consensus([e.completion.content for e in good if e.completion])
    ranked = sorted(zip(good, votes, strict=True), key=lambda p: p[1] + 0.1 * p[0].score)
    win = ranked[-1][0].completion
    return CompeteResult(win.content if win else "", "vote", win, tuple(entries))


async def _critique(
    caller: ModelCaller,
    critic: str,
    prompt: str,
    answers: Sequence[Entry],
    run_id: str,
    task_id: str,
) -> Completion | None:
    body = "\n\n".join(
        f"### Answer {i} ({e.rung.model})\n{e.completion.content if e.completion else ''}"
        for i, e in enumerate(answers, start=1)
    )
    request = CompletionRequest.from_prompt(
        f"Request:\n{prompt}\n\n{body}\n\nWrite the best answer.",
        system=CRITIC_SYSTEM,
        max_tokens=4096,
    )
    try:
        merged = await caller.complete(request, model=critic, run_id=run_id, task_id=task_id)
    except MomError as exc:
        if exc.action == Action.STOP:
            raise
        return None
    return merged if merged.content.strip() else None
