"""`mom serve`: the OpenAI-compatible Mixture-of-Models gateway (needs the `serve` extra)."""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer

from mom_cli.cli.common import (
    ConfigOption,
    RepoOption,
    cli_errors,
    err_console,
    escape,
    load,
    resolve_repo,
)
from mom_cli.errors import ExitCode

INSTALL_HINT = "mom serve needs the serve extra: pip install 'mom-cli[serve]'"


def serve(
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Address to bind (default 127.0.0.1; any other needs a token)."
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=0, max=65535, help="Port (default 8787).")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", help="Bearer token clients must send (or set $MOM_SERVE_TOKEN)."),
    ] = None,
    ledger: Annotated[
        str | None,
        typer.Option(
            "--ledger", help="Ledger: a SQLite path or postgresql://… shared by several instances."
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log every request line (never headers).")
    ] = False,
    repo: RepoOption = None,
    config: ConfigOption = None,
) -> None:
    """OpenAI-compatible gateway: model `mom` (routed), `mom-compete` (fan-out + critic), or
    any configured model. Point any OpenAI client's base URL at http://HOST:PORT/v1."""
    missing = [m for m in ("starlette", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        err_console.print(
            f"[bold red]error:[/] {escape(INSTALL_HINT)} (missing: {', '.join(missing)})"
        )
        raise typer.Exit(ExitCode.USAGE)
    with cli_errors():
        from mom_cli.gateway.auth import build_tokens, check_bind, digest
        from mom_cli.gateway.server import ServeSpec, create_app, run
        from mom_cli.ledger.backend import describe

        root = resolve_repo(repo)
        cfg = load(root, config).config
        spec = ServeSpec(
            host=host or cfg.gateway.host,
            port=cfg.gateway.port if port is None else port,
            repo=str(root) if root else None,
            config=str(config) if config else None,
            ledger=ledger,
            cli_token_digest=digest(token.strip()) if token and token.strip() else None,
            workers=workers,
            access_log=access_log,
        )
        tokens = build_tokens(cfg.gateway, token)
        check_bind(spec.host, tokens, cfg.gateway.token_env)
        app = create_app(spec)  # a bad ledger URL or token config fails here, before binding
        where = describe(ledger) if ledger else "the SQLite ledger"
        auth = "bearer token required" if tokens.required else "no token (loopback only)"
        err_console.print(
            f"mom serve: http://{spec.host}:{spec.port}/v1 · {auth} · ledger: {where} · "
            f"models: mom, mom-compete, {', '.join(sorted(cfg.models))}",
            highlight=False,
            markup=False,
        )
        run(spec, app if workers == 1 else None)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
