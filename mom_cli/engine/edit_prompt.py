"""The prompt an edit step is sent: the instruction, the code it needs, the edit format,
and what failed last time, sized to the model that will read it.

Small local models have ~2k-token windows, so the budget is computed per rung: the reply's
share first, then the fixed parts (instruction, format, feedback), and only what is left
goes to code context. Named small files are sent whole (a model can only copy SEARCH text
it has seen verbatim); the code index fills the rest with ranked excerpts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mom_cli.edits.containment import resolve_repo_path
from mom_cli.edits.parse import EDIT_FORMAT_PROMPT
from mom_cli.errors import MomError
from mom_cli.index.tokens import estimate_tokens
from mom_cli.providers.base import CompletionRequest
from mom_cli.routing.ladder import Feedback
from mom_cli.routing.subtask import SubTask

SYSTEM = (
    "You are a careful software engineer changing files in a repository. Make the "
    "smallest change that does what is asked. Answer with edit blocks only."
)
UPSTREAM_LIMIT = 4000  # characters of each upstream step's output
WHOLE_FILE_CHARS = 4000  # named files up to this size are sent whole
MARGIN_TOKENS = 64  # chat template and separators

# (query, token budget, files in play, files already shown whole) -> ranked excerpts as
# text ("" when unavailable)
ContextSource = Callable[[str, int, Sequence[str], Collection[str]], str]


class _HasOutput(Protocol):
    @property
    def output(self) -> str: ...


@dataclass(frozen=True)
class EditPrompt:
    request: CompletionRequest
    context_tokens: int  # estimated tokens of code context included
    files_shown: tuple[str, ...]  # files sent whole


def reply_tokens(window: int) -> int:
    """Room kept for the reply: a third of the window, between 256 and 2048 tokens."""
    return min(2048, max(256, window // 3))


def edit_prompt(
    repo: Path,
    task: SubTask,
    upstream: Mapping[str, _HasOutput],
    feedback: Feedback,
    *,
    window: int,
    max_context_tokens: int,
    context: ContextSource | None = None,
    run_request: str = "",
    focus: Callable[[int], str] | None = None,
) -> EditPrompt:
    """Build the request for one attempt of an edit step on a model with `window` tokens.

    `focus(budget)`: the located function, its callers and tests (engine.focus); when it
    gives text, that is the code context, instead of whole files and ranked excerpts."""
    head = [f"Task: {task.prompt}"]
    if run_request and run_request.strip() != task.prompt.strip():
        head.insert(0, f"(One part of a larger request: {run_request[:400]})")
    for dep_id, dep in upstream.items():
        head.append(f"\nResult of the earlier step {dep_id}:\n{dep.output[:UPSTREAM_LIMIT]}")
    tail = [EDIT_FORMAT_PROMPT, feedback.as_prompt()]
    max_tokens = reply_tokens(window)
    fixed = estimate_tokens("\n".join(head + tail) + SYSTEM)
    left = min(max_context_tokens, window - max_tokens - fixed - MARGIN_TOKENS)
    focused = focus(left) if focus is not None and left > 50 else ""
    if focused:
        body = ["The code this change is about (verbatim):\n" + focused]
        shown: list[str] = []
        used = estimate_tokens(focused)
    else:
        body, shown, used = _whole_files(repo, task.files, left)
    if context is not None and not focused and left - used > 50:
        excerpts = context(task.prompt, left - used, task.files, shown)
        if excerpts:
            body.append("Relevant code from the repository (excerpts, verbatim):\n" + excerpts)
            used += estimate_tokens(excerpts)
    parts = [*head, *body, *tail]
    prompt = "\n\n".join(p for p in parts if p)
    request = CompletionRequest.from_prompt(
        prompt, system=SYSTEM, max_tokens=max_tokens, temperature=0.1
    )
    return EditPrompt(request, used, tuple(shown))


def _whole_files(repo: Path, names: Sequence[str], budget: int) -> tuple[list[str], list[str], int]:
    """Named existing files, whole, while they fit; a missing one is noted as new."""
    body: list[str] = []
    shown: list[str] = []
    used = 0
    for name in names:
        try:  # the same containment rule as edits: nothing outside the repo is sent
            path, rel = resolve_repo_path(repo, name)
            text = path.read_text(encoding="utf-8") if path.is_file() else None
        except (MomError, OSError, UnicodeDecodeError):
            continue
        if text is None:
            body.append(f"{rel} does not exist yet (create it with an empty SEARCH).")
            continue
        if len(text) >= WHOLE_FILE_CHARS:
            continue  # large: the index excerpts cover it
        piece = f"Current content of {rel}:\n```\n{text.rstrip()}\n```"
        cost = estimate_tokens(piece)
        if piece and used + cost <= budget:
            body.append(piece)
            shown.append(rel)
            used += cost
    return body, shown, used


class IndexContext:
    """A ContextSource over the repository's code index (`mom_cli.index`).

    `refresh()` is slow on a big repo the first time, so it is called once, before any
    step, off the event loop; if the index cannot be built, steps get no excerpts (the
    named files are still sent whole) and `warning` says why.
    """

    def __init__(self, repo: Path) -> None:
        from mom_cli.index.api import CodeIndex

        self.index = CodeIndex(repo)
        self.ready = False
        self.warning = ""

    def refresh(self) -> bool:
        try:
            self.index.refresh()
            self.ready = True
        except Exception as exc:  # tree-sitter/sqlite trouble must not stop an edit
            self.ready, self.warning = False, f"code index unavailable: {exc}"[:200]
        return self.ready

    def __call__(
        self, query: str, budget: int, files: Sequence[str], exclude: Collection[str]
    ) -> str:
        if not self.ready:
            return ""
        try:
            result = self.index.context(query, budget, files_in_play=files)
        except Exception as exc:
            self.warning = f"code index query failed: {exc}"[:200]
            return ""
        return "\n".join(e.text for e in result.excerpts if e.text and e.path not in exclude)
