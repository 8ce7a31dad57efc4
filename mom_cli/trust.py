"""Trust for a repository's own routing.toml (as direnv's `allow` or an editor's workspace trust).

A cloned repo is not the user. Its routing.toml may tune routing, lower budgets, and set
context and milestone options, but until the user runs `mom trust` it may not:
  - change where a key is sent (`base_url`/`hosts` of a provider that sends a key),
  - send prompts off this machine (a keyless provider's `base_url`/`hosts` may only point at
    a loopback address: a prompt holds the user's code even when no key goes with it),
  - change which variable a key comes from (`api_key_env`),
  - choose the commands mom runs (`validation.build_command`/`test_command`/`lint_command`),
  - raise a budget, lower a paid model's price, or add a model on a provider that sends a key,
  - loosen the sandbox or the protected-file list (`sandbox.*`, `safety.allow_edit`, raising
    `safety.max_file_bytes` or a limit on the commands mom runs (`safety.max_processes`,
    …), dropping a `safety.protected` pattern), or load a different embedded model file,
  - open `mom serve` to others (`gateway.tokens`, `gateway.token_env`: a repo that names a
    token, or a variable every shell has, could spend the user's keys; a `gateway.host`
    beyond loopback; raising `gateway.token_budget_usd`).
Those keys are dropped from the repo layer and named in one warning. Trust is a SHA-256 of
the file's bytes recorded in the user's data dir, so any change to the file needs trust
again. `MOM_TRUST_REPO_CONFIG=1` trusts every repo file (for CI on your own repos).
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TRUST_ENV = "MOM_TRUST_REPO_CONFIG"
TRUST_FILE = "trusted-configs.json"
COMMAND_KEYS = ("build_command", "test_command", "lint_command")
NEEDS_TRUST = {
    *(("validation", key) for key in COMMAND_KEYS),
    ("safety", "allow_edit"),
    ("local_models", "embedded_model_path"),
    ("gateway", "tokens"),
    ("gateway", "token_env"),
}
DOWNWARD_ONLY = {
    "cost": ("daily_budget_usd", "warn_threshold_usd", "stop_threshold_usd"),
    "safety": (
        "max_file_bytes",
        "max_removed_definitions",
        "max_written_file_mb",
        "max_process_memory_mb",
        "max_processes",
    ),
    "gateway": ("token_budget_usd",),
}
UPWARD_ONLY = {"safety": ("min_free_disk_mb",)}  # a floor: lowering it loosens
ADD_ONLY = {("safety", "protected")}  # lists a repo may extend (merged in), never shorten


def file_digest(path: Path) -> str:
    import hashlib  # not on `mom context`'s path, which only reads the recorded digests

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _store_path() -> Path:
    from mom_cli.paths import user_home

    return user_home() / TRUST_FILE


def _read_store() -> dict[str, str]:
    try:
        data = json.loads(_store_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_store(data: Mapping[str, str]) -> None:
    from mom_cli.edits.fileio import write_atomic

    path = _store_path()
    write_atomic(path, (json.dumps(dict(sorted(data.items())), indent=1) + "\n").encode())


def env_trusts(environ: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(TRUST_ENV, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def trust_status(config_file: Path) -> str:
    """ "trusted" | "changed" (trusted once, edited since) | "untrusted" | "absent"."""
    if not config_file.is_file():
        return "absent"
    recorded = _read_store().get(str(config_file.resolve()))
    if recorded is None:
        return "untrusted"
    return "trusted" if recorded == file_digest(config_file) else "changed"


def is_trusted(config_file: Path, environ: Mapping[str, str] | None = None) -> bool:
    return env_trusts(environ) or trust_status(config_file) == "trusted"


def trust(config_file: Path) -> str:
    """Record the file's current hash; returns it."""
    digest = file_digest(config_file)
    data = _read_store()
    data[str(config_file.resolve())] = digest
    _write_store(data)
    return digest


def revoke(config_file: Path) -> bool:
    data = _read_store()
    removed = data.pop(str(config_file.resolve()), None) is not None
    if removed:
        _write_store(data)
    return removed


def trust_fingerprint(config_file: Path, environ: Mapping[str, str]) -> str:
    """What the config snapshot must compare: the recorded hash and the CI switch."""
    recorded = _read_store().get(str(config_file.resolve()), "") if config_file.is_file() else ""
    return f"trust {recorded} env {env_trusts(environ)}"


