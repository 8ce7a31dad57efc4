"""Split identifiers and paths into words, for the lexical (BM25) side of ranking."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENT_BYTES = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_STOP_TEXT = """
a an and are as at be but by do does for from has have how i if in into is it its make me my
no not of on or our should so that the their then there these this those to up use using was
we when where which while why will with you your add fix fixed update updated change changed
support new issue bug py
"""
STOPWORDS = frozenset(_STOP_TEXT.split())


def split_identifier(name: str) -> list[str]:
    """`parseHTTPResponse_v2` → ['parse', 'http', 'response', 'v', '2']."""
    return [w.lower() for w in _PARTS.findall(name)]


@lru_cache(maxsize=1 << 18)
def _words_of(name: str) -> str:
    """split_identifier as one space-joined string, cached: a cold index asks for the same
    names in file after file (`self`, `len`, `assertEqual`, ...)."""
    return " ".join(split_identifier(name))


def identifier_words(names: list[str]) -> str:
    """Space-joined words of many identifiers (the FTS tokenizer splits on spaces)."""
    return " ".join(filter(None, map(_words_of, names)))


def path_words(path: str) -> str:
    """Directory and file-name words of a repo path, extension dropped."""
    stem, dot, _ext = path.rpartition(".")
    return identifier_words(_IDENT.findall(stem if dot else path))


def identifiers_in(text: str) -> list[str]:
    """Identifier-like tokens of free text, in order, duplicates removed."""
    return list(dict.fromkeys(_IDENT.findall(text)))


def query_words(text: str) -> list[str]:
    """Lower-case content words of a task description, identifiers split."""
    words: list[str] = []
    for ident in identifiers_in(text):
        words.extend(split_identifier(ident))
    return [w for w in dict.fromkeys(words) if w not in STOPWORDS and len(w) > 1]


MAX_TEXT_WORDS = 20_000


def text_words(text: str) -> str:
    """Words of natural-language text (comments, docstrings, strings), identifiers split,
    repeats kept (BM25 counts them), at most MAX_TEXT_WORDS."""
    return identifier_words(_IDENT.findall(text)[:MAX_TEXT_WORDS])


CODE_TF_CAP = 3  # repeats of one name that still count: `self` 400 times is not 400× evidence
_WORDS_OF: dict[str, str] = {}  # name → its words; plain dict: cheaper than lru_cache here
_WORDS_OF_MAX = 1 << 18


def code_words(source: bytes) -> str:
    """Words of every identifier in a file (names of variables, parameters, keys, calls:
    what full-text search finds), each name's repeats capped at CODE_TF_CAP.

    The hot loop of a cold index (one pass per distinct name per file): latin-1 decodes
    every byte to one character, so the ASCII-only pattern matches exactly what it would
    on bytes, with no decode per name; repeats are one string multiplication."""
    counts = Counter(_IDENT.findall(source.decode("latin-1")))
    cache = _WORDS_OF
    if len(cache) > _WORDS_OF_MAX:
        cache.clear()
    parts: list[str] = []
    append = parts.append
    for name, count in counts.items():
        words = cache.get(name)
        if words is None:
            words = cache[name] = " ".join(split_identifier(name))
        if words:
            append((words + " ") * (count if count < CODE_TF_CAP else CODE_TF_CAP))
    return "".join(parts)[:-1]
