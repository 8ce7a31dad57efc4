"""A checklist for a milestone that has none: the local model drafts, mom checks.

The model's reply is untrusted. Its items must be small (one line, a few words to a
sentence), distinct, verifiable (no questions, no code fences) and their `(after N)`
references must form an order that can finish - checked by parsing the draft with the
very parser the plan file goes through. A junk reply falls back to a deterministic
checklist made from the milestone's own sentences, so generation never blocks a run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mom_cli.config import MomConfig
from mom_cli.errors import MomError, PlanError, ProviderError
from mom_cli.providers.base import CompletionRequest, ModelCaller
from mom_cli.providers.ladder_call import tier_models
from mom_cli.workflows.milestone.plan import Milestone, parse_plan

MIN_ITEMS, MAX_ITEMS = 1, 8
_LINE = re.compile(r"^\s*(?:[-*+]\s+(?:\[[ xX]?\]\s*)?|\d+[.)]\s+(?:\[[ xX]?\]\s*)?)(.+?)\s*$")
_SENTENCE = re.compile(r"(?<=[.!;])\s+|\n\s*[-*+]\s+|\n{2,}")

_SYSTEM = "You turn a project milestone into a short checklist of small coding tasks."
_PROMPT = """Milestone: {title}

{prose}

Write 2 to 6 checklist items that together finish this milestone. One line each,
starting with "- [ ] ". Each item is one small change that a test can check, and names
the file it changes. If an item needs an earlier one, end it with (after N)."""


@dataclass(frozen=True)
class Checklist:
    items: tuple[str, ...]
    source: str  # "model" | "deterministic"
    note: str = ""  # why the model's draft was rejected, when it was


def validate_items(lines: list[str]) -> list[str]:
    """Cleaned items, or PlanError saying what is wrong with the draft."""
    items = [re.sub(r"\s+", " ", ln).strip() for ln in lines if ln.strip()]
    if not MIN_ITEMS <= len(items) <= MAX_ITEMS:
        raise PlanError(f"expected {MIN_ITEMS} to {MAX_ITEMS} items, got {len(items)}")
    seen: set[str] = set()
    for item in items:
        words = re.findall(r"[A-Za-z]{2,}", item)
        if len(words) < 2 or len(item) > 200:
            raise PlanError(f"item is not a small task: {item!r}")
        if "```" in item or item.endswith("?"):
            raise PlanError(f"item is not a verifiable task: {item!r}")
        if item.lower() in seen:
            raise PlanError(f"duplicate item: {item!r}")
        seen.add(item.lower())
    draft = "## Milestone 1: draft\n" + "".join(f"- [ ] {it}\n" for it in items)
    parse_plan(draft, Path("(generated checklist)"))  # deps exist, no cycles
    return items


def extract_items(reply: str) -> list[str]:
    return [m.group(1) for line in reply.splitlines() if (m := _LINE.match(line))]


def deterministic_checklist(milestone: Milestone) -> list[str]:
    """One item per sentence of the milestone's prose; the title when there is none."""
    sentences = [s.strip(" .;\n-*") for s in _SENTENCE.split(milestone.prose) if s.strip()]
    sentences = [s for s in sentences if len(re.findall(r"[A-Za-z]{2,}", s)) >= 2]
    items = list(dict.fromkeys(sentences))[:MAX_ITEMS]
    return items or [milestone.title or f"Complete milestone {milestone.number}"]


def dry_run_checklist(config: MomConfig, caller: ModelCaller, milestone: Milestone) -> Checklist:
    """What a dry run shows for a milestone without a checklist: no model is called (a dry
    run is free); the items come from the milestone's own sentences, and the note says
    which model drafting would use and what that call is estimated to cost."""
    tier = config.local_models.decomposer
    usable = [m for m in tier_models(config, tier, "structured") if caller.availability(m).ok]
    try:
        items = validate_items(deterministic_checklist(milestone))
    except MomError:
        items = [milestone.title or f"Complete milestone {milestone.number}"]
    if not usable:
        note = f"a real run would draft it with a model, but none is usable on the {tier} tier"
    else:
        prompt = _PROMPT.format(title=milestone.title, prose=milestone.prose or milestone.title)
        tokens_in = (len(prompt) + len(_SYSTEM)) // 4
        cost = config.models[usable[0]].cost_usd(tokens_in, 300)
        note = (
            f"a real run drafts it with {usable[0]} ({tier} tier), estimated "
            f"${cost:.4f} for ~{tokens_in} + 300 tokens; a dry run makes no model call, so "
            "these items are drafted from the milestone's own text"
        )
    return Checklist(tuple(items), "deterministic", note)


async def generate_checklist(
    config: MomConfig, caller: ModelCaller, milestone: Milestone, *, run_id: str = ""
) -> Checklist:
    """Ask the decomposer tier's model for a checklist; fall back when it is junk."""
    tier = config.local_models.decomposer
    usable = [m for m in tier_models(config, tier, "structured") if caller.availability(m).ok]
    note = f"no usable model on the {tier} tier"
    if usable:
        prompt = _PROMPT.format(title=milestone.title, prose=milestone.prose or milestone.title)
        request = CompletionRequest.from_prompt(prompt, system=_SYSTEM, max_tokens=300)
        try:
            reply = await caller.complete(
                request, model=usable[0], run_id=run_id, task_id=f"m{milestone.number}.plan"
            )
            return Checklist(tuple(validate_items(extract_items(reply.content))), "model")
        except PlanError as exc:
            note = f"the model's checklist was rejected: {exc}"
        except ProviderError as exc:
            note = f"the model call failed: {exc}"
    try:
        items = validate_items(deterministic_checklist(milestone))
    except MomError:
        items = [milestone.title or f"Complete milestone {milestone.number}"]
    return Checklist(tuple(items), "deterministic", note)
