"""A repository and its loaded config: what every service call starts from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mom_cli.config import MomConfig


@dataclass
class Workspace:
    repo: Path
    config: MomConfig
    config_path: Path | None = None
    # what an untrusted repo routing.toml tried to set and was ignored ("" if nothing):
    # front ends show it, or the repo's file silently does not apply
    trust_warning: str = ""

    @classmethod
    def open(
        cls,
        repo: Path | None,
        config_path: Path | None = None,
        *,
        require_git: bool = True,
        **overrides: Any,
    ) -> Workspace:
        """Resolve the repository and load its config; raises UsageError / ConfigError
        naming the problem (not a git repository, a broken routing.toml)."""
        from mom_cli.config import load_config
        from mom_cli.paths import resolve_repo

        root = resolve_repo(repo, require_git=require_git)
        loaded = load_config(repo=root, config_path=config_path, overrides=overrides or None)
        return cls(root, loaded.config, config_path, loaded.trust_warning())
