"""The deterministic split: request text → ordered parts, with 'then'-style dependencies.

Used by the analyzer (is this request several jobs?) and as the decomposer's fallback when
the small model's JSON is unusable, which with a 135M model is the common case. So it
aims to be good on its own: numbered/bulleted lists, sentences, and the connectors
"and" / "then" / "also" — splitting on "and" only when an action verb follows, so
"lists and tuples" stays whole while "add X and implement Y" becomes two parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mom_cli.routing.classify import CODE_BLOCK_RE, FILE_RE

MAX_PARTS = 8

VERBS = (
    "add|implement|write|create|fix|refactor|explain|translate|summari[sz]e|document|test|"
    "update|remove|delete|rename|generate|convert|compare|describe|review|optimi[sz]e|build|"
    "make|move|extract|list|draft|design|migrate|set up|configure|improve|clean up|tell|give|"
    "show|find|check|run|deploy|format|sort|analy[sz]e|calculate|prove|outline|suggest|"
    "rewrite|port|replace|change|support|handle|log|validate|parse|count|answer|debug|"
    "investigate|profile|benchmark|compose|brainstorm|propose|plan|define|introduce|split|"
    "merge|upgrade|bump|verify|ensure|expose|wire|hook up|cache|lint|package|publish|"
    "diagnose|estimate|evaluate|recommend|enumerate|identify|create|insert|append|reduce"
)
_VERB_START = re.compile(rf"^(?:please\s+)?(?:{VERBS})\b", re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^(what|who|when|where|why|how|which|is|are|does|do|can|could|should)\b", re.IGNORECASE
)
_CONNECTOR = re.compile(
    rf"(?:,\s*|\s+)(and\s+then|and\s+also|then|also|and|as\s+well\s+as|plus)\s+"
    rf"(?=(?:also\s+|then\s+|please\s+)?(?:{VERBS})\b)",
    re.IGNORECASE,
)
_LEADING = re.compile(
    r"^(?:(and\s+then|then|after\s+that|afterwards|next|finally|and\s+also|also|and|plus)"
    r"\s*,?\s+)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9\"'`(])")
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*\u2022])\s+(.+?)\s*$", re.MULTILINE)
_CONTEXT_COLON = re.compile(
    r":[ \t]*\n|:\s+(?=(?:def |fn |class |function |import |package |#include|\{|<|SELECT ))"
)
_GENERIC_PREAMBLE = re.compile(
    r"(please\s+)?(do|handle|complete|work on)?\s*(all of\s+)?(the following|these)"
    r"(\s+(tasks|things|steps|items))?( for me)?( please)?",
    re.IGNORECASE,
)
_INLINE_NUMBER = re.compile(r"(?:^|\s)\(?([1-9])[.)]\s+")
_BACKREF = re.compile(
    r"\b(it|its|them|this|these|those|the result|the results|the output|the translation|"
    r"the (?:key )?differences?|the changes|the new \w+|the above|above|the fix|"
    r"regression tests?|tests? for)\b",
    re.IGNORECASE,
)
_DEPENDENT_VERB = re.compile(
    r"^(?:please\s+)?(explain|compare|review|document|test|verify|benchmark|validate|"
    r"summari[sz]e|check|evaluate|describe the differences)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Part:
    text: str
    connector: str  # "" for the first part, else "and" | "then" | "also" | "list" | "sentence"
    depends_on_previous: bool


def separate_context(request: str) -> tuple[str, str]:
    """Split the instruction from material it operates on (code blocks, text after ':\\n')."""
    blocks = [m.group(0) for m in CODE_BLOCK_RE.finditer(request)]
    if blocks:
        instruction = CODE_BLOCK_RE.sub(" ", request)
        return _tidy(instruction), "\n\n".join(blocks)
    match = _CONTEXT_COLON.search(request)
    if match and len(request[: match.start()]) < 600:
        tail = request[match.end() :]
        if tail.strip() and len(_LIST_ITEM.findall(tail)) < 2:
            return _tidy(request[: match.start()]), tail.strip("\n")
    return _tidy(request), ""


def _tidy(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text).strip().rstrip(":").strip()


def split_request(request: str) -> tuple[list[Part], str]:
    """Parts of the instruction, in order, plus the shared context every part needs."""
    instruction, context = separate_context(request)
    parts = _split_list(instruction) or _split_inline_numbers(instruction)
    if parts is not None:
        preamble = _preamble(instruction)
        if preamble:
            context = f"{preamble}\n\n{context}".strip()
    else:
        parts = _split_prose(instruction)
        parts, context = _description_as_context(parts, context)
    if not parts:
        parts = [Part(instruction or request.strip(), "", False)]
    if len(parts) > MAX_PARTS:
        tail = " ".join(p.text for p in parts[MAX_PARTS - 1 :])
        parts = [*parts[: MAX_PARTS - 1], Part(tail, parts[MAX_PARTS - 1].connector, True)]
    return parts, context


def _description_as_context(parts: list[Part], context: str) -> tuple[list[Part], str]:
    """ "The tests fail: X broke Y. Fix the bug." is one job: the leading sentence says
    what is wrong (no instruction of its own), so it is context for what follows, not a
    step that would make the same edit as the next one."""
    if len(parts) < 2 or _starts_a_part(parts[0].text):
        return parts, context
    head, rest = parts[0], parts[1:]
    rest[0] = Part(rest[0].text, "", False)
    return rest, f"{head.text}\n\n{context}".strip()


def _split_list(text: str) -> list[Part] | None:
    lines = text.splitlines()
    items = [m.group(1) for line in lines if (m := _LIST_ITEM.match(line))]
    if len(items) < 2:
        return None
    return _link([(item, "list") for item in items])


def _preamble(text: str) -> str:
    """Text before a list, kept as shared context unless it only says 'do these'."""
    first = _LIST_ITEM.search(text) or _INLINE_NUMBER.search(text)
    head = _tidy(text[: first.start()]) if first else ""
    if not head or _GENERIC_PREAMBLE.fullmatch(head):
        return ""
    if len(head.split()) < 3 and not FILE_RE.search(head):
        return ""
    return head


def _split_inline_numbers(text: str) -> list[Part] | None:
    marks = list(_INLINE_NUMBER.finditer(text))
    numbers = [int(m.group(1)) for m in marks]
    if len(marks) < 2 or numbers != list(range(1, len(marks) + 1)):
        return None
    chunks = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        chunk = text[mark.end() : end].strip().rstrip(",;").strip()
        if chunk:
            chunks.append((chunk, "list"))
    return _link(chunks) if len(chunks) >= 2 else None


def _split_prose(text: str) -> list[Part]:
    pieces: list[tuple[str, str]] = []
    for sentence in _SENTENCE.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        lead = _LEADING.match(sentence)
        connector = "sentence"
        if lead:
            connector = _connector_word(lead.group(1))
            sentence = sentence[lead.end() :]
        chunks = _CONNECTOR.split(sentence)
        # re.split with one group alternates: text, connector, text, connector, text ...
        first = chunks[0].strip()
        if first:
            if pieces and not _starts_a_part(first) and connector == "sentence":
                prev_text, prev_conn = pieces[-1]
                pieces[-1] = (f"{prev_text} {first}", prev_conn)
            else:
                pieces.append((first, connector))
        for i in range(1, len(chunks) - 1, 2):
            chunk = chunks[i + 1].strip()
            if chunk:
                pieces.append((chunk, _connector_word(chunks[i])))
    if pieces:
        pieces[0] = (pieces[0][0], "")
    return _link(pieces)


def _starts_a_part(text: str) -> bool:
    return bool(_VERB_START.match(text) or _QUESTION_START.match(text))


def _connector_word(raw: str) -> str:
    word = raw.lower()
    if "then" in word or word in ("after that", "afterwards", "next", "finally"):
        return "then"
    if "also" in word:
        return "also"
    return "and"


def _link(pieces: list[tuple[str, str]]) -> list[Part]:
    """Attach dependency flags: 'then' always depends; others when they refer back."""
    parts: list[Part] = []
    for index, (text, connector) in enumerate(pieces):
        text = re.sub(r"^(?:also|then|please)\s+", "", text.strip(), flags=re.IGNORECASE)
        text = text.rstrip(" ,;")
        if not text:
            continue
        depends = bool(parts) and (
            connector == "then" or bool(_BACKREF.search(text)) or bool(_DEPENDENT_VERB.match(text))
        )
        parts.append(Part(text, connector if index else "", depends))
    return parts
