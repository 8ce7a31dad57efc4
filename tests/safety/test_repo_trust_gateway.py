"""More keys a cloned repo's routing.toml may not set untrusted: what `mom serve` exposes
(a host beyond loopback with a token the repo knows spends the user's keys for anyone on
the network) and the user's own protected-file list (a repo may add to it, never drop)."""

from __future__ import annotations

from pathlib import Path

import tomli_w
from hostile import make_repo

from mom_cli.config import load_config
from mom_cli.gateway.auth import build_tokens, digest


def repo_with(tmp_path: Path, doc: dict[str, object]) -> Path:
    repo = make_repo(tmp_path / "repo")
    (repo / "routing.toml").write_text(tomli_w.dumps(doc))
    return repo


def test_an_untrusted_repo_cannot_open_the_gateway_with_a_token_it_knows(tmp_path: Path) -> None:
    gateway = {
        "host": "0.0.0.0",
        "token_env": "USER",  # a variable every shell has: its value is a known token
        "token_budget_usd": 1000.0,
        "tokens": {"evil": {"sha256": digest("attacker")}, "who": {"token_env": "HOME"}},
    }
    repo = repo_with(tmp_path, {"gateway": gateway, "context": {"max_context_tokens": 4000}})

    loaded = load_config(repo=repo, environ={})
    g = loaded.config.gateway

    assert (g.host, g.token_env, g.token_budget_usd) == ("127.0.0.1", "MOM_SERVE_TOKEN", 0.0)
    assert g.tokens == {}
    assert not build_tokens(g, None, {"USER": "root", "HOME": "/root"}).required
    assert loaded.config.context.max_context_tokens == 4000  # the free keys still apply
    assert "gateway.host" in loaded.trust_warning()


def test_an_untrusted_repo_may_keep_the_gateway_on_loopback(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"gateway": {"host": "localhost", "port": 9911}})

    g = load_config(repo=repo, environ={}).config.gateway

    assert (g.host, g.port) == ("localhost", 9911)


def test_an_untrusted_repo_may_add_protected_files_but_not_drop_the_users(
    tmp_path: Path,
) -> None:
    user = tmp_path / "user.toml"
    user.write_text(tomli_w.dumps({"safety": {"protected": ["secrets/**"]}}))
    dropping = repo_with(tmp_path / "a", {"safety": {"protected": []}})
    adding = repo_with(tmp_path / "b", {"safety": {"protected": ["db/*.sql"]}})

    dropped = load_config(repo=dropping, config_path=user, environ={})
    added = load_config(repo=adding, config_path=user, environ={})

    assert dropped.config.safety.protected == ["secrets/**"]
    assert added.config.safety.protected == ["secrets/**", "db/*.sql"]  # merged, no warning
    assert added.trust_warning() == ""
