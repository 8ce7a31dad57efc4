"""Typed model of routing.toml, loaded in layers.

Layers, later wins: the packaged default → the user file → the repo's `routing.toml` →
`MOM_SECTION__KEY` environment variables → CLI flags. Each layer is validated as it is
merged, so an error names the file (or variable) that introduced it.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mom_cli.errors import ConfigError
from mom_cli.paths import user_config_file

CATEGORIES = (
    "code",
    "reasoning",
    "creative",
    "factual",
    "summarization",
    "translation",
    "structured",
    "general",
)
RULES_TIER = "rules"
ProviderKind = Literal["embedded", "ollama", "groq", "openai_compat", "anthropic"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RoutingSection(_Section):
    max_concurrent_tasks: int = Field(4, ge=1, le=64)
    enable_parallel_execution: bool = True
    enable_speculative_execution: bool = False
    max_retries: int = Field(3, ge=0, le=10)
    model_assisted_analysis: bool = False
    learn_from_outcomes: bool = True


class LocalModelsSection(_Section):
    embedded_model_path: str = ""
    embedded_threads: int = Field(1, ge=1, le=64)
    embedded_context: int = Field(2048, ge=256)
    decomposer: str = "local"


class ValidationSection(_Section):
    enable_syntax_check: bool = True
    enable_build_check: bool = True
    enable_test_execution: bool = True
    enable_lint_check: bool = True
    local_model_review: bool = False
    review_threshold: float = Field(0.8, ge=0.0, le=1.0)
    full_tests: bool = False
    timeout_seconds: float = Field(300, gt=0)
    # a test run that printed its summary and then sat this long without output or CPU is
    # stopped and judged by that summary (validate.hang); 0 waits for the exit (or timeout)
    idle_after_summary_seconds: float = Field(10, ge=0)
    build_command: str = ""
    test_command: str = ""
    lint_command: str = ""
    ignore_lint_codes: list[str] = Field(default_factory=list)
    commit_changes: bool = False
    commit_message: str = "mom: {summary}"
    hook_run_tests: bool = False
    hook_use_model: bool = False


class ContextSection(_Section):
    max_context_tokens: int = Field(20000, ge=64)
    enable_differential_context: bool = True
    enable_summarized_context: bool = True


class CostSection(_Section):
    daily_budget_usd: float = Field(5.0, ge=0)
    warn_threshold_usd: float = Field(4.0, ge=0)
    stop_threshold_usd: float = Field(6.0, ge=0)


class MilestonesSection(_Section):
    plan_files: list[str] = Field(default_factory=lambda: ["MILESTONES.md", "ROADMAP.md"])
    provenance_comments: bool = False


class SandboxSection(_Section):
    """How processes that run project or model code are confined (mom_cli.sandbox)."""

    allow_env: list[str] = Field(default_factory=list)
    network: bool = False


class SafetySection(_Section):
    """Which files a model's edit may touch and how big it may make them (edits/guard.py)."""

    protected: list[str] = Field(default_factory=list)
    allow_edit: list[str] = Field(default_factory=list)
    max_file_bytes: int = Field(1_000_000, ge=1)
    max_removed_definitions: float = Field(0.5, gt=0, le=1)
    # Limits on what the build, tests and lint mom runs may use (mom_cli.sandbox_limits,
    # mom_cli.sandbox_pid): one file's size, one process's memory, the command's process
    # count (threads included), and the free disk below which it is killed (0 = not
    # watched). A repo's routing.toml may only tighten them.
    max_written_file_mb: int = Field(2048, ge=1)
    max_process_memory_mb: int = Field(8192, ge=64)
    max_processes: int = Field(4096, ge=16)
    min_free_disk_mb: int = Field(1024, ge=0)


class GatewayToken(_Section):
    """One client of `mom serve`: the token itself never lives in the file (a sha256 of it,
    or the environment variable that holds it), only its id, which the ledger records."""

    sha256: str = Field("", pattern=r"^([0-9a-fA-F]{64})?$")
    token_env: str = ""
    daily_budget_usd: float = Field(0.0, ge=0)  # 0 = only the global cost thresholds


class GatewaySection(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8787, ge=0, le=65535)
    token_env: str = "MOM_SERVE_TOKEN"
    token_budget_usd: float = Field(0.0, ge=0)
    max_body_bytes: int = Field(1_048_576, ge=1024)
    max_concurrent: int = Field(64, ge=1)
    default_max_tokens: int = Field(1024, ge=1)
    compete_models: int = Field(2, ge=1, le=8)
    critic: str = ""
    # How the gateway calls openai_compat upstreams: "raw" (a lean HTTP/1.1 client, the
    # pass-through hot path) or "sdk" (the openai SDK, as the rest of mom does).
    upstream_client: Literal["raw", "sdk"] = "raw"
    tokens: dict[str, GatewayToken] = Field(default_factory=dict)


