"""The repository's own routing.toml: valid against the packaged default, and it sets only
keys a repo may set without `mom trust` (so it works in a fresh clone, warning-free)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from mom_cli.config import load_config, packaged_default_text
from mom_cli.trust import split_untrusted

ROOT = Path(__file__).resolve().parents[2]
TOP = ROOT / "routing.toml"


def _keys(doc: dict[str, object], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in doc.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in ("tiers",):
            out |= _keys(value, dotted + ".")
        else:
            out.add(dotted)
    return out


def test_it_loads_untrusted_and_ignores_nothing() -> None:
    loaded = load_config(ROOT, config_path=None, environ={})
    assert loaded.ignored_keys == []
    assert any(source.startswith(str(TOP)) for source in loaded.sources)


def test_every_key_exists_in_the_packaged_default() -> None:
    packaged = _keys(tomllib.loads(packaged_default_text()))
    ours = _keys(tomllib.loads(TOP.read_text()))
    assert ours - packaged - {"tiers"} == set()


def test_keys_marked_trust_would_be_ignored_and_free_ones_not() -> None:
    """Uncomment every example line marked [trust]: each must be one that needs trust."""
    default = tomllib.loads(packaged_default_text())
    section, checked = "", 0
    for line in TOP.read_text().splitlines():
        header = re.match(r"^#?\s*\[([\w.]+)\]", line)
        if header and header.group(1) not in ("free", "trust"):
            section = header.group(1)
            continue
        example = re.match(r"^#\s*(\w+)\s*=\s*(.+?)\s+#\s*\[(trust|free)\]", line)
        if not example:
            continue
        key, raw, mark = example.groups()
        value = tomllib.loads(f"v = {raw}")["v"]
        if key == "max_file_bytes":
            value = value + 1  # raising it is the [trust] change its comment describes
        layer: dict[str, object] = {}
        node = layer
        for part in section.split("."):
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[key] = value if value != _get(default, section, key) else "changed"
        _, ignored = split_untrusted(default, layer)
        assert bool(ignored) == (mark == "trust" or key == "max_file_bytes"), (section, key)
        checked += 1
    assert checked >= 8


def _get(doc: dict[str, object], section: str, key: str) -> object:
    node: object = doc
    for part in section.split("."):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node.get(key) if isinstance(node, dict) else None
