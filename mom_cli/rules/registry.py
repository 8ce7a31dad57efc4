"""The rule registry: tier 0 of every ladder, repairs proposed without a model.

A rule is a plain function ``(diag, source, ctx) -> EditBlock | None``. It reads one
structured diagnostic and the current text of the file it names, and proposes an edit in
the same form a model would (so it is applied, validated and rolled back like one).
Returning None means "not mine" or "not sure": a rule must refuse rather than guess.

Adding a rule is one decorated function (and one test)::

    @rule("python.missing_colon", languages=("python",))
    def missing_colon(diag, source, ctx): ...
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mom_cli.edits.blocks import EditBlock
from mom_cli.validate.detect import language_of as file_language
from mom_cli.validate.diagnostics import Diagnostic

log = logging.getLogger(__name__)

# Rules name TSX files "typescript" (one rule set); everything else as the validator does.
_RULE_LANGUAGE = {"tsx": "typescript"}


@dataclass
class RuleContext:
    """What a rule may consult besides the diagnostic and the file's text.

    `project_files` lists repo-relative paths of the project's source files (for "defined
    in another module" lookups); `cache` lets rules share expensive results in one pass.
    """

    repo: Path
    project_files: tuple[str, ...] = ()
    cache: dict[str, object] = field(default_factory=dict)

    def read(self, rel: str) -> str | None:
        try:
            return (self.repo / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None


RuleFn = Callable[[Diagnostic, str, RuleContext], EditBlock | None]


@dataclass(frozen=True)
class Rule:
    name: str
    languages: tuple[str, ...]
    fn: RuleFn
    doc: str = ""
    # A strict rule's edit is kept only when validation, tests included, passes afterwards
    # (ruff's unsafe fixes): "fewer diagnostics" is not enough evidence for it.
    strict: bool = False


_RULES: dict[str, Rule] = {}
BUILTIN_MODULES = (
    "python_syntax",
    "python_names",
    "python_attributes",
    "python_ruff",
    "rust",
    "js",
    "go",
    "c_family",
)


def rule(
    name: str, *, languages: Iterable[str], strict: bool = False
) -> Callable[[RuleFn], RuleFn]:
    """Register `fn` under `name` for files of `languages`."""

    def register(fn: RuleFn) -> RuleFn:
        if name in _RULES and _RULES[name].fn is not fn:
            raise ValueError(f"rule {name!r} registered twice")
        doc = (fn.__doc__ or "").strip()
        _RULES[name] = Rule(name, tuple(languages), fn, doc, strict)
        return fn

    return register


def language_of(path: str) -> str:
    language = file_language(path) or ""
    return _RULE_LANGUAGE.get(language, language)


def all_rules() -> list[Rule]:
    _load_builtin_rules()
    return list(_RULES.values())


def rules_for(path: str) -> list[Rule]:
    lang = language_of(path)
    return [r for r in all_rules() if lang and lang in r.languages]


def propose(diag: Diagnostic, source: str, ctx: RuleContext) -> list[tuple[Rule, EditBlock]]:
    """Every edit the registered rules propose for `diag`; a crashing rule proposes nothing.

    Rules read untrusted tool output, so one rule's bug must not stop the tier: it is
    logged and skipped.
    """
    out: list[tuple[Rule, EditBlock]] = []
    for r in rules_for(diag.file):
        try:
            block = r.fn(diag, source, ctx)
        except Exception:  # noqa: BLE001 - a buggy rule must not break the run
            log.exception("rule %s crashed on %s", r.name, diag.location())
            continue
        if block is not None and block.search != block.replace:
            out.append((r, block))
    return out


def _load_builtin_rules() -> None:
    """Import the per-language modules once so their decorators run."""
    import importlib

    for name in BUILTIN_MODULES:
        importlib.import_module(f"mom_cli.rules.{name}")