class ProviderConfig(_Section):
    kind: ProviderKind
    base_url: str = ""
    hosts: list[str] = Field(default_factory=list)
    api_key_env: str = ""
    timeout: float = Field(60, gt=0)
    deadline: float = Field(300, gt=0)
    stream_idle: float = Field(60, gt=0)
    requests_per_day: int = Field(0, ge=0)

    def endpoints(self) -> list[str]:
        """Every base URL this provider can be reached at, primary first, no duplicates."""
        urls = [self.base_url, *self.hosts] if self.base_url else list(self.hosts)
        return list(dict.fromkeys(u for u in urls if u))


class ModelConfig(_Section):
    provider: str
    tier: str
    model_id: str
    price_input: float = Field(0.0, ge=0)
    price_output: float = Field(0.0, ge=0)
    context_window: int = Field(8192, ge=256)
    affinity: dict[str, float] = Field(default_factory=dict)

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.price_input + output_tokens * self.price_output) / 1e6

    def affinity_for(self, category: str) -> float:
        return self.affinity.get(category, self.affinity.get("general", 0.5))


class MomConfig(_Section):
    routing: RoutingSection = Field(default_factory=RoutingSection)
    local_models: LocalModelsSection = Field(default_factory=LocalModelsSection)
    tiers: dict[str, list[str]] = Field(default_factory=dict)
    validation: ValidationSection = Field(default_factory=ValidationSection)
    context: ContextSection = Field(default_factory=ContextSection)
    cost: CostSection = Field(default_factory=CostSection)
    milestones: MilestonesSection = Field(default_factory=MilestonesSection)
    sandbox: SandboxSection = Field(default_factory=SandboxSection)
    safety: SafetySection = Field(default_factory=SafetySection)
    gateway: GatewaySection = Field(default_factory=GatewaySection)
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    models: dict[str, ModelConfig] = Field(default_factory=dict)

    def ladder(self, task_type: str = "default") -> list[str]:
        """The tier ladder for a task type, falling back to the default ladder."""
        return list(self.tiers.get(task_type) or self.tiers.get("default") or [])

    def models_in_tier(self, tier: str) -> dict[str, ModelConfig]:
        return {name: m for name, m in self.models.items() if m.tier == tier}

    def top_tier_model(self) -> ModelConfig | None:
        """The last tier of the default ladder's priciest model: the 'all-sonnet' baseline."""
        for tier in reversed(self.ladder()):
            models = self.models_in_tier(tier)
            if models:
                return max(models.values(), key=lambda m: m.price_output)
        return None


def _check_references(cfg: MomConfig) -> None:
    for name, model in cfg.models.items():
        if model.provider not in cfg.providers:
            raise ValueError(
                f"models.{name}.provider: unknown provider {model.provider!r}; "
                f"known: {', '.join(sorted(cfg.providers)) or 'none'}"
            )
    known_tiers = {m.tier for m in cfg.models.values()} | {RULES_TIER}
    for task_type, ladder in cfg.tiers.items():
        for tier in ladder:
            if tier not in known_tiers:
                hint = _closest(tier, known_tiers)
                raise ValueError(
                    f"tiers.{task_type}: unknown tier {tier!r}"
                    + (f"; did you mean {hint!r}?" if hint else "")
                )


def packaged_default_text() -> str:
    return resources.files("mom_cli").joinpath("routing.toml").read_text(encoding="utf-8")


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """`MOM_COST__DAILY_BUDGET_USD=3` → {"cost": {"daily_budget_usd": "3"}}."""
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith("MOM_") or "__" not in name:
            continue
        parts = [p.lower() for p in name[4:].split("__")]
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _parse_scalar(raw)
    return out


def _parse_scalar(raw: str) -> Any:
    """Read a string as a TOML value when it is one (`3`, `true`, `["a"]`), else keep it."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _closest(word: str, options: Any) -> str | None:
    matches = difflib.get_close_matches(word, [str(o) for o in options], n=1, cutoff=0.6)
    return matches[0] if matches else None


def _model_at(loc: list[str]) -> type[BaseModel] | None:
    """The model class that owns the last part of `loc` (skipping user-chosen dict keys such
    as a provider's name), so an unknown key can be matched against its valid siblings."""
    model: type[BaseModel] = MomConfig
    index = 0
    while index < len(loc) - 1:
        field = model.model_fields.get(loc[index])
        if field is None:
            return None
        annotation = field.annotation
        args = get_args(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model, index = annotation, index + 1
        elif (
            get_origin(annotation) is dict
            and isinstance(args[1], type)
            and issubclass(args[1], BaseModel)
        ):
            model, index = args[1], index + 2
        else:
            return None
    return model


def _describe(error: Mapping[str, Any]) -> str:
    loc = [str(p) for p in error["loc"]]
    dotted = ".".join(loc)
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        owner = _model_at(loc)
        hint = _closest(loc[-1], list(owner.model_fields)) if owner else None
        suggestion = f"; did you mean {'.'.join([*loc[:-1], hint])!r}?" if hint else ""
        return f"{dotted}: unknown key{suggestion}"
    expected = {
        "float_parsing": "a number",
        "float_type": "a number",
        "int_parsing": "an integer",
        "int_type": "an integer",
        "int_from_float": "an integer",
        "bool_parsing": "true or false",
        "bool_type": "true or false",
        "string_type": "a string",
        "list_type": "a list",
        "dict_type": "a table",
        "model_type": "a table",
        "missing": "a value (it is required)",
    }.get(kind)
    if expected:
        got = "" if kind == "missing" else f", got {value!r}"
        return f"{dotted}: expected {expected}{got}"
    return f"{dotted}: {error['msg']}" + (f" (got {value!r})" if value is not None else "")


def validate_layer(data: Mapping[str, Any], source: str) -> MomConfig:
    """Validate merged data; errors are attributed to `source`, the layer just merged."""
    try:
        cfg = MomConfig.model_validate(data)
        _check_references(cfg)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc.errors()[0])}") from None
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return cfg