def split_untrusted(
    trusted: Mapping[str, Any], repo: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """(the repo layer without the keys it may not set untrusted, their dotted names).

    `trusted` is the merged data of every layer before the repo file; a key whose repo
    value equals the trusted value is harmless and kept."""
    kept: dict[str, Any] = {}
    ignored: list[str] = []
    providers_before: Mapping[str, Any] = trusted.get("providers") or {}
    providers_repo: Mapping[str, Any] = repo.get("providers") or {}
    for section, value in repo.items():
        before = trusted.get(section)
        if section == "providers" and isinstance(value, Mapping):
            kept[section] = _providers(providers_before, value, ignored)
        elif section == "models" and isinstance(value, Mapping):
            kept[section] = _models(trusted, providers_before, providers_repo, value, ignored)
        elif section == "sandbox" and isinstance(value, Mapping):
            ignored += [f"sandbox.{k}" for k in value if value[k] != _get(before, k)]
        elif isinstance(value, Mapping) and isinstance(before, Mapping | None):
            kept[section] = _section(section, before or {}, value, ignored)
        else:
            kept[section] = value
    return kept, ignored


def _get(table: Any, key: str) -> Any:
    return table.get(key) if isinstance(table, Mapping) else None


def _section(
    name: str, before: Mapping[str, Any], value: Mapping[str, Any], ignored: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, new in value.items():
        old = before.get(key)
        dotted = f"{name}.{key}"
        if new == old:
            out[key] = new
        elif (name, key) in ADD_ONLY and isinstance(new, list):
            out[key] = [*(old or []), *(item for item in new if item not in (old or []))]
        elif _loosens(name, key, new, old):
            ignored.append(dotted)
        else:
            out[key] = new
    return out


def _loosens(section: str, key: str, new: Any, old: Any) -> bool:
    """Whether the repo's `new` value (differing from the trusted `old`) needs trust."""
    if (section, key) in NEEDS_TRUST:
        return True
    if key in DOWNWARD_ONLY.get(section, ()):
        return not _not_higher(new, old)
    if key in UPWARD_ONLY.get(section, ()):
        return not _not_higher(old, new)
    if (section, key) in ADD_ONLY:
        return True  # not a list: validation would reject it anyway
    if (section, key) == ("gateway", "host"):
        return not _is_loopback(f"//{new}" if isinstance(new, str) else "")
    return False


def _not_higher(new: Any, old: Any) -> bool:
    try:
        return float(new) <= float(old)
    except (TypeError, ValueError):
        return True  # not a number: validation reports it with the file's name


def _sends_key(before: Mapping[str, Any], name: str, repo_table: Mapping[str, Any]) -> bool:
    """A provider sends a key when its trusted api_key_env is set (the repo cannot unset
    it to sneak a base_url change in: api_key_env itself is untrusted)."""
    return bool(_get(before.get(name), "api_key_env"))


def _provider_key_needs_trust(key: str, new: Any, sends_key: bool) -> bool:
    if key == "api_key_env":
        return True
    if key in ("base_url", "hosts", "kind") and sends_key:
        return True
    return key in ("base_url", "hosts") and not _all_loopback(new)


def _all_loopback(urls: Any) -> bool:
    """Every URL in a `base_url` string or a `hosts` list names this machine."""
    items = urls if isinstance(urls, list) else [urls]
    return all(isinstance(url, str) and _is_loopback(url) for url in items)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _providers(
    before: Mapping[str, Any], value: Mapping[str, Any], ignored: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, table in value.items():
        if not isinstance(table, Mapping):
            out[name] = table
            continue
        old = before.get(name) or {}
        kept: dict[str, Any] = {}
        for key, new in table.items():
            dotted = f"providers.{name}.{key}"
            if new == _get(old, key):
                kept[key] = new
            elif _provider_key_needs_trust(key, new, _sends_key(before, name, table)):
                ignored.append(dotted)
            else:
                kept[key] = new
        out[name] = kept
    return out


def _models(
    trusted: Mapping[str, Any],
    providers_before: Mapping[str, Any],
    providers_repo: Mapping[str, Any],
    value: Mapping[str, Any],
    ignored: list[str],
) -> dict[str, Any]:
    before_models: Mapping[str, Any] = trusted.get("models") or {}
    out: dict[str, Any] = {}
    for name, table in value.items():
        if not isinstance(table, Mapping):
            out[name] = table
            continue
        old = before_models.get(name)
        provider = table.get("provider", _get(old, "provider"))
        keyed = bool(_get(providers_before.get(provider), "api_key_env"))
        if old is None and keyed:
            ignored.append(f"models.{name}")
            continue
        kept: dict[str, Any] = {}
        for key, new in table.items():
            if key == "provider" and new != _get(old, key) and keyed:
                ignored.append(f"models.{name}.provider")
            elif key in ("price_input", "price_output") and keyed:
                if _not_higher(_get(old, key) or 0.0, new):
                    kept[key] = new
                else:
                    ignored.append(f"models.{name}.{key}")
            else:
                kept[key] = new
        out[name] = kept
    return out
