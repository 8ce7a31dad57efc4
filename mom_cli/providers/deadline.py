"""Deadlines for model calls: a total one (connect plus the whole response) and, for
streams, an idle limit between pieces.

The SDKs' own `timeout` is per HTTP read, so a server that trickles one byte every few
seconds never trips it: a call could hang for hours. Both limits here end the call with
ProviderTimeoutError, which the retry loop and the ladder already know how to handle.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

from mom_cli.config import ProviderConfig
from mom_cli.errors import ProviderTimeoutError

T = TypeVar("T")


async def within_deadline(
    call: Awaitable[T], cfg: ProviderConfig, *, provider: str, model: str
) -> T:
    """`await call`, or ProviderTimeoutError once `cfg.deadline` seconds have passed."""
    try:
        async with asyncio.timeout(cfg.deadline):  # no extra task, unlike wait_for
            return await call
    except TimeoutError:
        raise ProviderTimeoutError(
            f"{provider}: no complete response within {cfg.deadline:g} s "
            f"(providers.{provider}.deadline)",
            provider=provider,
            model=model,
        ) from None


async def bounded_stream(
    pieces: AsyncIterator[T], cfg: ProviderConfig, *, provider: str, model: str
) -> AsyncIterator[T]:
    """Yield `pieces`, ending with ProviderTimeoutError when the next piece takes longer
    than `cfg.stream_idle` or the whole stream longer than `cfg.deadline`."""
    end = time.monotonic() + cfg.deadline
    iterator = pieces.__aiter__()
    try:
        while True:
            left = end - time.monotonic()
            wait = min(cfg.stream_idle, left)
            if wait <= 0:
                raise _timeout(provider, model, f"within {cfg.deadline:g} s", "deadline")
            try:
                async with asyncio.timeout(wait):  # a task per piece (wait_for) costs CPU
                    piece = await iterator.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                if wait < cfg.stream_idle:
                    raise _timeout(
                        provider, model, f"within {cfg.deadline:g} s", "deadline"
                    ) from None
                raise _timeout(
                    provider, model, f"for {cfg.stream_idle:g} s (idle)", "stream_idle"
                ) from None
            yield piece
    finally:
        closer = getattr(iterator, "aclose", None)
        if closer is not None:
            await closer()


def _timeout(provider: str, model: str, when: str, key: str) -> ProviderTimeoutError:
    return ProviderTimeoutError(
        f"{provider}: the stream sent nothing {when} (providers.{provider}.{key})"
        if key == "stream_idle"
        else f"{provider}: the stream did not finish {when} (providers.{provider}.{key})",
        provider=provider,
        model=model,
    )