class LoadedConfig(BaseModel):
    """The effective config plus the files it came from (for `mom config path`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    config: MomConfig
    sources: list[str]
    untrusted_file: str = ""  # the repo routing.toml whose risky keys were dropped
    ignored_keys: list[str] = Field(default_factory=list)

    def trust_warning(self) -> str:
        """The one warning naming what an untrusted repo config tried to set ("" if none)."""
        if not self.ignored_keys:
            return ""
        return (
            f"{self.untrusted_file} is not trusted, so these keys were ignored: "
            f"{', '.join(self.ignored_keys)}. Review the file, then run `mom trust` "
            "(or set MOM_TRUST_REPO_CONFIG=1 in CI)."
        )


def load_config(
    repo: Path | None = None,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadedConfig:
    """Load every layer. `config_path` (the --config flag) replaces the user file."""
    environ = os.environ if environ is None else environ
    data = tomllib.loads(packaged_default_text())
    sources = ["(packaged default)"]
    cfg = validate_layer(data, "routing.toml (packaged default)")
    files: list[Path] = []
    if config_path is not None:
        if not config_path.is_file():
            raise ConfigError(f"{config_path}: no such config file")
        files.append(config_path)
    else:
        user_file = user_config_file()
        if user_file.is_file():
            files.append(user_file)
    for path in files:
        data = deep_merge(data, read_toml(path))
        cfg = validate_layer(data, str(path))
        sources.append(str(path))
    ignored: list[str] = []
    repo_file = repo / "routing.toml" if repo is not None else None
    if repo_file is not None and repo_file.is_file() and repo_file not in files:
        layer = read_toml(repo_file)
        from mom_cli import trust

        if not trust.is_trusted(repo_file, environ):
            layer, ignored = trust.split_untrusted(data, layer)
        data = deep_merge(data, layer)
        try:
            cfg = validate_layer(data, str(repo_file))
        except ConfigError as exc:
            if not ignored:
                raise
            raise ConfigError(
                f"{exc} (this file is not trusted, so these keys were ignored: "
                f"{', '.join(ignored)}; review it and run `mom trust` if it is yours)"
            ) from None
        sources.append(str(repo_file) + ("" if not ignored else " (untrusted keys ignored)"))
    env = env_overrides(environ)
    if env:
        data = deep_merge(data, env)
        cfg = validate_layer(data, "environment (MOM_* variables)")
        sources.append("environment")
    if overrides:
        data = deep_merge(data, overrides)
        cfg = validate_layer(data, "command-line flags")
        sources.append("flags")
    from mom_cli import sandbox

    sandbox.configure(cfg)
    if repo is not None:
        _active_safety[_repo_key(repo)] = cfg.safety
    return LoadedConfig(
        config=cfg,
        sources=sources,
        untrusted_file=str(repo_file) if ignored else "",
        ignored_keys=ignored,
    )


_active_safety: dict[str, SafetySection] = {}


def _repo_key(repo: Path) -> str:
    return os.path.realpath(repo)


def active_safety(repo: Path) -> SafetySection:
    """The `[safety]` section of the config this process last loaded for `repo` (the
    defaults before any): edits are guarded by it even where a caller has no config
    object to pass."""
    return _active_safety.get(_repo_key(repo)) or SafetySection()


def set_key(path: Path, dotted_key: str, raw_value: str) -> Any:
    """Set `section.key` in the TOML file at `path`, keeping every other key, comment and
    blank line where the user put them (tomlkit edits the document, not a dict of it).

    The value is parsed as TOML when it is one; the whole result is validated before
    anything is written, so a bad value changes nothing.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    parts = dotted_key.split(".")
    if len(parts) < 2:
        raise ConfigError(f"{dotted_key}: expected SECTION.KEY, e.g. cost.daily_budget_usd")
    text = ""
    if path.is_file():
        read_toml(path)  # the same "cannot read" / "not valid TOML" errors as loading
        text = path.read_text(encoding="utf-8")
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    node: Any = document
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = tomlkit.table()
            node[part] = child
        elif not isinstance(child, Mapping):
            raise ConfigError(f"{dotted_key}: {part} is a value in {path}, not a table")
        node = child
    value = _parse_scalar(raw_value)
    node[parts[-1]] = value
    base = tomllib.loads(packaged_default_text())
    validate_layer(deep_merge(base, document.unwrap()), f"{path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    from mom_cli.edits.fileio import write_atomic  # lazy: the edits package is heavy

    write_atomic(path, tomlkit.dumps(document).encode("utf-8"))
    return value
