"""The every-identifier field: the fast `code_words` must say exactly what the plain
definition says (one bytes pattern, split, repeats capped), on any bytes at all."""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from mom_cli.index.words import CODE_TF_CAP, code_words, split_identifier

_IDENT_BYTES = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def reference(source: bytes) -> str:
    counts = Counter(_IDENT_BYTES.findall(source))
    out = []
    for name, count in counts.items():
        words = " ".join(split_identifier(name.decode("ascii")))
        if words:
            out.append(" ".join([words] * min(count, CODE_TF_CAP)))
    return " ".join(out)


def test_repeats_are_capped_and_names_split() -> None:
    source = b"self.maxAge = self.maxAge or parse_HTTP(v2)\nself; self # caf\xc3\xa9 _\n"
    assert code_words(source) == "self self self max age max age or parse http v 2 caf"
    assert code_words(b"") == "" and code_words(b"___ 123 +-") == ""


@given(st.binary(max_size=400))
def test_same_as_the_plain_definition_on_any_bytes(source: bytes) -> None:
    assert code_words(source) == reference(source)


@given(st.text(alphabet="aZ_9é \n.(", max_size=200))
def test_same_as_the_plain_definition_on_code_like_text(text: str) -> None:
    source = text.encode("utf-8")
    assert code_words(source) == reference(source)
