"""Start the gateway: resolve settings and tokens, refuse unsafe binds, run uvicorn.

With --workers N uvicorn starts N processes that each build the app from the spec in
$MOM_SERVE_SPEC (JSON: config location, ledger URL, and the *digest* of a --token, never
the token itself), so every worker enforces the same tokens and shares the ledger.
"""

from __future__ import annotations

import gc
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from mom_cli.config import load_config
from mom_cli.gateway.auth import Client, TokenTable, build_tokens, check_bind
from mom_cli.providers.retry import RetryPolicy

SPEC_ENV = "MOM_SERVE_SPEC"


@dataclass(frozen=True)
class ServeSpec:
    host: str
    port: int
    repo: str | None
    config: str | None
    ledger: str | None
    cli_token_digest: str | None = None
    workers: int = 1
    access_log: bool = False
    metrics_dir: str | None = None  # --workers N: where workers share their metrics


def load_tokens(spec: ServeSpec) -> TokenTable:
    cfg = load_config(
        Path(spec.repo) if spec.repo else None, Path(spec.config) if spec.config else None
    ).config
    table = dict(build_tokens(cfg.gateway, None).by_digest)
    if spec.cli_token_digest:
        table[spec.cli_token_digest] = Client("cli", cfg.gateway.token_budget_usd)
    return TokenTable(table)


def create_app(spec: ServeSpec, policy: RetryPolicy | None = None):  # type: ignore[no-untyped-def]
    """The ASGI app for `spec` (imports Starlette: call only with the serve extra)."""
    from mom_cli.gateway.app import Limits, build_app
    from mom_cli.gateway.core import GatewayCore

    cfg = load_config(
        Path(spec.repo) if spec.repo else None, Path(spec.config) if spec.config else None
    ).config
    tokens = load_tokens(spec)
    check_bind(spec.host, tokens, cfg.gateway.token_env)
    core = GatewayCore(cfg, spec.ledger, policy=policy)
    core.warm_up()
    g = cfg.gateway
    limits = Limits(g.max_body_bytes, g.max_concurrent, g.default_max_tokens)
    return build_app(core, tokens, limits, spec.metrics_dir)


def settle_heap() -> None:
    """Before serving: move what startup made (SDKs, config, schemas: ~230k objects) out of
    the collector's reach. A full collection while serving would otherwise walk them all:
    a ~200 ms stall for every request in flight (scripts/bench_serve.py's first round)."""
    gc.collect()
    gc.freeze()


def app_from_env():  # type: ignore[no-untyped-def]
    """uvicorn factory for worker processes."""
    app = create_app(ServeSpec(**json.loads(os.environ[SPEC_ENV])))
    settle_heap()
    return app


def run(spec: ServeSpec, app: object | None = None) -> None:
    """Serve until interrupted; `app` is the one create_app built (one worker)."""
    import uvicorn

    loop = "uvloop" if _has("uvloop") else "asyncio"
    http = "httptools" if _has("httptools") else "h11"
    common: dict[str, Any] = {
        "host": spec.host,
        "port": spec.port,
        "loop": loop,
        "http": http,
        "access_log": spec.access_log,
        "log_level": "info",
        "timeout_graceful_shutdown": 5,
        "server_header": False,
    }
    if spec.workers > 1:
        import tempfile

        if spec.metrics_dir is None:
            spec = replace(spec, metrics_dir=tempfile.mkdtemp(prefix="mom-serve-metrics-"))
        os.environ[SPEC_ENV] = json.dumps(asdict(spec))
        try:
            uvicorn.run(
                "mom_cli.gateway.server:app_from_env", factory=True, workers=spec.workers, **common
            )  # type: ignore[arg-type]
        finally:
            import shutil

            shutil.rmtree(spec.metrics_dir or "", ignore_errors=True)
    else:
        app = app or create_app(spec)
        settle_heap()
        uvicorn.run(app, **common)  # type: ignore[arg-type]


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
