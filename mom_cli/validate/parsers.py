"""Turn tool output into Diagnostics. One function per output format, no I/O."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mom_cli.validate.diagnostics import Diagnostic

# path:line[:col]: [error|warning][:] message  — gcc, go, javac, many others
_GENERIC = re.compile(
    r"^(?P<file>[^\s:][^:\n]*?\.[A-Za-z0-9]+):(?P<line>\d+)(?::(?P<col>\d+))?:\s*"
    r"(?:(?P<sev>error|warning|note)(?:\[(?P<code>[^\]]+)\])?:\s*)?(?P<msg>.+)$"
)
_TSC = re.compile(
    r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\): (?P<sev>error|warning) "
    r"(?P<code>TS\d+): (?P<msg>.*)$"
)


def relpath(name: str, root: Path) -> str:
    """Repo-relative POSIX path when `name` is under `root`, else `name` unchanged.

    The path the tool named is kept as it is when it lies under the root: a tracked
    symlink (python-semver's `tests/coerce.py` → `docs/advanced/coerce.py`) is its own
    file to the tool, and resolving it reported the target's findings twice. Only a path
    under no spelling of the root is resolved (a root reached through a symlink)."""
    path = Path(name)
    if not path.is_absolute():
        return path.as_posix().removeprefix("./")
    for base in dict.fromkeys((root, root.resolve())):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return name


def parse_generic(text: str, stage: str, tool: str, root: Path) -> list[Diagnostic]:
    out = []
    for line in text.splitlines():
        m = _TSC.match(line.strip()) or _GENERIC.match(line.strip())
        if not m or m.group("sev") == "note":
            continue
        out.append(
            Diagnostic(
                stage,
                relpath(m.group("file"), root),
                int(m.group("line")),
                m.group("msg").strip(),
                m.group("sev") or "error",
                int(m.group("col") or 0),
                m.group("code") or "",
                tool,
            )
        )
    return out


def cargo_messages(text: str) -> Iterator[dict[str, Any]]:
    """The compiler messages in cargo's `--message-format=json` stream (other lines skipped)."""
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if data.get("reason") == "compiler-message" and isinstance(data.get("message"), dict):
            yield data["message"]


def parse_cargo_json(text: str, stage: str, tool: str, root: Path) -> list[Diagnostic]:
    """`cargo check|clippy --message-format=json` → diagnostics at the primary span."""
    out = []
    seen = set()
    for msg in cargo_messages(text):
        level = msg.get("level", "")
        if level not in ("error", "warning"):
            continue
        spans = [s for s in msg.get("spans", []) if s.get("is_primary")]
        if not spans:
            continue  # "aborting due to …", "N warnings emitted"
        span = spans[0]
        code = (msg.get("code") or {}).get("code") or ""
        key = (span.get("file_name"), span.get("line_start"), msg.get("message"))
        if key in seen:
            continue  # the same message for lib and test targets
        seen.add(key)
        out.append(
            Diagnostic(
                stage,
                relpath(span.get("file_name", ""), root),
                int(span.get("line_start") or 0),
                msg.get("message", ""),
                level,
                int(span.get("column_start") or 0),
                code,
                tool,
            )
        )
    return out


def cargo_rendered(text: str) -> str:
    """The human-readable messages inside cargo's JSON stream (for raw_output)."""
    parts = []
    for line in text.splitlines():
        if line.startswith("{") and '"compiler-message"' in line:
            try:
                rendered = json.loads(line)["message"].get("rendered")
            except (ValueError, KeyError, AttributeError):
                continue
            if rendered:
                parts.append(rendered.rstrip())
    return "\n".join(parts)
