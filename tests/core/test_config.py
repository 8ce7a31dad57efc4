"""Config layering, error messages and `mom config set`."""

from __future__ import annotations

import contextlib
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.config import env_overrides, load_config, set_key
from mom_cli.errors import ConfigError

runner = CliRunner()


def test_packaged_default_is_valid_and_documented() -> None:
    cfg = load_config().config
    assert cfg.ladder()[:2] == ["rules", "local"]
    assert cfg.top_tier_model() is not None
    assert cfg.top_tier_model().model_id.startswith("claude-sonnet")  # type: ignore[union-attr]


def test_layers_user_then_repo_then_env_then_flags(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    user.write_text("[cost]\ndaily_budget_usd = 1.5\nwarn_threshold_usd = 1.0\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "routing.toml").write_text("[cost]\ndaily_budget_usd = 1.25\n")
    loaded = load_config(repo, user, environ={})
    assert loaded.config.cost.daily_budget_usd == 1.25
    assert loaded.config.cost.warn_threshold_usd == 1.0
    env = {"MOM_COST__DAILY_BUDGET_USD": "3.5"}
    assert load_config(repo, user, environ=env).config.cost.daily_budget_usd == 3.5
    flags = {"routing": {"max_concurrent_tasks": 7}}
    assert (
        load_config(repo, user, environ=env, overrides=flags).config.routing.max_concurrent_tasks
        == 7
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[cost]\ndaily_budget_usd = "five"',
            "cost.daily_budget_usd: expected a number, got 'five'",
        ),
        ("[cost]\ndaily_budgt_usd = 3", "did you mean 'cost.daily_budget_usd'"),
        ('[providers.groq]\nbase_ur = "x"', "did you mean 'providers.groq.base_url'"),
        ('[tiers]\ndefault = ["locl"]', "did you mean 'local'"),
        ("[routing\n", "not valid TOML"),
    ],
)
def test_bad_repo_file_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "routing.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={})
    assert str(tmp_path / "routing.toml") in str(info.value)
    assert expected in str(info.value)


def test_bad_config_exits_2_via_cli(tmp_path: Path) -> None:
    (tmp_path / "routing.toml").write_text('[cost]\ndaily_budget_usd = "five"\n')
    result = runner.invoke(app, ["config", "show", "--repo", str(tmp_path)])
    assert result.exit_code == 2
    assert "expected a number" in result.output


def test_set_keeps_other_keys_and_refuses_bad_values(tmp_path: Path) -> None:
    target = tmp_path / "routing.toml"
    target.write_text("[routing]\nmax_concurrent_tasks = 2\n")
    set_key(target, "cost.daily_budget_usd", "3")
    data = tomllib.loads(target.read_text())
    assert data == {"routing": {"max_concurrent_tasks": 2}, "cost": {"daily_budget_usd": 3}}
    before = target.read_bytes()
    with pytest.raises(ConfigError):
        set_key(target, "cost.daily_budget_usd", "five")
    with pytest.raises(ConfigError):
        set_key(target, "cost.nope", "1")
    assert target.read_bytes() == before


def test_set_keeps_comments_and_layout(tmp_path: Path) -> None:
    target = tmp_path / "routing.toml"
    original = (
        "# my team's limits\n"
        "[cost]\n"
        "daily_budget_usd = 2.0   # raise in December\n"
        "\n"
        "[routing]\n"
        "max_retries = 1\n"
    )
    target.write_text(original)
    set_key(target, "cost.daily_budget_usd", "4.5")
    set_key(target, "context.max_context_tokens", "9000")
    text = target.read_text()
    assert text.startswith("# my team's limits\n[cost]\ndaily_budget_usd = 4.5   # raise in Dec")
    assert "[routing]\nmax_retries = 1\n" in text
    assert tomllib.loads(text)["context"] == {"max_context_tokens": 9000}
    with pytest.raises(ConfigError, match="not a table"):
        set_key(target, "cost.daily_budget_usd.x", "1")
    assert target.read_text() == text


def test_config_set_via_cli(tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    result = runner.invoke(
        app, ["config", "set", "routing.max_retries", "2", "--config", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert tomllib.loads(target.read_text())["routing"]["max_retries"] == 2


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=20), max_size=6))
def test_env_overrides_never_crash(environ: dict[str, str]) -> None:
    prefixed = {f"MOM_{k}": v for k, v in environ.items()}
    data = env_overrides(prefixed)
    with contextlib.suppress(ConfigError):
        load_config(environ=prefixed)
    assert isinstance(data, dict)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_repo_file_gives_config_error_or_loads(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "routing.toml").write_text(text, encoding="utf-8")
        try:
            load_config(Path(tmp), environ={})
        except ConfigError as exc:
            assert "routing.toml" in str(exc)


def test_idle_after_summary_seconds_defaults_and_is_checked() -> None:
    """validation.idle_after_summary_seconds (validate.hang): 10 by default, 0 turns the
    stop off, a negative or non-number value is a configuration error naming the key."""
    assert load_config(environ={}).config.validation.idle_after_summary_seconds == 10
    off = {"MOM_VALIDATION__IDLE_AFTER_SUMMARY_SECONDS": "0"}
    assert load_config(environ=off).config.validation.idle_after_summary_seconds == 0
    for bad, says in (("-1", "greater than or equal to 0"), ("soon", "expected a number")):
        env = {"MOM_VALIDATION__IDLE_AFTER_SUMMARY_SECONDS": bad}
        with pytest.raises(ConfigError, match=f"validation.idle_after_summary_seconds: .*{says}"):
            load_config(environ=env)
