"""The sandbox every process that runs project or model code goes through.

Model-written code runs during validation (a build imports modules, tests run them), and a
repo's own tools (rules, lint, hooks) are the repo's code. None of it may read a key:
  - the environment is scrubbed of provider keys, of every variable any `api_key_env`
    names, and of common secret names (`*_API_KEY`, `*_TOKEN`, `AWS_*`, …), except names
    the user allows (`sandbox.allow_env`);
  - on Linux the process gets its own network namespace (no network; loopback is brought
    up so a project's tests can still talk to themselves), unless `sandbox.network = true`
    or the kernel refuses (then `mom doctor` says so).
PATH, VIRTUAL_ENV, HOME and the rest are kept, so the project's toolchain still works.

The policy is process-wide: `configure()` is called whenever a config is loaded, and key
variable names are only ever added (a name seen once stays scrubbed).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import fnmatch
import os
import socket
import struct
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from mom_cli.sandbox_limits import Limits

if TYPE_CHECKING:
    from mom_cli.config import MomConfig

KNOWN_KEY_NAMES = frozenset(
    {
        "GROQ_API_KEY",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "DEEPSEEK_API_KEY",
        "OPENROUTER_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "MISTRAL_API_KEY",
        "TOGETHER_API_KEY",
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "NPM_TOKEN",
        "PYPI_TOKEN",
        "TWINE_PASSWORD",
        "CARGO_REGISTRY_TOKEN",
        "DATABASE_URL",
        "SSH_AUTH_SOCK",
        "GOOGLE_APPLICATION_CREDENTIALS",
    }
)
SECRET_PATTERNS = (
    "*_API_KEY",
    "*_APIKEY",
    "*_API_TOKEN",
    "*_TOKEN",
    "*_SECRET",
    "*_SECRET_KEY",
    "*_SECRET_ACCESS_KEY",
    "*_PASSWORD",
    "*_PASSWD",
    "*_CREDENTIALS",
    "*_PRIVATE_KEY",
    "AWS_*",
    "AZURE_*",
    "OPENAI_*",
    "ANTHROPIC_*",
    "GROQ_*",
)


NOT_SECRET = ("AWS_CA_BUNDLE",)  # names the patterns catch that only point at public files


@dataclass(frozen=True)
class SandboxPolicy:
    """What a sandboxed process may see (`network=True` leaves the network alone) and
    use (`limits`: mom_cli.sandbox_limits)."""

    key_names: frozenset[str] = KNOWN_KEY_NAMES
    allow_env: tuple[str, ...] = ()
    network: bool = False
    patterns: tuple[str, ...] = field(default=SECRET_PATTERNS)
    limits: Limits = field(default_factory=Limits)

    def is_secret(self, name: str) -> bool:
        upper = name.upper()
        if upper in NOT_SECRET:
            return False
        if any(fnmatch.fnmatchcase(upper, a.upper()) for a in self.allow_env):
            return False
        if upper in self.key_names or name in self.key_names:
            return True
        return any(fnmatch.fnmatchcase(upper, p) for p in self.patterns)


_policy = SandboxPolicy()


def configure(config: MomConfig) -> SandboxPolicy:
    """Adopt the sandbox settings of a loaded config (key names accumulate)."""
    global _policy
    names = {p.api_key_env for p in config.providers.values() if p.api_key_env}
    _policy = SandboxPolicy(
        key_names=_policy.key_names | names,
        allow_env=tuple(config.sandbox.allow_env),
        network=config.sandbox.network,
        limits=Limits(
            file_mb=config.safety.max_written_file_mb,
            memory_mb=config.safety.max_process_memory_mb,
            processes=config.safety.max_processes,
            disk_floor_mb=config.safety.min_free_disk_mb,
        ),
    )
    return _policy


def reset() -> None:
    """Back to the built-in policy (tests; a long-lived process switching users)."""
    global _policy
    _policy = SandboxPolicy()


def current_policy() -> SandboxPolicy:
    return _policy


def scrubbed_env(
    environ: Mapping[str, str] | None = None, policy: SandboxPolicy | None = None
) -> dict[str, str]:
    """`environ` (default os.environ) without any variable the policy calls a secret."""
    policy = policy or _policy
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if not policy.is_secret(k)}


def removed_names(environ: Mapping[str, str] | None = None) -> list[str]:
    """The variables of `environ` a sandboxed process would not see (for `mom doctor`)."""
    source = os.environ if environ is None else environ
    return sorted(k for k in source if _policy.is_secret(k))


# -- network isolation ----------------------------------------------------------------------

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_SIOCSIFFLAGS = 0x8914
_IFF_UP_LOOPBACK_RUNNING = 0x1 | 0x8 | 0x40
_isolation: tuple[bool, str] | None = None


def _unshare_network() -> None:
    """Runs in the child before exec: a private network namespace with loopback up."""
    unshare(_CLONE_NEWNET)
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sh", b"lo", _IFF_UP_LOOPBACK_RUNNING))


def unshare(flags: int) -> None:
    """Runs in the child before exec: new namespaces of `flags` (CLONE_NEW*).

    As root (or inside a user namespace an earlier step made) a plain unshare works;
    otherwise a user namespace that maps the caller to itself (so file ownership looks the
    same to git and the tools) comes with it."""
    lib = libc()
    if lib.unshare(flags) == 0:
        return
    uid, gid = os.getuid(), os.getgid()
    if lib.unshare(_CLONE_NEWUSER | flags) != 0:
        raise OSError(ctypes.get_errno(), "unshare refused")
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"{uid} {uid} 1"),
        ("gid_map", f"{gid} {gid} 1"),
    ):
        with contextlib.suppress(OSError), open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)


_LIBC: ctypes.CDLL | None = None


def libc() -> ctypes.CDLL:
    """libc, loaded in the parent: a forked child of a threaded process must not dlopen."""
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def network_isolation() -> tuple[bool, str]:
    """(available, why not) - probed once per process by starting `true` isolated."""
    global _isolation
    if _isolation is None:
        _isolation = _probe()
    return _isolation


def _probe() -> tuple[bool, str]:
    if sys.platform != "linux":
        return False, f"no network namespaces on {sys.platform}"
    try:
        subprocess.run(
            [sys.executable, "-c", ""] if not os.path.exists("/bin/true") else ["/bin/true"],
            preexec_fn=_unshare_network,
            check=True,
            timeout=10,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"the kernel refused a network namespace ({type(exc).__name__})"
    return True, ""


def preexec_for(policy: SandboxPolicy | None = None) -> list[Callable[[], None]]:
    """The pre-exec steps a sandboxed child needs (network isolation when on and possible)."""
    policy = policy or _policy
    if sys.platform == "linux":
        libc()  # loaded here, before the fork (die_with_parent uses it too)
    if policy.network or not network_isolation()[0]:
        return []
    return [_unshare_network_quietly]


def _unshare_network_quietly() -> None:
    with contextlib.suppress(OSError):
        _unshare_network()


def describe(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Which protections are active here, for `mom doctor`."""
    policy = _policy
    isolated, why = network_isolation()
    if policy.network:
        network = "allowed (sandbox.network = true)"
    elif isolated:
        network = "blocked (private network namespace; loopback only)"
    else:
        network = f"NOT blocked: {why}"
    return {
        "env_scrub": True,
        "scrubbed_here": removed_names(environ),
        "allow_env": list(policy.allow_env),
        "network_blocked": bool(isolated and not policy.network),
        "network": network,
    }


def key_names(names: Iterable[str]) -> None:
    """Add variable names to scrub (a provider built outside a loaded config)."""
    global _policy
    _policy = replace(_policy, key_names=_policy.key_names | frozenset(names))
