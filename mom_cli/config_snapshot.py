"""The effective config as a plain dict, cached per repository once it has been validated.

Validating routing.toml needs pydantic and the config models (~0.1–0.3 s per process).
`mom index` and `mom context` run on every step and want to finish well under that, so
the validated result is kept in `.mom/config-snapshot.json` beside a copy of every input:
the packaged default, the user (or --config) file, the repo's routing.toml (their text, not
their mtimes) and the MOM_* variables. Any difference means a full load, which raises the
usual ConfigError for a bad layer and writes nothing. The inputs are compared as text, not
hashed: they are a few KB, and hashlib's OpenSSL start-up would cost more than comparing.

A repository with no routing.toml of its own gets the same config as any other such
repository, so that case is also kept once per user (`user_snapshot_path`): the first
`mom context` on a never-indexed repository, which has no `.mom/` yet, then skips pydantic
too (the cold first answer has a 1.5 s target).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mom_cli import __version__

SNAPSHOT_NAME = "config-snapshot.json"
_PACKAGED = Path(__file__).with_name("routing.toml")


def effective_config(
    repo: Path,
    state_dir: Path,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The validated effective config for `repo`, from the snapshot when nothing changed."""
    environ = os.environ if environ is None else environ
    key = fingerprint(repo, config_path, environ)
    snapshot = state_dir / SNAPSHOT_NAME
    shared = None if (repo / "routing.toml").exists() else user_snapshot_path()
    for path in (snapshot, shared):
        cached = _read(path) if path is not None else None
        if cached is not None and cached.get("fingerprint") == key:
            config = cached.get("config")
            if isinstance(config, dict):
                return config
    from mom_cli.config import load_config  # raises ConfigError naming the bad layer

    config = load_config(repo=repo, config_path=config_path, environ=environ).config
    data = config.model_dump(mode="json")
    _write(snapshot, {"fingerprint": key, "config": data})
    if shared is not None:
        _write(shared, {"fingerprint": key, "config": data})
    return data


def user_snapshot_path() -> Path:
    """The per-user snapshot for repositories without a routing.toml: `$MOM_HOME/` when
    set, else the user cache dir (`$XDG_CACHE_HOME/mom` or `~/.cache/mom` on Linux)."""
    override = os.environ.get("MOM_HOME")
    if override:
        return Path(override) / SNAPSHOT_NAME
    if sys.platform == "linux":  # platformdirs' XDG rule, without its import on every step
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        return Path(xdg if xdg.strip() else os.path.expanduser("~/.cache")) / "mom" / SNAPSHOT_NAME
    import platformdirs

    return Path(platformdirs.user_cache_dir("mom")) / SNAPSHOT_NAME


def fingerprint(repo: Path, config_path: Path | None, environ: Mapping[str, str]) -> str:
    """Everything `load_config` reads, as one string (absent files are marked as such)."""
    from mom_cli.paths import user_config_file

    parts = [__version__]
    user_file = config_path if config_path is not None else user_config_file()
    for label, path in (
        ("packaged", _PACKAGED),
        ("user", user_file),
        ("repo", repo / "routing.toml"),
    ):
        try:
            text = path.read_bytes().decode("utf-8", "surrogateescape")
        except OSError:  # an absent repo file names no path: see user_snapshot_path
            parts.append(f"{label} absent" if label == "repo" else f"{label} {path} absent")
            continue
        parts.append(f"{label} {os.path.abspath(path)}\npresent\n{text}")
    parts.extend(
        f"{name}={environ[name]}"
        for name in sorted(environ)
        if name.startswith("MOM_") and "__" in name
    )
    from mom_cli.trust import trust_fingerprint  # `mom trust` changes what the repo may set

    parts.append(trust_fingerprint(repo / "routing.toml", environ))
    return "\0".join(parts)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # missing or damaged: a full load rewrites it
    return data if isinstance(data, dict) else None


def _write(path: Path, document: dict[str, Any]) -> None:
    """Best effort: a read-only .mom/ only costs the next run a full load."""
    from mom_cli.edits.fileio import write_atomic  # only after a full load: never hot

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(document).encode("utf-8"))
