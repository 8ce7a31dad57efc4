"""Go rules: `gofmt` and `goimports` when they are installed (they are not, on many
machines: then the rules stand aside and `mom doctor` names the missing tool)."""

from __future__ import annotations

from mom_cli.edits.blocks import EditBlock
from mom_cli.rules.registry import RuleContext, rule
from mom_cli.rules.textedit import minimal_block
from mom_cli.rules.tools import find_tool, run_tool
from mom_cli.validate.diagnostics import Diagnostic

GO_TOOLS = ("gofmt", "goimports")


def _pipe(tool: str, source: str, ctx: RuleContext) -> str | None:
    exe = find_tool(tool, ctx.repo)
    if exe is None:
        return None
    result = run_tool([exe], ctx.repo, stdin=source)
    if result is None or result.returncode != 0 or not result.stdout:
        return None
    return result.stdout


@rule("go.goimports", languages=("go",))
def goimports(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """Undefined package / unused import → goimports adds or drops the import."""
    text = diag.message.lower()
    if not ("undefined" in text or "imported and not used" in text or "import" in text):
        return None
    fixed = _pipe("goimports", source, ctx)
    return minimal_block(diag.file, source, fixed) if fixed else None


@rule("go.gofmt", languages=("go",))
def gofmt(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """A formatting diagnostic (gofmt -l / vet) → gofmt's output."""
    if "gofmt" not in diag.message.lower() and diag.code != "format":
        return None
    fixed = _pipe("gofmt", source, ctx)
    return minimal_block(diag.file, source, fixed) if fixed else None
