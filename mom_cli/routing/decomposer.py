"""TaskDecomposer: compiled request → SubTasks, via the local model, never failing.

The local model is asked for JSON matching `DecompositionSpec`. Its reply is untrusted:
it is parsed, schema-validated, checked for unknown/self/cyclic dependencies, and on any
problem the model gets exactly one repair attempt with the error quoted. If that also
fails (the usual case for a 135M model) the deterministic split is used and a warning
Notice says so. Whatever path is taken, the result is a valid, acyclic set of steps with
ids t1..tn.
"""

from __future__ import annotations

import json
from typing import Literal

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mom_cli.config import MomConfig
from mom_cli.errors import Action, MomError
from mom_cli.events import EventSink, Notice, null_sink
from mom_cli.providers.base import CompletionRequest, ModelCaller
from mom_cli.routing import classify as cl
from mom_cli.routing.analyzer import Plan
from mom_cli.routing.split import split_request
from mom_cli.routing.subtask import Decomposition, SubTask

MAX_SUBTASKS = 12
Category = Literal[
    "code",
    "reasoning",
    "creative",
    "factual",
    "summarization",
    "translation",
    "structured",
    "general",
]


class SubTaskSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=40)
    prompt: str = Field(min_length=3, max_length=8000)
    category: Category = "general"
    order_index: int = Field(0, ge=0, le=100)
    depends_on: list[str] = Field(default_factory=list, max_length=MAX_SUBTASKS)
    estimated_tokens: int = Field(0, ge=0, le=200_000)


class DecompositionSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")
    subtasks: list[SubTaskSpec] = Field(min_length=1, max_length=MAX_SUBTASKS)
    synthesis_prompt: str = Field("", max_length=4000)


SYSTEM = (
    "You split a user's request into sub-tasks. Reply with one JSON object only, shaped "
    'like {"subtasks": [{"id": "a", "prompt": "...", "category": "code", '
    '"order_index": 0, "depends_on": [], "estimated_tokens": 300}], '
    '"synthesis_prompt": "how to combine the answers"}. Categories: code, reasoning, '
    "creative, factual, summarization, translation, structured, general. depends_on lists "
    "ids of sub-tasks whose output this one needs."
)


class SpecError(ValueError):
    """The model's reply is not a usable decomposition; the message goes to the repair."""


