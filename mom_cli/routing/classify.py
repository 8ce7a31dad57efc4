"""Deterministic request features: category, complexity, quality, task type, mentions.

Keyword tables rather than a model, because this runs on every request and must cost well
under a millisecond; the optional model-assisted pass only refines ambiguous results.
"""

from __future__ import annotations

import re
from functools import lru_cache

_W = r"(?<![\w-])"  # left word boundary that also treats '-' as part of a word

PROGRAMMING_LANGUAGES = (
    r"python|rust|golang|java|javascript|typescript|js|ts|c\+\+|cpp|c#|kotlin|swift|"
    r"ruby|php|scala|haskell|elixir|bash|shell|sql|lua|zig|dart"
)
NATURAL_LANGUAGES = (
    r"english|french|spanish|german|italian|portuguese|dutch|polish|russian|ukrainian|"
    r"chinese|mandarin|japanese|korean|arabic|hindi|turkish|swedish|norwegian|danish|"
    r"finnish|greek|hebrew|vietnamese|thai|indonesian|czech|romanian|hungarian|catalan"
)

# (pattern, weight) per category. Weights say how strongly a cue identifies the category.
_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "code": (
        (r"\b(code|function|method|class|module|script|bug|stack ?trace|traceback)\b", 2),
        (r"\b(refactor|implement|debug|compiler?|build|lint|unit tests?|tests?|pytest)\b", 2),
        (r"\b(exception|crash|crashes|error message)\b", 1.5),
        (r"\b(api|endpoint|middleware|handler|cli|regex|query|schema migration|migration)\b", 1.5),
        (r"\b(variable|argument|parameter|return value|type hints?|decorator|async|await)\b", 1.5),
        (r"\b(docker(?:file)?|ci|pipeline|makefile|cargo|npm|pip|dependency|dependencies)\b", 1),
        (r"\b(caching|cache|logging|retry|auth|authentication|database|orm|index)\b", 1),
        (r"\b(architecture|plugins?|codebase|repo|repository|service|backend|frontend)\b", 1),
        (rf"\b({PROGRAMMING_LANGUAGES})\b(?! language)", 1.5),
        (r"\b(def|fn|struct|enum|impl|interface|null pointer|segfault|off-by-one)\b", 1.5),
        (r"\w+\.(py|rs|go|js|ts|tsx|jsx|java|c|cc|cpp|h|hpp|rb|php|kt|swift|toml|yaml|yml)\b", 2),
        (r"\w+\(\)", 1.5),
        (r"```", 2),
    ),
    "reasoning": (
        (r"\b(why|explain|reason|reasoning|analy[sz]e|analysis|compare|comparison)\b", 2),
        (r"\b(differences?|trade-?offs?|pros and cons|evaluate|assess|justify|prove)\b", 2),
        (r"\b(calculate|compute|solve|probability|equation|math|logic|puzzle|estimate)\b", 2),
        (r"\b(should i|which is better|better approach|decide|root cause|implications?)\b", 2),
        (r"\b(big-?o|time complexity|complexity of|optimal|worst case)\b", 1.5),
    ),
    "creative": (
        (r"\b(story|stories|poem|poetry|haiku|limerick|lyrics|song|joke|fiction|fable)\b", 3),
        (r"\b(brainstorm|slogan|tagline|creative|imagine|invent|catchy|names? for)\b", 2.5),
        (r"\b(blog post|tweet|marketing copy|toast|speech|character|plot)\b", 1.5),
    ),
    "factual": (
        (r"^(what|who|when|where|which|how many|how much|how old|how tall)\b", 2),
        (r"\b(what is|what are|what was|who is|who was|who wrote|who invented|when did)\b", 2),
        (r"\b(capital of|population|definition|define|meaning of|history of|year)\b", 2),
        (r"\b(fact|facts|true that|founded|invented|discovered|located)\b", 1.5),
    ),
    "summarization": (
        (r"\b(summari[sz]e|summary|tl;?dr|condense|recap|key points|gist|abstract)\b", 3),
        (r"\b(shorten|boil down|main points|highlights|digest|overview of)\b", 2),
        (r"\b(release notes|meeting notes|this article|this thread|this email)\b", 1),
    ),
    "translation": (
        (r"\b(translate|translation|translated)\b", 2.5),
        (rf"\b(in|into|to|from) ({NATURAL_LANGUAGES})\b", 2.5),
        (r"\b(locali[sz]e|localization|i18n)\b", 1.5),
    ),
    "structured": (
        (r"\b(json|yaml|csv|xml|toml|markdown table|table|schema|spreadsheet)\b", 2),
        (r"\b(extract|parse|format as|convert to|fields|key-value|structured)\b", 1.5),
        (r"\b(list of|bullet list|columns?|rows?)\b", 1),
    ),
}
# Ties go to the earlier category: code outranks reasoning outranks the rest.
_PRIORITY = ("code", "translation", "summarization", "structured", "creative", "reasoning")

