"""What a milestone item's model call is sent, and how its reply becomes edit blocks.

Two prompt styles, chosen by the model's context window: small local models get one file
at a time in whole-file form with a single worked example (a 135M model copies a pattern
far better than it follows instructions); larger models get the search/replace format.
Context is targeted: the files the item names (or, failing that, the repo's file list),
never the whole tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.parse import EDIT_FORMAT_PROMPT, parse_edit_blocks
from mom_cli.errors import EditError
from mom_cli.providers.base import CompletionRequest, Message

SMALL_CONTEXT = 8192  # below this context window a model gets the whole-file style
MAX_FILE_CHARS = 6000
_PATH = re.compile(
    r"(?<![\w/.])((?:[\w.-]+/)*[\w-]+\.(?:py|pyi|toml|md|txt|json|cfg|ini|"
    r"rs|go|js|ts|tsx|java|c|h|cpp|hpp|yaml|yml))\b"
)
_SKIP_DIRS = {".git", ".mom", ".venv", "venv", "node_modules", "__pycache__", "target", "dist"}

_SYSTEM_SMALL = "You edit Python files. Reply with the complete new file in one code block."
_SHOT_USER = (
    'Task: Add a module-level constant NAME = "demo" to pkg/info.py\n\n'
    'Current pkg/info.py:\n```python\n"""Package information."""\n```'
)
_SHOT_REPLY = '```python\n"""Package information."""\n\nNAME = "demo"\n```'
_SYSTEM_LARGE = (
    "You are a careful senior engineer implementing one checklist item of a project "
    "milestone. Make the smallest complete change that does the item, keep the project's "
    "style, and make sure its build, tests and lint still pass.\n\n" + EDIT_FORMAT_PROMPT
)


@dataclass(frozen=True)
class ItemContext:
    files: tuple[str, ...]  # repo-relative files the item names (existing or to create)
    text: str  # the context block for the prompt


def mentioned_files(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(1).lstrip("./") for m in _PATH.finditer(text)))


def targeted_context(repo: Path, item_text: str, extra: tuple[str, ...] = ()) -> ItemContext:
    """The files the item names, with their current content (or a note they don't exist)."""
    files = [f for f in [*extra, *mentioned_files(item_text)] if _inside(repo, f)]
    files = list(dict.fromkeys(files))
    parts = []
    for rel in files:
        path = repo / rel
        if path.is_file():
            body = path.read_text(encoding="utf-8", errors="replace")[:MAX_FILE_CHARS]
            parts.append(f"Current {rel}:\n```{_lang(rel)}\n{body.rstrip()}\n```")
        else:
            parts.append(f"{rel} does not exist yet.")
    if not files:
        parts.append("Repository files:\n" + "\n".join(repo_files(repo)[:60]))
    return ItemContext(tuple(files), "\n\n".join(parts))


def repo_files(repo: Path) -> list[str]:
    out = []
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if path.is_file():
            out.append(rel.as_posix())
    return out


def _inside(repo: Path, rel: str) -> bool:
    try:
        return (repo / rel).resolve().is_relative_to(repo.resolve())
    except OSError:
        return False


def _lang(rel: str) -> str:
    return {"py": "python", "rs": "rust", "js": "javascript", "ts": "typescript"}.get(
        rel.rsplit(".", 1)[-1], ""
    )


def build_request(
    item_text: str,
    context: ItemContext,
    *,
    small: bool,
    milestone_title: str = "",
    feedback: str = "",
    done_before: tuple[str, ...] = (),
) -> CompletionRequest:
    """The request for one attempt; `feedback` is the previous attempt's diagnostics."""
    task = f"Task: {item_text}"
    if small:
        user = f"{task}\n\n{context.text}"
        if feedback:
            user += f"\n\nThe previous attempt failed:\n{feedback[:600]}"
        messages = (
            Message("system", _SYSTEM_SMALL),
            Message("user", _SHOT_USER),
            Message("assistant", _SHOT_REPLY),
            Message("user", user),
        )
        return CompletionRequest(messages=messages, max_tokens=400, temperature=0.2)
    lines = [f"Milestone: {milestone_title}"] if milestone_title else []
    if done_before:
        lines.append("Already done (do not redo): " + "; ".join(done_before))
    lines += [task, "", context.text]
    if feedback:
        lines += ["", "Your previous attempt was rolled back because:", feedback]
    return CompletionRequest.from_prompt("\n".join(lines), system=_SYSTEM_LARGE, max_tokens=2048)


def test_request(
    item_text: str, test_path: str, context: ItemContext, *, small: bool, feedback: str = ""
) -> CompletionRequest:
    """Ask for a pytest file that checks the item and fails until it is implemented."""
    ask = (
        f"Write the pytest file {test_path} with tests that check this item: {item_text}\n"
        "Only write tests. They must fail now, because the item is not implemented yet, and "
        "pass once it is. Import what the item creates inside the test functions."
    )
    if feedback:
        ask += f"\n\nThe previous test file was rejected:\n{feedback[:800]}"
    if small:
        body = f"{ask}\n\n{context.text}\n\nReply with the whole {test_path} in one code block."
        return CompletionRequest.from_prompt(body, system=_SYSTEM_SMALL, max_tokens=400)
    return CompletionRequest.from_prompt(
        f"{ask}\n\n{context.text}", system=_SYSTEM_LARGE, max_tokens=2048
    )


_FENCED = re.compile(r"^[ \t]*(```|~~~)[\w+#.-]*[ \t]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.M | re.S)


def reply_to_blocks(reply: str, target_files: tuple[str, ...]) -> list[EditBlock]:
    """Edit blocks from a reply; raises EditError with a `detail` for the retry prompt.

    Small models often drop the path line. When the item names exactly one file and the
    reply holds exactly one code block, that block is taken as the file's whole content:
    it is untrusted like any other edit and is judged by the validator all the same.
    """
    blocks = parse_edit_blocks(reply)
    if not blocks and len(target_files) == 1:
        fenced = _FENCED.findall(reply)
        if len(fenced) == 1 and fenced[0][1].strip():
            body = fenced[0][1]
            blocks = [
                EditBlock(
                    target_files[0],
                    "",
                    body if body.endswith("\n") else body + "\n",
                    whole_file=True,
                )
            ]
    if not blocks:
        raise EditError(
            "the reply held no edit",
            detail="Your reply contained no edit block. Reply with the file path and the code.",
        )
    return blocks
