"""Helpers for the gateway tests: a config over three loopback fakes, a real uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tomli_w

FAKE_KEY = "sk-upstream-0123456789-SECRET"
TIERS = ["cheap", "mid", "top"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, urls: list[str], extra: dict[str, Any] | None = None) -> Path:
    """Three OpenAI-compatible tiers on the fakes; every ladder is cheap → mid → top."""
    prices = [(0.5, 1.0), (1.0, 2.0), (3.0, 15.0)]
    affinity = [0.8, 0.8, 0.9]
    doc: dict[str, Any] = {
        "tiers": {
            k: TIERS for k in ("default", "simple_edit", "refactor", "architecture", "critical")
        },
        "providers": {},
        "models": {},
        "cost": {"warn_threshold_usd": 100.0, "stop_threshold_usd": 100.0},
    }
    for i, (tier, url) in enumerate(zip(TIERS, urls, strict=True)):
        doc["providers"][f"up{i}"] = {
            "kind": "openai_compat",
            "base_url": url + "/v1",
            "api_key_env": "FAKE_UPSTREAM_KEY",
            "timeout": 5,
        }
        doc["models"][f"m-{tier}"] = {
            "provider": f"up{i}",
            "tier": tier,
            "model_id": f"fake-{tier}",
            "price_input": prices[i][0],
            "price_output": prices[i][1],
            "affinity": {"general": affinity[i]},
        }
    doc["providers"]["ollama"] = {"base_url": f"http://127.0.0.1:{free_port()}"}
    if extra:
        from mom_cli.config import deep_merge

        doc = deep_merge(doc, extra)
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    return path


@contextmanager
def running(app: Any, port: int | None = None) -> Iterator[str]:
    """The app on a real uvicorn in a thread; yields the base URL (…/v1)."""
    import uvicorn

    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(10)


def serve_command(config: Path, port: int, *extra: str) -> list[str]:
    """`mom serve` as a separate process, on this checkout's code."""
    import sys

    return [sys.executable, "-c", "from mom_cli.cli.fast import main; main()", "serve",
            "--config", str(config), "--port", str(port), *extra]  # fmt: skip


@contextmanager
def serve_process(
    config: Path, workdir: Path, *extra: str, env: dict[str, str] | None = None
) -> Iterator[tuple[Any, str]]:
    """Start `mom serve`, wait for /health, yield (Popen, base URL); kill it afterwards."""
    import os
    import subprocess

    import httpx

    import mom_cli

    port = free_port()
    environ = dict(os.environ, **(env or {}))
    root = str(Path(mom_cli.__file__).resolve().parents[1])
    environ["PYTHONPATH"] = root + os.pathsep + environ.get("PYTHONPATH", "")
    log = open(workdir / f"serve-{port}.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(serve_command(config, port, *extra), cwd=workdir, env=environ,
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"mom serve exited {proc.returncode}: "
                    + (workdir / f"serve-{port}.log").read_text(errors="replace")[-2000:]
                )
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mom serve did not come up in 180 s")
            time.sleep(0.1)
        yield proc, base + "/v1"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        log.close()
