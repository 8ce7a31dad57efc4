"""Does a request (or one of its steps) ask mom to change the repository?

Deliberately conservative, because a wrong "yes" lets a model write into the user's files:
a run edits only when the request is phrased as an instruction (not a question), uses an
edit verb, and is about code (code category, or it names files or symbols). Within an
edit run, a step edits by the same test applied to its own prompt, and never when it is an
explanation ("…and explain the differences" stays an answer).
"""

from __future__ import annotations

import re

from mom_cli.routing.analyzer import Plan
from mom_cli.routing.classify import mentions
from mom_cli.routing.subtask import SubTask

EDIT_VERB = re.compile(
    r"\b(add|fix|implement|change|rename|refactor|remove|delete|update|create|write|"
    r"replace|modify|convert|move|extract|rewrite|correct|handle|support|introduce|"
    r"bump|make|patch|repair|clean ?up|sort|reformat|annotate)\b",
    re.IGNORECASE,
)
QUESTION = re.compile(
    r"^\W*(what|why|how|when|where|who|which|whose|explain|describe|is|are|was|were|does|"
    r"do|did|can|could|should|would|will|tell me|summari[sz]e|show me|list|compare|"
    r"review|analy[sz]e|translate)\b",
    re.IGNORECASE,
)
_PROSE_CATEGORIES = {"creative", "translation", "summarization", "factual"}


def is_question(text: str) -> bool:
    """A question or a request for an explanation, which must never edit files."""
    stripped = text.strip()
    return bool(QUESTION.match(stripped)) or stripped.endswith("?")


def wants_edits(request: str, plan: Plan) -> bool:
    """Whether `mom run` should apply edits for this request (else it only answers)."""
    if is_question(request) or not EDIT_VERB.search(request):
        return False
    needs = plan.context_needs
    if "code" in plan.categories or needs.files:
        return True
    return bool(needs.symbols) and plan.category not in _PROSE_CATEGORIES


def is_edit_step(task: SubTask) -> bool:
    """Within an edit run: whether this step's reply must be edit blocks. The same test as
    `wants_edits`, for one step: a code step, one naming files, or an instruction naming a
    code symbol ("add a docstring to bytes_to_int" made an edit run whose only step was
    answered in prose and "passed" with nothing changed)."""
    if is_question(task.prompt):
        return False
    if task.category == "code" or task.files:
        return True
    return (
        task.category not in _PROSE_CATEGORIES
        and bool(EDIT_VERB.search(task.prompt))
        and bool(mentions(task.prompt)[1])
    )