def parse_spec(text: str) -> DecompositionSpec:
    """Extract, parse and check a decomposition; raise SpecError saying what is wrong."""
    start, end = text.find("{"), text.rfind("}")
    list_start = text.find("[")
    try:
        if list_start != -1 and (start == -1 or list_start < start):
            data: object = {"subtasks": json.loads(text[list_start : text.rfind("]") + 1])}
        elif start != -1 and end > start:
            data = json.loads(text[start : end + 1])
        else:
            raise SpecError("no JSON object in the reply")
        spec = DecompositionSpec.model_validate(data)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SpecError(f"invalid JSON: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SpecError(f"schema error at {where}: {first['msg']}") from None
    ids = [s.id for s in spec.subtasks]
    if len(set(ids)) != len(ids):
        raise SpecError("duplicate sub-task ids")
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(ids)
    for sub in spec.subtasks:
        for dep in sub.depends_on:
            if dep not in graph or dep == sub.id:
                raise SpecError(f"sub-task {sub.id!r} depends on unknown or itself: {dep!r}")
            graph.add_edge(dep, sub.id)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = " → ".join(str(u) for u, _ in nx.find_cycle(graph))
        raise SpecError(f"dependency cycle: {cycle}")
    return spec


class TaskDecomposer:
    def __init__(
        self,
        config: MomConfig,
        caller: ModelCaller | None = None,
        *,
        model: str | None = None,
        sink: EventSink = null_sink,
    ) -> None:
        self.config = config
        self.caller = caller
        self.model = model if model is not None else _decomposer_model(config, caller)
        self.sink = sink

    async def decompose(self, request: str, plan: Plan) -> Decomposition:
        if plan.kind != "compiled":
            return single_task(request, plan)
        if self.caller is None or not self.model:
            return deterministic(request, plan, source="deterministic")
        prompt = f"Request:\n{request[:6000]}\n\nSplit it into sub-tasks as JSON."
        error = ""
        for round_ in range(2):
            if round_:
                prompt += f"\n\nYour previous reply was rejected: {error}. Reply with JSON only."
            try:
                reply = await self.caller.complete(
                    CompletionRequest.from_prompt(
                        prompt, system=SYSTEM, max_tokens=700, temperature=0.0, json_mode=True
                    ),
                    model=self.model,
                    task_id="decompose",
                )
                spec = parse_spec(reply.content)
                return from_spec(spec, plan, source="model-repaired" if round_ else "model")
            except SpecError as exc:
                error = str(exc)
            except MomError as exc:
                if exc.action == Action.STOP:
                    raise
                error = f"{type(exc).__name__}: {exc}"
                break
        warning = f"decomposer output unusable ({error}); used the deterministic split"
        self.sink(Notice(warning, level="warning", data={"source": "decomposer"}))
        return deterministic(request, plan, source="deterministic", warnings=(warning,))


def _decomposer_model(config: MomConfig, caller: ModelCaller | None) -> str:
    """First available model of the configured decomposer tier (or model name)."""
    wanted = config.local_models.decomposer
    if wanted in config.models:
        return wanted
    for name in sorted(config.models_in_tier(wanted)):
        if caller is None or caller.availability(name).ok:
            return name
    return ""


def from_spec(spec: DecompositionSpec, plan: Plan, *, source: str) -> Decomposition:
    """Renumber ids to t1..tn (model ids are arbitrary text) and fill in routing fields."""
    mapping = {sub.id: f"t{i}" for i, sub in enumerate(spec.subtasks, start=1)}
    tasks = []
    for sub in spec.subtasks:
        tasks.append(
            _subtask(
                mapping[sub.id],
                sub.prompt,
                plan,
                category=sub.category,
                order_index=sub.order_index,
                depends_on=tuple(dict.fromkeys(mapping[d] for d in sub.depends_on)),
                estimated_tokens=sub.estimated_tokens,
            )
        )
    synthesis = spec.synthesis_prompt or default_synthesis_prompt(len(tasks))
    return Decomposition(tuple(tasks), synthesis, source)


def deterministic(
    request: str, plan: Plan, *, source: str, warnings: tuple[str, ...] = ()
) -> Decomposition:
    """Split on lists, sentences and and/then/also; 'then' and back-references chain."""
    parts, context = split_request(request)
    tasks: list[SubTask] = []
    for i, part in enumerate(parts, start=1):
        depends = (f"t{i - 1}",) if part.depends_on_previous and i > 1 else ()
        order = tasks[-1].order_index + 1 if depends else (tasks[-1].order_index if tasks else 0)
        prompt = f"{part.text}\n\n{context}" if context else part.text
        category = cl.classify(part.text, default=plan.category)
        task = _subtask(
            f"t{i}", prompt, plan, category=category, order_index=order, depends_on=depends
        )
        tasks.append(task)
    if len(tasks) == 1:
        return single_task(request, plan, source=source, warnings=warnings)
    return Decomposition(tuple(tasks), default_synthesis_prompt(len(tasks)), source, warnings)


def single_task(
    request: str, plan: Plan, *, source: str = "single", warnings: tuple[str, ...] = ()
) -> Decomposition:
    task = _subtask("t1", request, plan, category=plan.category, whole_request=True)
    return Decomposition((task,), "", source, warnings)


def _subtask(
    task_id: str,
    prompt: str,
    plan: Plan,
    *,
    category: str,
    order_index: int = 0,
    depends_on: tuple[str, ...] = (),
    estimated_tokens: int = 0,
    whole_request: bool = False,
) -> SubTask:
    """Per-step complexity/quality/files come from the step's own text, not the request's."""
    tokens = cl.estimate_tokens(prompt)
    files, _ = cl.mentions(prompt)
    if whole_request:
        complexity, quality, task_type = plan.complexity, plan.quality, plan.task_type
    else:
        complexity = cl.complexity_of(
            prompt, tokens=tokens, files=len(files), code_blocks=prompt.count("```") // 2
        )
        quality = "critical" if cl.is_critical(prompt) else "normal"
        task_type = cl.task_type_of(prompt, complexity, quality)
    return SubTask(
        id=task_id,
        prompt=prompt.strip(),
        category=category,
        order_index=order_index,
        depends_on=depends_on,
        estimated_tokens=estimated_tokens or tokens,
        files=files,
        complexity=complexity,
        quality=quality,
        task_type=task_type,
    )


def default_synthesis_prompt(parts: int) -> str:
    return (
        f"Combine the {parts} partial answers below into one coherent response to the "
        "original request. Keep code blocks intact, keep the parts in a logical order, "
        "add short transitions, and do not invent content that is not in the parts."
    )
