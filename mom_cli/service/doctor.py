"""Doctor data: which tiers, providers, models and tools are usable here, and why not.

`doctor_report` is what `mom doctor --json` prints and what the TUI's tier line shows.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mom_cli.config import MomConfig
    from mom_cli.providers.pool import ProviderPool


# Tools later stages use: (name, what needs it). clippy is a cargo subcommand.
TOOLS: tuple[tuple[str, str], ...] = (
    ("git", "checkpoints and undo"),
    ("ruff", "Python lint"),
    ("cargo", "Rust build/test"),
    ("rustc", "Rust syntax"),
    ("clippy", "Rust lint"),
    ("node", "JavaScript syntax/tests"),
    ("npm", "JavaScript tests (npm test)"),
    ("tsc", "TypeScript build"),
    ("eslint", "JavaScript lint"),
    ("go", "Go build/test"),
    ("gofmt", "Go syntax"),
    ("goimports", "Go imports"),
    ("javac", "Java build"),
    ("mvn", "Java tests"),
)


def _tool_present(name: str, root: Path | None = None) -> bool:
    """On PATH or beside mom; eslint and tsc also in the project's node_modules/.bin,
    where the validator finds them (commander.js: "tools missing: tsc, eslint" while
    `mom validate` ran both from there)."""
    if root is not None and (root / "node_modules" / ".bin" / name).is_file():
        return True
    if name == "clippy":
        if _which("cargo-clippy"):
            return True
        if not _which("cargo"):
            return False
        from mom_cli.validate.runner import run_command

        # Sandboxed and from "/": cargo (rustup) honours the current folder's
        # rust-toolchain.toml, whose `path` may name a toolchain a cloned repo ships.
        try:
            done = run_command(["cargo", "clippy", "--version"], Path("/"), timeout=10)
        except OSError:
            return False
        return done.returncode == 0 and not done.timed_out
    return _which(name) is not None


def _which(name: str) -> str | None:
    """On PATH, or beside this interpreter (tools installed into mom's own venv)."""
    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


def _models_report(pool: ProviderPool) -> list[dict[str, Any]]:
    rows = []
    for name, model in pool.config.models.items():
        verdict = pool.availability(name)
        rows.append(
            {
                "model": name,
                "tier": model.tier,
                "provider": model.provider,
                "kind": pool.config.providers[model.provider].kind,
                "usable": verdict.ok,
                "reason": verdict.reason,
                "endpoints": list(verdict.endpoints),
            }
        )
    return rows


def _tiers_report(config: MomConfig, models: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from mom_cli.config import RULES_TIER
    from mom_cli.providers.ladder_call import model_tiers

    tiers = [
        {"tier": RULES_TIER, "usable": True, "models": [], "reason": "no model needed"},
    ]
    for tier in model_tiers(config):
        members = [m for m in models if m["tier"] == tier]
        usable = [m["model"] for m in members if m["usable"]]
        reason = "; ".join(f"{m['model']}: {m['reason']}" for m in members if not m["usable"])
        tiers.append(
            {
                "tier": tier,
                "usable": bool(usable),
                "models": usable,
                "reason": "" if usable else (reason or "no models configured"),
            }
        )
    return tiers


def _providers_report(models: list[dict[str, Any]], config: MomConfig) -> list[dict[str, Any]]:
    out = []
    for name, provider in config.providers.items():
        members = [m for m in models if m["provider"] == name]
        usable = any(m["usable"] for m in members)
        reasons = sorted({m["reason"] for m in members if not m["usable"]})
        out.append(
            {
                "provider": name,
                "kind": provider.kind,
                "usable": usable,
                "reason": "" if usable else "; ".join(reasons) or "no models use it",
                "endpoints": provider.endpoints() if provider.kind != "embedded" else [],
            }
        )
    return out


def doctor_report(root: Path, cfg: MomConfig) -> dict[str, Any]:
    """The whole report; `ok` is true when at least one model tier is usable."""
    from mom_cli.config import RULES_TIER
    from mom_cli.ledger.store import Ledger
    from mom_cli.providers.pool import ProviderPool
    from mom_cli.rules.tools import missing_rule_tools
    from mom_cli.validate.runner import project_python

    pool = ProviderPool(cfg, Ledger())  # the ledger only answers quota questions here
    models = _models_report(pool)
    tiers = _tiers_report(cfg, models)
    present = [name for name, _ in TOOLS if _tool_present(name, root)]
    return {
        "ok": any(t["usable"] for t in tiers if t["tier"] != RULES_TIER),
        "tiers": tiers,
        "providers": _providers_report(models, cfg),
        "models": models,
        "tools": {
            "present": present,
            "missing": [name for name, _ in TOOLS if name not in present],
            "used_for": dict(TOOLS),
            "rules_skipped": missing_rule_tools(root),
            "project_python": project_python(root).describe(),
        },
        "safety": _safety_report(root, cfg),
    }


def _safety_report(root: Path, cfg: MomConfig) -> dict[str, object]:
    """Which protections are active here (mom_cli.sandbox, mom_cli.trust, edits/guard)."""
    from mom_cli import sandbox, sandbox_fs, sandbox_pid, trust
    from mom_cli.edits.guard import protected_patterns

    state = trust.trust_status(root / "routing.toml")
    if state != "absent" and trust.env_trusts():
        state += f" ({trust.TRUST_ENV} set: trusted for this run)"
    return {
        **sandbox.describe(),
        "state_files": sandbox_fs.describe(),
        "processes": sandbox_pid.describe(sandbox.current_policy().limits.processes),
        "processes_contained": sandbox_pid.containment().contained,
        "limits": sandbox.current_policy().limits.describe(),
        "repo_config": state,
        "protected": protected_patterns(cfg.safety),
        "allowed_edits": list(cfg.safety.allow_edit),
        "max_file_bytes": cfg.safety.max_file_bytes,
    }


def tiers_report(cfg: MomConfig) -> list[dict[str, Any]]:
    """Which tiers are usable and why not (no tool probing: cheap enough for a header)."""
    from mom_cli.ledger.store import Ledger
    from mom_cli.providers.pool import ProviderPool

    return _tiers_report(cfg, _models_report(ProviderPool(cfg, Ledger())))


def detail_lines(report: dict[str, Any]) -> list[str]:
    """The report past the tier table, as plain lines: tools, skipped rules, what the
    sandbox protects here, protected paths. `mom doctor` and the session's /doctor both
    print these, so a developer in the session learns what the sandbox does too."""
    tools, safety = report["tools"], report["safety"]
    scrubbed = ", ".join(safety["scrubbed_here"]) or "none set here"
    lines = [f"tools present: {', '.join(tools['present']) or 'none'}"]
    if tools.get("project_python"):  # where the project's build and tests run: install there
        lines.insert(0, f"project python: {tools['project_python']}")
    lines.append(f"tools missing: {', '.join(tools['missing']) or 'none'}")
    for tool, skipped in tools["rules_skipped"].items():
        lines.append(f"rules tier: {tool} missing, so these repairs are skipped: {skipped}")
    lines += [
        f"sandbox network: {safety['network']}",
        f"sandbox files: {safety['state_files']}",
        f"sandbox processes: {safety['processes']}",
        f"sandbox limits: {safety['limits']}",
        f"sandbox environment: secrets removed ({scrubbed})",
    ]
    if safety["allow_env"]:
        lines.append(f"sandbox allow_env: {', '.join(safety['allow_env'])}")
    lines.append(f"repo config: {safety['repo_config']}")
    lines.append(f"protected paths: {', '.join(safety['protected'])}")
    return lines
