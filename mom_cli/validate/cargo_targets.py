"""Which cargo targets mom can check here: all of them, unless some need nightly.

`cargo check --all-targets` also builds benches, and libtest benches are nightly-only
(`#![feature(test)]`): on a stable toolchain they fail with E0554 while the project's own
`cargo test`, which does not build benches, passes. mom then reported a clean checkout
as broken, and once a fix let the library compile, the bench error surfaced as "new" and
the fix was rolled back (rapidfuzz/strsim-rs). When --all-targets meets E0554, the targets
`cargo test` builds are checked instead, and the stage says which were left out.
"""

from __future__ import annotations

from pathlib import Path

from mom_cli.validate.runner import CommandResult, Tool, run_command

NIGHTLY_ONLY = '"code":"E0554"'  # `#![feature]` may not be used on the stable release channel
NIGHTLY_NOTE = "benches skipped: they need a nightly toolchain (#![feature])"


def run_cargo_targets(
    cargo: Tool, subcommand: str, root: Path, *, timeout: float, env: dict[str, str]
) -> tuple[CommandResult, str]:
    """`cargo <subcommand>` over every target it can build here, and a note ("" when
    that is all of them)."""
    tail = ("--message-format=json", "--quiet")
    result = run_command(
        cargo.command(subcommand, "--all-targets", *tail), root, timeout=timeout, env=env
    )
    if NIGHTLY_ONLY not in result.stdout:
        return result, ""
    targets = ["--bins", "--tests", "--examples"]
    if (root / "src/lib.rs").is_file() or "[lib]" in _manifest(root):
        targets.insert(0, "--lib")
    retry = run_command(cargo.command(subcommand, *targets, *tail), root, timeout=timeout, env=env)
    has_messages = '"reason":"compiler-message"' in retry.stdout
    if NIGHTLY_ONLY in retry.stdout or (retry.returncode != 0 and not has_messages):
        return result, ""  # nightly in the library itself, or cargo refused the targets
    return retry, NIGHTLY_NOTE


def _manifest(root: Path) -> str:
    try:
        return (root / "Cargo.toml").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
