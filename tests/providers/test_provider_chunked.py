"""The chunked decoder: any split of a valid body decodes to the same bytes, block by
block as the bytes arrive; malformed framing is refused with a message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mom_cli.providers.chunked import ChunkedDecoder, ChunkedError


def encode(chunks: list[bytes], trailers: bytes = b"", extension: bool = False) -> bytes:
    ext = b";name=value" if extension else b""
    wire = b"".join(b"%x%s\r\n%s\r\n" % (len(c), ext, c) for c in chunks if c)
    return wire + b"0\r\n" + trailers + b"\r\n"


@given(
    st.lists(st.binary(min_size=1, max_size=40), max_size=8),
    st.lists(st.integers(min_value=0, max_value=400), max_size=6),
    st.booleans(),
    st.sampled_from([b"", b"X-Trailer: yes\r\n", b"A: 1\r\nB: 2\r\n"]),
)
def test_any_split_decodes_to_the_body(
    chunks: list[bytes], cuts: list[int], extension: bool, trailers: bytes
) -> None:
    wire = encode(chunks, trailers, extension) + b"NEXT"
    points = sorted({min(c, len(wire)) for c in cuts} | {0, len(wire)})
    decoder = ChunkedDecoder()
    out = b"".join(decoder.feed(wire[a:b]) for a, b in zip(points, points[1:], strict=False))
    assert out == b"".join(chunks)
    assert decoder.done and decoder.leftover == b"NEXT"


def test_chunks_that_arrive_together_come_out_as_one_block() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(b"1\r\na\r\n1\r\nb\r\n1\r") == b"ab"
    assert decoder.feed(b"\nc\r\n") == b"c"
    assert decoder.feed(b"0\r\n\r\n") == b"" and decoder.done


@pytest.mark.parametrize(
    "wire",
    [b"zz\r\nab\r\n", b"0x2\r\nab\r\n", b"-1\r\nab\r\n", b"+2\r\nab\r\n", b"2\r\nabXY", b"\r\n"],
)
def test_malformed_framing_is_refused(wire: bytes) -> None:
    with pytest.raises(ChunkedError):
        ChunkedDecoder().feed(wire)


def test_an_endless_size_line_is_refused() -> None:
    with pytest.raises(ChunkedError, match="too long"):
        ChunkedDecoder().feed(b"1" * 5000)