_CRITICAL = re.compile(
    r"\b(security|secure|vulnerab\w*|exploit|cve|crypto\w*|encrypt\w*|password\w*|secrets?|"
    r"auth|authenticat\w*|authori[sz]\w*|authn|authz|oauth|jwt|tokens? leak|payments?|"
    r"billing|pii|gdpr|hipaa|production outage|"
    r"prod outage|data loss|critical|sql injection|xss|csrf|sandbox escape)\b",
    re.IGNORECASE,
)
_COMPLEX = re.compile(
    r"\b(architecture|architect|redesign|re-architect|system-wide|across the (code ?base|"
    r"project|repo)|entire (code ?base|project|repo)|whole (code ?base|project|repo)|"
    r"migrate|migration from|distributed|concurrency|race conditions?|deadlocks?|"
    r"scalab\w*|microservices?|multi-module|monorepo|rewrite the|from scratch|end-to-end|"
    r"design (a|the) system|plugin system|performance (overhaul|optimi[sz]ation)|"
    r"consensus|sharding|event sourcing|formal proof)\b",
    re.IGNORECASE,
)
_MEDIUM = re.compile(
    r"\b(refactor|implement|design|integrate|optimi[sz]e|debug|diagnose|investigate|"
    r"add (a |an |the )?(feature|endpoint|middleware|command|module|cache|caching|test suite)|"
    r"write tests|unit tests|multiple files|several files|explain (how|why)|compare|"
    r"trade-?offs?|analy[sz]e|review|prove|algorithm|pagination|retry logic|rate limit\w*|"
    r"(key |main )?differences|port (this|the|it)|translate (this|the) \w+ code)\b",
    re.IGNORECASE,
)
_SIMPLE_EDIT = re.compile(
    r"\b(rename|typo|docstrings?|add (a )?comments?|reformat|format|sort imports|"
    r"unused imports?|missing colon|missing semicolon|indentation|bump (the )?version|"
    r"fix (the )?(spelling|typo|import)|add type hints?|one-liner|update the readme)\b",
    re.IGNORECASE,
)
_REFACTOR = re.compile(
    r"\b(refactor\w*|restructure|extract (a |the )?(function|method|class|module)|"
    r"split (the|this) (module|file|class)|dedupl\w*|clean ?up)\b",
    re.IGNORECASE,
)
_ARCHITECTURE = re.compile(
    r"\b(architecture|architect|redesign|system design|design (a|the) system|microservices?|"
    r"plugin system|module boundaries|high-level design)\b",
    re.IGNORECASE,
)
_AMBIGUOUS = re.compile(
    r"\b(which is better|what'?s the best|best (way|approach|practice|option|library)|"
    r"should i (use|pick|choose)|recommend|second opinion|several opinions|"
    r"different approaches|compare approaches|not sure (how|whether|which))\b",
    re.IGNORECASE,
)
_MULTIPLE = re.compile(
    r"\b(\d+|two|three|four|five|several|a few|multiple|some) "
    r"(different )?(versions|options|alternatives|variants|variations|ideas|approaches|"
    r"drafts|names|suggestions|solutions|answers)\b",
    re.IGNORECASE,
)
FILE_RE = re.compile(
    r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+\.(?:py|pyi|rs|go|js|mjs|ts|tsx|jsx|java|kt|c|cc|cpp|h|"
    r"hpp|rb|php|swift|cs|scala|toml|yaml|yml|json|md|txt|cfg|ini|sh|sql|html|css))\b"
)
SYMBOL_RE = re.compile(
    r"`([A-Za-z_][\w.]*)`|\b([A-Za-z_]\w*)\(\)|\b([a-z]+_[a-z_]+|[A-Z][a-z]+[A-Z]\w+)\b"
)
_CODE_LIKE = re.compile(
    r"^\s*(def |fn |class |function |import |#include|package |public |const |let |var )"
    r"|[{};]\s*$",
    re.MULTILINE,
)
CODE_BLOCK_RE = re.compile(r"```.*?(?:```|$)", re.DOTALL)


@lru_cache(maxsize=1)
def _compiled() -> dict[str, tuple[tuple[re.Pattern[str], float], ...]]:
    return {
        cat: tuple((re.compile(p), w) for p, w in cues)  # applied to lower-cased text
        for cat, cues in _CUES.items()
    }


def estimate_tokens(text: str) -> int:
    """About 4 characters per token: cheap, and close enough for routing and budgeting."""
    return max(1, (len(text) + 3) // 4)


def category_scores(text: str) -> dict[str, float]:
    """Weighted cue hits per category (one hit per cue, so repetition does not dominate)."""
    scores: dict[str, float] = {}
    lowered = text.lower()
    for cat, cues in _compiled().items():
        total = sum(weight for pattern, weight in cues if pattern.search(lowered))
        if total:
            scores[cat] = total
    _translation_vs_code(text, scores)
    return scores


def _translation_vs_code(text: str, scores: dict[str, float]) -> None:
    """'Translate this Python to Rust' is code work; 'translate this to French' is not."""
    if "translation" in scores and re.search(
        rf"\b(to|into) ({PROGRAMMING_LANGUAGES}|go)\b", text, re.IGNORECASE
    ):
        scores["code"] = scores.get("code", 0) + scores.pop("translation")


def classify(text: str, default: str = "general") -> str:
    """The strongest category, or `default` when no cue fires."""
    return rank_categories(text, default)[0]


def rank_categories(
    text: str, default: str = "general", scores: dict[str, float] | None = None
) -> list[str]:
    scores = category_scores(text) if scores is None else scores
    if not scores:
        return [default]
    return sorted(
        scores,
        key=lambda c: (-scores[c], _PRIORITY.index(c) if c in _PRIORITY else len(_PRIORITY)),
    )


def is_critical(text: str) -> bool:
    return bool(_CRITICAL.search(text))


def asks_multiple(text: str) -> bool:
    return bool(_MULTIPLE.search(text))


def is_ambiguous(text: str) -> bool:
    return bool(_AMBIGUOUS.search(text))


def mentions(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Files and code symbols named in the text (deduplicated, in order of appearance)."""
    files = tuple(dict.fromkeys(m.group(1) for m in FILE_RE.finditer(text)))
    stems = {f.rsplit("/", 1)[-1].split(".")[0] for f in files}
    symbols = []
    for m in SYMBOL_RE.finditer(text):
        name = m.group(1) or m.group(2) or m.group(3)
        if name and name not in stems and not FILE_RE.fullmatch(name):
            symbols.append(name)
    return files, tuple(dict.fromkeys(symbols))


def complexity_of(text: str, *, tokens: int, files: int, code_blocks: int) -> str:
    """trivial < simple < medium < complex, from size, scope words and mentioned files."""
    instruction_tokens = estimate_tokens(CODE_BLOCK_RE.sub("", text))
    if _COMPLEX.search(text) or files >= 4 or tokens > 1500:
        return "complex"
    if _SIMPLE_EDIT.search(text) and files <= 1:
        return "simple"
    if _MEDIUM.search(text) or files >= 2 or instruction_tokens > 120:
        return "medium"
    if code_blocks or files or instruction_tokens > 25 or tokens > 200 or _CODE_LIKE.search(text):
        return "simple"
    return "trivial"


def task_type_of(text: str, complexity: str, quality: str) -> str:
    """Which `[tiers]` ladder applies: critical, architecture, refactor, simple_edit, default."""
    if quality == "critical":
        return "critical"
    if _ARCHITECTURE.search(text):
        return "architecture"
    if _REFACTOR.search(text):
        return "refactor"
    if complexity in ("trivial", "simple") and _SIMPLE_EDIT.search(text):
        return "simple_edit"
    return "default"
