"""RequestAnalyzer: decide passthrough / compiled / compete, and describe the request.

Deterministic by default (keywords, separators, mentions, size) because it runs before
every request and must stay far below a millisecond. `refine` lets the local model
re-label the category of an ambiguous request when `routing.model_assisted_analysis` is on.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from mom_cli.config import CATEGORIES, MomConfig
from mom_cli.errors import MomError
from mom_cli.providers.base import CompletionRequest, ModelCaller
from mom_cli.routing import classify as cl
from mom_cli.routing.split import split_request

PlanKind = Literal["passthrough", "compiled", "compete"]
# Parts that ask for judgement rather than work: several models' views help, not splitting.
_DELIBERATION = re.compile(
    r"^(what|which|how|should|is|are|would|could|why|compare|explain|recommend|evaluate|"
    r"assess|weigh|discuss|suggest|propose|give me|list)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ContextNeeds:
    """What the steps need besides the prompt: named files/symbols, pasted code."""

    files: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    code_blocks: int = 0
    repo_context: bool = False  # whether the code index should be consulted


@dataclass(frozen=True)
class Plan:
    kind: PlanKind
    complexity: str  # trivial | simple | medium | complex
    categories: tuple[str, ...]  # primary first
    estimated_tokens: int  # of the request itself
    context_needs: ContextNeeds
    quality: str  # normal | critical
    multiple_outputs: bool
    task_type: str  # which [tiers] ladder applies
    parts: tuple[str, ...]  # the deterministic split (one entry for passthrough)
    reasons: tuple[str, ...] = ()
    source: str = "rules"  # "rules" | "rules+model"

    @property
    def category(self) -> str:
        return self.categories[0]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["category"] = self.category
        return data


class RequestAnalyzer:
    """Stateless apart from config; cheap to build, safe to share."""

    def __init__(self, config: MomConfig | None = None) -> None:
        self.config = config

    def analyze(self, request: str) -> Plan:
        text = request.strip()
        parts, _context = split_request(text)
        tokens = cl.estimate_tokens(text)
        files, symbols = cl.mentions(text)
        code_blocks = text.count("```") // 2 + (text.count("```") % 2)
        complexity = cl.complexity_of(
            text, tokens=tokens, files=len(files), code_blocks=code_blocks
        )
        quality = "critical" if cl.is_critical(text) else "normal"
        categories = _categories(text, [p.text for p in parts])
        multiple = cl.asks_multiple(text)
        reasons = [f"~{tokens} tokens, complexity {complexity}", f"category {categories[0]}"]
        if quality == "critical":
            reasons.append("quality critical (security/production/money keywords)")
        kind: PlanKind = "passthrough"
        open_question = (cl.is_ambiguous(text) or multiple) and complexity in ("medium", "complex")
        if open_question and all(_DELIBERATION.match(p.text) for p in parts):
            kind = "compete"
            reasons.append("open question with several defensible answers: compete")
        elif len(parts) >= 2:
            kind = "compiled"
            joins = sorted({p.connector for p in parts[1:]})
            reasons.append(f"{len(parts)} separate jobs (joined by {', '.join(joins)})")
        else:
            reasons.append("one job: passthrough")
        needs = ContextNeeds(
            files=files,
            symbols=symbols,
            code_blocks=code_blocks,
            repo_context=bool(files or symbols) or categories[0] == "code",
        )
        return Plan(
            kind=kind,
            complexity=complexity,
            categories=categories,
            estimated_tokens=tokens,
            context_needs=needs,
            quality=quality,
            multiple_outputs=multiple,
            task_type=cl.task_type_of(text, complexity, quality),
            parts=tuple(p.text for p in parts),
            reasons=tuple(reasons),
        )

    async def refine(self, plan: Plan, request: str, caller: ModelCaller, model: str) -> Plan:
        """Ask the local model for the category when the keyword result is weak.

        Only a reply naming one of the eight categories is accepted; anything else (or any
        provider error) leaves the plan unchanged, so this can never make routing worse
        than the deterministic path by more than one category label.
        """
        if plan.category != "general" and len(plan.categories) < 3:
            return plan
        prompt = (
            "Classify the request into exactly one of: "
            + ", ".join(CATEGORIES)
            + f".\nRequest: {request[:800]}\nAnswer with the single category word."
        )
        try:
            reply = await caller.complete(
                CompletionRequest.from_prompt(prompt, max_tokens=8, temperature=0.0),
                model=model,
                task_id="analyze",
            )
        except MomError:
            return plan
        match = re.search(r"[a-z]+", reply.content.lower())
        label = match.group(0) if match else ""
        if label not in CATEGORIES or label == plan.category:
            return plan
        categories = (label, *[c for c in plan.categories if c != label])
        return replace(
            plan,
            categories=categories,
            source="rules+model",
            reasons=(*plan.reasons, f"local model relabelled the category as {label}"),
        )


def _categories(text: str, parts: list[str]) -> tuple[str, ...]:
    """Primary category of the whole request, then those of its parts, then runners-up."""
    scores = cl.category_scores(text)
    ranked = cl.rank_categories(text, scores=scores)
    out = [ranked[0]]
    for part in parts if len(parts) > 1 else []:
        cat = cl.classify(part, default=ranked[0])
        if cat not in out:
            out.append(cat)
    top = scores.get(ranked[0], 0.0)
    out.extend(c for c in ranked[1:] if scores.get(c, 0.0) >= top / 2 and c not in out)
    return tuple(out)


_DEFAULT = RequestAnalyzer()


def analyze(request: str, config: MomConfig | None = None) -> Plan:
    """The deterministic analysis `mom ask`, `mom run` and the TUI share."""
    analyzer = _DEFAULT if config is None else RequestAnalyzer(config)
    return analyzer.analyze(request)
