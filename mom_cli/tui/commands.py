"""Slash commands typed in the request box; anything else is a request for `mom run`."""

from __future__ import annotations

from dataclasses import dataclass

HELP = {
    "/fix": "make build, tests and lint pass (mom fix-build)",
    "/milestone N": "run milestone N, its checklist ticking live",
    "/ask PROMPT": "one routed question (mom ask)",
    "/context QUERY": "preview what a step about QUERY would be sent",
    "/undo": "revert mom's last run (mom undo)",
    "/cost": "spend per tier and model, savings vs the top tier",
    "/doctor": "which tiers and tools are usable here, and why not",
    "/help": "this list",
}
EDITING = {"run", "fix", "milestone", "undo"}
CANCELLABLE = EDITING | {"ask"}  # Ctrl+C stops these (the others are quick and read-only)


@dataclass(frozen=True)
class Command:
    name: str  # run | fix | milestone | ask | context | undo | cost | doctor | help
    arg: str = ""
    error: str = ""


def parse(text: str) -> Command:
    """'/milestone 3' → Command('milestone', '3'); plain text → Command('run', text)."""
    text = text.strip()
    if not text.startswith("/"):
        return Command("run", text)
    head, _, rest = text[1:].partition(" ")
    name, arg = head.lower(), rest.strip()
    if name in ("fix", "undo", "cost", "doctor", "help"):
        return Command(name, arg)
    if name == "milestone":
        if not arg.isdigit():
            return Command(name, arg, "usage: /milestone N (N is the milestone's number)")
        return Command(name, arg)
    if name in ("ask", "context"):
        if not arg:
            return Command(name, arg, f"usage: /{name} {'PROMPT' if name == 'ask' else 'QUERY'}")
        return Command(name, arg)
    return Command(name, arg, f"unknown command /{name}; /help lists them")
