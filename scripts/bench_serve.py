#!/usr/bin/env python
"""What `mom serve` adds on the way to a model, at 32 concurrent clients, on loopback.

Five processes: a minimal upstream (raw ASGI on uvicorn answering OpenAI JSON and SSE,
at once for the model `bench`, after --pace-ms for the model `paced`), `mom serve` in
front of it (both models configured and priced $0, so the figures are the gateway's own
work: auth, parsing, the pool, the upstream call, the SQLite ledger row, metrics,
rendering), two floor proxies (bare ASGI on the same uvicorn settings that only forward
the body to the upstream and relay the answer: one with a shared httpx.AsyncClient, one
with mom's rawhttp client), and this client (a bare asyncio HTTP/1.1 client: httpx itself
could not drive more than ~70 req/s here). All variants alternate in rounds so machine
noise hits them alike.

Figures: per-request latency overhead (median and p99 of gateway minus direct; targets
≤ 3 ms and ≤ 15 ms), requests/s through the gateway for JSON (aim ≥ 300) and streaming,
and the time to first streamed token the gateway adds (target ≤ 5 ms median), each at 32
clients against both upstreams, and with one client (c=1: no queueing at all).

Why two upstreams: 32 clients in a closed loop against an instant upstream keep every
core busy, so latency is about 32 / throughput and the "overhead" is queueing behind
the CPU the gateway spends per request: at the 300 req/s the issue aims for it would be
over 100 ms whatever the gateway did. The paced upstream answers like a (very fast)
model, so the 32 clients offer at most 32 / pace requests/s and the overhead is what a
request gains on its way through. Also: the routed model `mom` (analyzer + selector on
top), the gateway's CPU per request from /proc (its worker processes included; the floor
proxies' too), which machine load inflates least, and the floor rows: what any Python
proxy costs here. Prints a table, then one JSON line.
Open-loop rows (@rate): the same 32 connections send --rate requests/s in all (default
300, the issue's throughput aim) on a fixed schedule against the instant upstream, so the
overhead is measured at a stated load rather than at whatever load saturates the cores.
Usage: .venv/bin/python scripts/bench_serve.py [--clients 32] [--requests 20] [--rounds 3]
       [--workers N] [--pace-ms 50] [--rate 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BODY = {"model": "bench", "messages": [{"role": "user", "content": "say hello"}]}
# A "paced" model answers after --pace-ms (default 50), like a real model's time to first
# token (the fastest hosted ones take 100+ ms): the gateway then works at a provider's
# pace, not flat out. An instant upstream measures how much a 2-core machine can push.
PACE_S = float(os.environ.get("BENCH_PACE_MS", "50")) / 1000
WORDS = ["Hello", " from", " the", " loopback", " upstream", " model", " at", " speed."]


# -- the upstream: answers at once, in OpenAI's shapes ------------------------------------
def _sse(doc: Any) -> bytes:
    return b"data: " + json.dumps(doc).encode() + b"\n\n"


async def read_body(receive: Any) -> bytes:
    """The whole ASGI request body."""
    raw = b""
    while True:
        message = await receive()
        raw += message.get("body", b"")
        if not message.get("more_body"):
            return raw


async def upstream_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    raw = await read_body(receive)
    doc = json.loads(raw or b"{}")
    if str(doc.get("model", "")).startswith("paced"):
        await asyncio.sleep(PACE_S)
    head = {"id": "chatcmpl-up", "created": 0, "model": doc.get("model", "x")}
    if doc.get("stream"):
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        chunk = {**head, "object": "chat.completion.chunk"}
        parts = [
            _sse(
                {
                    **chunk,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": ""},
                            "finish_reason": None,
                        }
                    ],
                }
            )
        ]
        parts += [
            _sse(
                {**chunk, "choices": [{"index": 0, "delta": {"content": w}, "finish_reason": None}]}
            )
            for w in WORDS
        ]
        parts.append(
            _sse({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        )
        parts.append(b"data: [DONE]\n\n")
        for part in parts:
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    body = json.dumps(
        {
            **head,
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(WORDS)},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 8, "total_tokens": 11},
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


# -- the floor: a bare pass-through proxy (no auth, routing, ledger or metrics) -----------
def proxy_app(upstream: str, client: str) -> Any:
    """Forward the request body to the upstream and relay its answer, nothing else: what
    any Python proxy on this uvicorn setup costs. `client` = "httpx" (a shared AsyncClient
    and its pool) or "raw" (mom's lean rawhttp client, the gateway's upstream client)."""
    state: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = await read_body(receive)
        stream = b'"stream":true' in raw
        if client == "raw":
            from mom_cli.providers.rawhttp import Origin

            origin = state.get("origin") or state.setdefault("origin", Origin(upstream + "/v1"))
            status, fields, chunks = await origin.post_stream(
                "/chat/completions", raw, {"Content-Type": "application/json"}
            )
            kind = fields.get("content-type", "application/json").encode()
        else:
            import httpx

            http = state.get("http") or state.setdefault(
                "http",
                httpx.AsyncClient(
                    base_url=upstream,
                    limits=httpx.Limits(max_connections=1000, max_keepalive_connections=1000),
                ),
            )
            request = http.build_request(
                "POST", "/v1/chat/completions", content=raw,
                headers={"content-type": "application/json"},
            )  # fmt: skip
            response = await http.send(request, stream=True)
            status = response.status_code
            kind = response.headers.get("content-type", "application/json").encode()
            chunks = response.aiter_raw()
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)]}
        )
        if stream:
            async for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            body = b"".join([c async for c in chunks])
            await send({"type": "http.response.body", "body": body})

    return app


def run_proxy(port: int, upstream: str, client: str) -> None:
    import uvicorn

    uvicorn.run(
        proxy_app(upstream, client),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


def run_upstream(port: int) -> None:
    import uvicorn

    uvicorn.run(
        upstream_app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


# -- processes --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 90) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: process exited {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url}: did not come up")


def write_config(path: Path, upstream: str) -> None:
    import tomli_w

    doc = {
        "tiers": {
            k: ["bench"] for k in ("default", "simple_edit", "refactor", "architecture", "critical")
        },
        "providers": {
            "up": {
                "kind": "openai_compat",
                "base_url": upstream + "/v1",
                "api_key_env": "BENCH_UPSTREAM_KEY",
                "timeout": 30,
            }
        },
        "models": {
            "bench": {
                "provider": "up",
                "tier": "bench",
                "model_id": "bench-1",
                "affinity": {"general": 0.9},
            },
            "paced": {
                "provider": "up",
                "tier": "bench",
                "model_id": "paced-1",
                "affinity": {"general": 0.1},
            },
        },
        "gateway": {"max_concurrent": 256},
    }
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")


# -- the client: a bare asyncio HTTP/1.1 client, so it costs the CPU as little as possible --
FIRST = re.compile(rb'"content": ?"[^"]')


class Conn:
    """One keep-alive connection; requests on it are sequential, like one client's."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str) -> Conn:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def post(self, body: bytes) -> tuple[float, float]:
        """(total seconds, seconds to the first non-empty content; = total for JSON)."""
        started = time.perf_counter()
        self.writer.write(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\n"
            b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
        lower = head.lower()
        if b"transfer-encoding: chunked" not in lower:
            length = int(lower.split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
            await self.reader.readexactly(length)
            took = time.perf_counter() - started
            return took, took
        first = 0.0
        while True:
            size = int((await self.reader.readuntil(b"\r\n"))[:-2], 16)
            data = await self.reader.readexactly(size + 2)
            if size == 0:
                break
            if not first and FIRST.search(data):
                first = time.perf_counter() - started
        return time.perf_counter() - started, first

    def close(self) -> None:
        self.writer.close()


async def phase(
    base: str, model: str, stream: bool, clients: int, per_client: int, rate: float = 0.0
) -> tuple[list[float], list[float], float]:
    """Closed loop (each client sends its next request when the last one is answered), or
    with `rate` open loop: client i sends at i/rate + k·clients/rate, whatever the answers
    do, and a late request's time counts from when it was due (no coordinated omission)."""
    body = json.dumps({**BODY, "model": model, "stream": stream}).encode()
    conns = [await Conn.open(base) for _ in range(clients)]
    totals: list[float] = []
    firsts: list[float] = []
    await asyncio.gather(*(c.post(body) for c in conns))  # warm-up
    begin = time.perf_counter() + 0.05

    async def worker(index: int, conn: Conn) -> None:
        for k in range(per_client):
            late = 0.0
            if rate:
                due = begin + (index + k * clients) / rate
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                late = max(0.0, time.perf_counter() - due)
            total, first = await conn.post(body)
            totals.append(total + late)
            firsts.append(first + late)

    started = time.perf_counter()
    await asyncio.gather(*(worker(i, c) for i, c in enumerate(conns)))
    wall = time.perf_counter() - started
    for c in conns:
        c.close()
    return totals, firsts, len(totals) / wall


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU of a process and its children so far (Linux /proc; --workers
    runs the gateway in child processes): the gateway's own cost per request, which
    machine load does not inflate the way wall-clock latency is."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(kid)) for kid in kids)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(x: float) -> float:
    return round(x * 1000, 2)


async def measure(
    up: str, gw: str, floors: dict[str, str], args: argparse.Namespace, pids: dict[str, int]
) -> dict[str, Any]:
    runs: dict[str, dict[str, list[float]]] = {}
    solo = args.requests * 3
    variants = [
        ("direct json", up, "bench", False, args.clients, args.requests),
        ("gateway json", gw, "bench", False, args.clients, args.requests),
        ("gateway json (mom)", gw, "mom", False, args.clients, args.requests),
        ("direct stream", up, "bench", True, args.clients, args.requests),
        ("gateway stream", gw, "bench", True, args.clients, args.requests),
        ("direct json paced", up, "paced", False, args.clients, args.requests),
        ("gateway json paced", gw, "paced", False, args.clients, args.requests),
        ("direct stream paced", up, "paced", True, args.clients, args.requests),
        ("gateway stream paced", gw, "paced", True, args.clients, args.requests),
        ("direct json c=1", up, "bench", False, 1, solo),
        ("gateway json c=1", gw, "bench", False, 1, solo),
        ("direct stream c=1", up, "bench", True, 1, solo),
        ("gateway stream c=1", gw, "bench", True, 1, solo),
        ("floor httpx json", floors["httpx"], "bench", False, args.clients, args.requests),
        ("floor httpx stream", floors["httpx"], "bench", True, args.clients, args.requests),
        ("floor raw json", floors["raw"], "bench", False, args.clients, args.requests),
        ("floor raw stream", floors["raw"], "bench", True, args.clients, args.requests),
        ("floor raw json c=1", floors["raw"], "bench", False, 1, solo),
    ]
    paced = [(*v, 0.0) for v in variants]
    at = args.rate  # open loop at the throughput aim, against the instant upstream
    paced += [
        ("direct json @rate", up, "bench", False, args.clients, args.requests, at),
        ("gateway json @rate", gw, "bench", False, args.clients, args.requests, at),
        ("direct stream @rate", up, "bench", True, args.clients, args.requests, at),
        ("gateway stream @rate", gw, "bench", True, args.clients, args.requests, at),
    ]
    for _ in range(args.rounds):  # interleave so load spikes hit every variant alike
        for name, base, model, stream, clients, per_client, offered in paced:
            pid = pids.get(base)  # the proxy's own CPU: the gateway's, or a floor proxy's
            cpu = cpu_seconds(pid)
            totals, firsts, rate = await phase(base, model, stream, clients, per_client, offered)
            used = cpu_seconds(pid) - cpu if pid else 0.0
            slot = runs.setdefault(name, {"totals": [], "firsts": [], "rates": [], "cpu": []})
            slot["cpu"].append(used / max(1, len(totals) + clients))
            slot["totals"] += totals
            slot["firsts"] += firsts
            slot["rates"].append(rate)
    out: dict[str, Any] = {}
    for name, slot in runs.items():
        out[name] = {
            "median_ms": ms(statistics.median(slot["totals"])),
            "p99_ms": ms(pct(slot["totals"], 0.99)),
            "first_token_median_ms": ms(statistics.median(slot["firsts"])),
            "req_per_s": round(statistics.median(slot["rates"]), 1),
            "requests": len(slot["totals"]),
            "cpu_ms_per_request": ms(statistics.median(slot["cpu"])),
        }
    return out


def added(results: dict[str, Any], variant: str, key: str) -> dict[str, float]:
    """What the gateway adds in one condition (`variant`, e.g. " paced"): median and p99
    latency of JSON, and the first streamed token, gateway minus direct."""

    def gap(kind: str, figure: str) -> float:
        gateway, direct = results[f"gateway {kind}{variant}"], results[f"direct {kind}{variant}"]
        return round(gateway[figure] - direct[figure], 2)

    return {
        f"overhead_median_ms{key}": gap("json", "median_ms"),
        f"overhead_p99_ms{key}": gap("json", "p99_ms"),
        f"added_first_token_median_ms{key}": gap("stream", "first_token_median_ms"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=20, help="per client per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="mom serve --workers N")
    parser.add_argument(
        "--pace-ms", type=float, default=50.0, help="the paced model's time to first byte"
    )
    parser.add_argument(
        "--rate", type=float, default=300.0, help="open-loop rows: requests/s over all clients"
    )
    parser.add_argument("--upstream", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--proxy", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upstream:
        run_upstream(args.upstream)
        return
    if args.proxy:
        run_proxy(int(args.proxy[0]), args.proxy[1], args.proxy[2])
        return
    home = tempfile.mkdtemp(prefix="mom-bench-")
    env = dict(
        os.environ,
        MOM_HOME=home,
        MOM_CONFIG_HOME=home,
        BENCH_UPSTREAM_KEY="sk-bench",
        BENCH_PACE_MS=str(args.pace_ms),
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    up_port, gw_port = free_port(), free_port()
    floor_ports = {"httpx": free_port(), "raw": free_port()}
    floors = {k: f"http://127.0.0.1:{p}" for k, p in floor_ports.items()}
    up_url, gw_url = f"http://127.0.0.1:{up_port}", f"http://127.0.0.1:{gw_port}"
    cfg = Path(home) / "routing.toml"
    write_config(cfg, up_url)
    procs = [subprocess.Popen([sys.executable, __file__, "--upstream", str(up_port)], env=env)]
    try:
        wait_up(up_url + "/", procs[0])
        for kind, port in floor_ports.items():
            procs.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--proxy", str(port), up_url, kind], env=env
                )
            )
            wait_up(floors[kind] + "/", procs[-1])
        gw_index = len(procs)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from mom_cli.cli.fast import main; main()",
                    "serve",
                    "--config",
                    str(cfg),
                    "--port",
                    str(gw_port),
                    "--workers",
                    str(args.workers),
                ],
                env=env,
                cwd=home,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_up(gw_url + "/health", procs[gw_index])
        if args.workers > 1:
            time.sleep(3)  # /health answers once one worker is up; let the others start
        pids = {gw_url: procs[gw_index].pid, floors["httpx"]: procs[1].pid}
        pids[floors["raw"]] = procs[2].pid
        results = asyncio.run(measure(up_url, gw_url, floors, args, pids))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
    d_json, g_json = results["direct json"], results["gateway json"]
    d_str, g_str = results["direct stream"], results["gateway stream"]
    summary = {
        **added(results, "", ""),  # the instant upstream, 32 clients in a closed loop
        "json_req_per_s": g_json["req_per_s"],
        "stream_req_per_s": g_str["req_per_s"],
        "gateway_cpu_ms_per_json_request": g_json["cpu_ms_per_request"],
        **added(results, " c=1", "_c1"),
        # at a model's pace (PACE_S to the first byte): the gateway is not the bottleneck
        **added(results, " paced", "_paced"),
        # open loop at --rate req/s (the 300 aim) over the same 32 connections
        **added(results, " @rate", "_at_rate"),
        "routed_overhead_median_ms": round(
            results["gateway json (mom)"]["median_ms"] - d_json["median_ms"], 2
        ),
        # the floor: what a bare pass-through proxy on the same uvicorn setup adds
        "floor_httpx_overhead_median_ms": round(
            results["floor httpx json"]["median_ms"] - d_json["median_ms"], 2
        ),
        "floor_httpx_json_req_per_s": results["floor httpx json"]["req_per_s"],
        "floor_raw_cpu_ms_per_json_request": results["floor raw json"]["cpu_ms_per_request"],
        "floor_raw_overhead_median_ms": round(
            results["floor raw json"]["median_ms"] - d_json["median_ms"], 2
        ),
        "floor_raw_overhead_p99_ms": round(
            results["floor raw json"]["p99_ms"] - d_json["p99_ms"], 2
        ),
        "floor_raw_json_req_per_s": results["floor raw json"]["req_per_s"],
        "floor_raw_stream_req_per_s": results["floor raw stream"]["req_per_s"],
        "floor_raw_added_first_token_median_ms": round(
            results["floor raw stream"]["first_token_median_ms"] - d_str["first_token_median_ms"],
            2,
        ),
        "floor_raw_overhead_median_ms_c1": round(
            results["floor raw json c=1"]["median_ms"] - results["direct json c=1"]["median_ms"],
            2,
        ),
    }
    print(
        f"mom serve bench: {args.clients} concurrent clients, {args.workers} worker(s), "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
        "loopback upstream (noisy on a shared machine: medians of interleaved rounds)"
    )
    print(
        f"{'variant':<22}{'median ms':>10}{'p99 ms':>10}{'1st tok ms':>11}{'req/s':>9}"
        f"{'proxy CPU ms/req':>17}{'n':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:<22}{r['median_ms']:>10.2f}{r['p99_ms']:>10.2f}"
            f"{r['first_token_median_ms']:>11.2f}{r['req_per_s']:>9.1f}"
            f"{r['cpu_ms_per_request']:>17.2f}{r['requests']:>7}"
        )
    targets = {
        "overhead_median_ms": 3.0,
        "overhead_p99_ms": 15.0,
        "added_first_token_median_ms": 5.0,
        "overhead_median_ms_c1": 3.0,
        "overhead_p99_ms_c1": 15.0,
        "added_first_token_median_ms_c1": 5.0,
        "overhead_median_ms_paced": 3.0,
        "overhead_p99_ms_paced": 15.0,
        "added_first_token_median_ms_paced": 5.0,
        "overhead_median_ms_at_rate": 3.0,
        "overhead_p99_ms_at_rate": 15.0,
        "added_first_token_median_ms_at_rate": 5.0,
    }
    for key, value in summary.items():
        mark = ""
        if key in targets:
            mark = "ok" if value <= targets[key] else f"MISSES target ≤ {targets[key]}"
        elif key == "json_req_per_s":
            mark = "ok" if value >= 300 else "below the 300 req/s aim"
        print(f"  {key:<30}{value:>10}  {mark}")
    print(
        json.dumps(
            {
                "bench": "serve",
                "clients": args.clients,
                "workers": args.workers,
                "load1": round(os.getloadavg()[0], 2),
                **summary,
                "variants": results,
            }
        )  # fmt: skip
    )


if __name__ == "__main__":
    main()
