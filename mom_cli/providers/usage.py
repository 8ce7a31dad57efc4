"""A provider's token counts, checked before they are priced and written to the ledger.

Usage comes from the provider's reply: a server that is buggy, hostile or an
OpenAI-compatible imitation can say `prompt_tokens: -5` (a negative cost that hides real
spend) or `1e12` (a call priced at millions of dollars, which trips the budget stop for
the day). Every figure mom prints comes from the ledger, so such a count is replaced by
an estimate from the text actually sent and received, and the row says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from mom_cli.providers.base import CompletionRequest

MAX_CALL_TOKENS = 10_000_000  # more than any model's context window
INPUT_SLACK = 16  # × the ~4-chars-per-token estimate: tokenizers and chat templates vary
INPUT_OVERHEAD = 4096  # a system prompt or template the provider adds
OUTPUT_SLACK = 4  # × max_tokens: some servers count reasoning tokens beyond the cap


@dataclass(frozen=True)
class CheckedUsage:
    input_tokens: int
    output_tokens: int
    note: str = ""  # which counts are estimates, and why ("" when the provider's were used)
    implausible: bool = False  # the provider sent a count no real call could have


def estimate_tokens(request: CompletionRequest) -> int:
    """~4 characters per token: only for budget estimates, never reported as usage."""
    return sum(len(m.content) for m in request.messages) // 4 + 4 * len(request.messages)


def reported_count(value: object) -> int:
    """A usage field as the int an adapter returns: -1 (which `checked_usage` refuses, so
    the pool estimates it) when it is no number at all, rather than failing a reply whose
    answer is fine over its bookkeeping."""
    if isinstance(value, bool):
        return -1
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return -1


def _count(value: object, limit: int) -> int | None:
    """`value` as a token count, or None when no real count could be it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= limit:
        return None
    return value


def checked_usage(
    request: CompletionRequest, tokens_in: object, tokens_out: object, content: str
) -> CheckedUsage:
    """The provider's counts when they are plausible for this request and reply; each one
    that is not (negative, absurdly large, not a number) is replaced by an estimate."""
    estimate_in = estimate_tokens(request)
    in_limit = min(MAX_CALL_TOKENS, estimate_in * INPUT_SLACK + INPUT_OVERHEAD)
    out_limit = min(MAX_CALL_TOKENS, max(request.max_tokens, 1) * OUTPUT_SLACK + INPUT_OVERHEAD)
    good_in, good_out = _count(tokens_in, in_limit), _count(tokens_out, out_limit)
    if good_in is not None and good_out is not None:
        return CheckedUsage(good_in, good_out)
    replaced = []
    if good_in is None:
        good_in = estimate_in
        replaced.append(f"input tokens {_shown(tokens_in)}")
    if good_out is None:
        good_out = (len(content) + 3) // 4
        replaced.append(f"output tokens {_shown(tokens_out)}")
    note = f"provider reported implausible {' and '.join(replaced)}; estimated from the text"
    return CheckedUsage(good_in, good_out, note, implausible=True)


def _shown(value: object) -> str:
    return repr(value)[:40]
