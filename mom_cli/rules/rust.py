"""Rust rules: rustc's and clippy's own suggestions marked `MachineApplicable`, and
rustc's one "similar name exists" suggestion for a misspelt name.

These are the suggestions `cargo fix` / `cargo clippy --fix` would apply. The rule runs
cargo with `--message-format=json` in the project, picks the message at the diagnostic's
file and line, and turns its machine-applicable replacements into one edit (checked and
rolled back by the engine like any other). rustc marks its "a local variable with a
similar name exists" (E0425 and kin) `MaybeIncorrect`; when it offers exactly one such
name it is taken too, as the Python rules follow CPython's "Did you mean": the build and
the tests judge it, and a misspelt `count` otherwise went to a model (rapidfuzz/strsim-rs).
Without cargo, the rule stands aside.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from mom_cli.edits.blocks import EditBlock
from mom_cli.rules.registry import RuleContext, rule
from mom_cli.rules.textedit import minimal_block
from mom_cli.rules.tools import find_tool, run_tool
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.parsers import cargo_messages as compiler_messages

CARGO_TIMEOUT = 300.0


def cargo_messages(ctx: RuleContext, subcommand: str, source: str) -> list[dict[str, Any]]:
    """cargo's compiler messages for the project (cached per pass and file text)."""
    key = f"cargo.{subcommand}:{hashlib.sha1(source.encode()).hexdigest()}"
    cached = ctx.cache.get(key)
    if isinstance(cached, list):
        return cached
    cargo = find_tool("cargo", ctx.repo)
    messages: list[dict[str, Any]] = []
    if cargo is not None and (ctx.repo / "Cargo.toml").is_file():
        argv = [cargo, subcommand, "--all-targets", "--message-format=json", "--quiet"]
        result = run_tool(argv, ctx.repo, timeout=CARGO_TIMEOUT)
        messages = list(compiler_messages(result.stdout if result else ""))
    ctx.cache[key] = messages
    return messages


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _replacements(message: dict[str, Any], file: str) -> list[tuple[int, int, str]]:
    spans = list(message.get("spans", []))
    for child in message.get("children", []):
        spans += child.get("spans", [])
    out = []
    for span in spans:
        if (
            span.get("suggestion_applicability") == "MachineApplicable"
            and span.get("suggested_replacement") is not None
            and span.get("file_name") == file
        ):
            out.append(
                (int(span["byte_start"]), int(span["byte_end"]), span["suggested_replacement"])
            )
    return out or _similar_name(message, file)


def _similar_name(message: dict[str, Any], file: str) -> list[tuple[int, int, str]]:
    """rustc's single "… with a similar name exists" rename, though `MaybeIncorrect`."""
    found = [
        span
        for child in message.get("children", [])
        if "similar name" in str(child.get("message", ""))
        for span in child.get("spans", [])
        if span.get("suggested_replacement") is not None
    ]
    if len(found) != 1 or found[0].get("file_name") != file:
        return []
    span = found[0]
    name = str(span["suggested_replacement"])
    if not _IDENT.match(name) or span.get("suggestion_applicability") != "MaybeIncorrect":
        return []
    return [(int(span["byte_start"]), int(span["byte_end"]), name)]


def _at(message: dict[str, Any], diag: Diagnostic) -> bool:
    primary = [s for s in message.get("spans", []) if s.get("is_primary")]
    return any(
        s.get("file_name") == diag.file and (not diag.line or s.get("line_start") == diag.line)
        for s in primary
    )


def apply_replacements(source: str, edits: list[tuple[int, int, str]]) -> str | None:
    """Byte-offset replacements (rustc's unit) applied back to front; None on overlap."""
    data = source.encode("utf-8")
    last = len(data) + 1
    for start, end, text in sorted(set(edits), reverse=True):
        if end > last or start > end or end > len(data):
            return None
        data = data[:start] + text.encode("utf-8") + data[end:]
        last = start
    return data.decode("utf-8")


def _suggested(
    diag: Diagnostic, source: str, ctx: RuleContext, subcommand: str
) -> EditBlock | None:
    if not diag.file.endswith(".rs"):
        return None
    for message in cargo_messages(ctx, subcommand, source):
        if not _at(message, diag):
            continue
        edits = _replacements(message, diag.file)
        if not edits:
            continue
        new = apply_replacements(source, edits)
        if new is not None and new != source:
            return minimal_block(diag.file, source, new)
    return None


@rule("rust.rustc_suggestion", languages=("rust",))
def rustc_suggestion(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """A rustc error/warning with a MachineApplicable suggestion → apply it (`cargo fix`)."""
    if diag.tool == "clippy":
        return None
    return _suggested(diag, source, ctx, "check")


@rule("rust.clippy_suggestion", languages=("rust",))
def clippy_suggestion(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """A clippy lint with a MachineApplicable suggestion → apply it (`cargo clippy --fix`)."""
    if diag.tool != "clippy":
        return None
    return _suggested(diag, source, ctx, "clippy")
