"""``transducer bench``: what every adaptation method costs on one backbone and one batch shape.

For each method, in a fresh subprocess (so memory peaks do not bleed across methods), the benchmark builds the
backbone (by default the CodeT5+ 220M architecture with random weights: cost does not depend on weight values),
applies the method and measures:

- trainable parameters (absolute, and as a share of all the adapted model's parameters, backbone + adapter: the
  definition of peft's and our ``print_trainable_parameters``);
- adapter size: the bytes ``save_pretrained`` writes;
- peak memory of training steps: CUDA ``max_memory_allocated``, or on CPU the peak resident set size
  (``VmHWM``, reset after the model is built), absolute and as the increase over the memory after building;
- median time of a training step (forward + backward + AdamW step) over ``--steps`` steps after warmup;
- generation time per sample: ``--num-beams`` search (default greedy) with ``min_new_tokens = max_new_tokens``
  so that every method generates exactly the same number of tokens.

A method can carry memory levers (:mod:`transducer.memory`) as suffixes, each measured as its own row:
``transducer+bf16`` (frozen weights in bf16), ``transducer+checkpointing`` (gradient checkpointing of the
backbone), ``transducer+bf16+checkpointing``, ``transducer+int8`` (the backbone quantized to int8 weight-only; ``qlora``
always is). ``--precision bf16-mixed`` runs every method's steps and generation
under bf16 autocast (needed by ``+bf16``).

``icl`` trains nothing and is measured like ``no_finetune`` on the same batch: its extra cost is its longer
prompts (``k`` demonstrations in front of each source), which the synthetic batch does not model.

Every method sees the same synthetic batch: random token ids (seq2seq: source ``--source-length`` and target
``--target-length`` tokens; decoder-only: their concatenation, loss on the target only) and, for methods that
use graphs, random code property graphs of ``--nodes-per-graph`` nodes with AST/CFG/DDG/CDG edges.

Every method is measured ``--repeats`` times (default 3), in rounds that interleave the methods (round 1 measures
every method, then round 2, ...), so that a slow period of a shared machine hits all methods alike. Tables give the
median over repeats with the min–max range, and ratios (e.g. step time / LoRA's) are taken within each round, then
summarised the same way.

Results: ``bench.md`` (the tables, also printed), ``bench.png`` (bar charts) and ``bench.json`` (raw rows) in
``--output-dir``. Measurements (:func:`measure_method`, rows as :class:`EfficiencyRow`) are kept apart from
rendering (:data:`EFFICIENCY_COLUMNS`, :func:`markdown_table`), so that more columns (e.g. quality metrics of
trained methods) can be added as new row types and column lists.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from cpg.graph import CodePropertyGraph, Edge, EdgeType, Node

#: the CodeT5+ 220M architecture (Salesforce/codet5p-220m's config), built with random weights
CODET5P_220M_CONFIG: dict[str, Any] = {
    "model_type": "t5",
    "vocab_size": 32100,
    "d_model": 768,
    "d_ff": 3072,
    "num_layers": 12,
    "num_decoder_layers": 12,
    "num_heads": 12,
    "d_kv": 64,
    "feed_forward_proj": "relu",
    "pad_token_id": 0,
    "eos_token_id": 2,
    "bos_token_id": 1,
    "decoder_start_token_id": 0,
}

#: token ids below this are left out of random batches (pad/eos/unk and similar specials of most vocabularies)
FIRST_RANDOM_TOKEN_ID = 3


@dataclass
class BenchSettings:
    """What to measure and on which backbone and batch shape (the same for every method)."""

    methods: list[str]
    backbone_config: dict[str, Any] | None = field(default_factory=lambda: dict(CODET5P_220M_CONFIG))
    backbone: str | None = None
    tokenizer: str | None = None
    method_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    batch_size: int = 4
    source_length: int = 128
    target_length: int = 32
    nodes_per_graph: int = 60
    steps: int = 3
    warmup_steps: int = 1
    new_tokens: int = 32
    num_beams: int = 1
    device: str = "cpu"
    seed: int = 0
    repeats: int = 3
    precision: str = "fp32"

    def load_backbone(self, quantization: str | None = None) -> tuple[Any, Any]:
        from transducer.backbone import BYTE_TOKENIZER, load_backbone

        if self.backbone is not None:
            return load_backbone(self.backbone, tokenizer=self.tokenizer, quantization=quantization)
        return load_backbone(config=self.backbone_config, tokenizer=self.tokenizer or BYTE_TOKENIZER,
                             quantization=quantization)

    def backbone_label(self) -> str:
        if self.backbone is not None:
            return self.backbone
        return "random " + ", ".join(f"{key}={value}" for key, value in (self.backbone_config or {}).items())


@dataclass
class EfficiencyRow:
    """Cost of one method; ``None`` where a method has nothing to train (no training step to measure)."""

    method: str
    trainable_params: int
    backbone_params: int
    total_params: int
    adapter_bytes: int
    memory_after_build_bytes: int
    peak_memory_bytes: int | None
    memory_source: str
    step_times_s: list[float] | None
    generation_time_per_sample_s: float

    @property
    def step_time_s(self) -> float | None:
        """Median training step time."""
        return None if not self.step_times_s else statistics.median(self.step_times_s)

    @property
    def trainable_percent(self) -> float:
        """Trainable share of all the adapted model's parameters (backbone + adapter), as ``print_trainable_parameters``."""
        return 100.0 * self.trainable_params / self.total_params

    @property
    def memory_increase_bytes(self) -> int | None:
        return None if self.peak_memory_bytes is None else self.peak_memory_bytes - self.memory_after_build_bytes


# --- synthetic inputs ------------------------------------------------------------------------------------------

_STATEMENT_KINDS = ("local_variable_declaration", "expression_statement", "if_statement", "return_statement",
                    "for_statement", "while_statement")  # fmt: skip
_BRANCHING_KINDS = ("if_statement", "for_statement", "while_statement")
_EXPRESSION_KINDS = ("method_invocation", "binary_expression", "assignment_expression", "field_access",
                     "argument_list", "array_access", "object_creation_expression")  # fmt: skip
_LEAF_KINDS = ("identifier", "decimal_integer_literal", "string_literal", "type_identifier")
_WORDS = ("count", "items", "size", "result", "index", "value", "name", "buffer", "list", "map", "get", "put",
          "length", "i", "j", "0", "1", "null", "this", "return", "int", "String", "new", "=", "+", "<", "(", ")",
          ".", ";", "{", "}")  # fmt: skip


def synthetic_cpg(num_nodes: int, rng: random.Random) -> CodePropertyGraph:
    """A random but Java-method-shaped code property graph of ``num_nodes`` nodes.

    AST: a random tree rooted at a ``method_declaration``; a fifth of the nodes are statements, chained by CFG
    edges (branching statements also jump ahead), with DDG edges from statements to later ones and CDG edges
    from branching statements to the statements after them; half are leaves (identifiers, literals, types).
    Edge counts are of the order of tree-sitter CPGs of real Java methods (a 9-line loop: 47 nodes, 46 AST,
    8 CFG, 8 DDG, 2 CDG).
    """
    if num_nodes < 1:
        raise ValueError(f"a graph needs at least one node, got num_nodes={num_nodes}")
    nodes, edges, statements = [], [], []
    for index in range(num_nodes):
        if index == 0:
            kind = "method_declaration"
        else:
            draw = rng.random()
            kind = rng.choice(_STATEMENT_KINDS if draw < 0.2 else _EXPRESSION_KINDS if draw < 0.5 else _LEAF_KINDS)
            edges.append(Edge(rng.randrange(max(0, index - 6), index), index, EdgeType.AST))
        if kind in _STATEMENT_KINDS:
            statements.append((index, kind))
        words = 60 if index == 0 else rng.randint(1, 12)
        text = " ".join(rng.choice(_WORDS) for _ in range(words))
        nodes.append(Node(kind, text, (index, 0), (index, len(text))))
    for position, (index, kind) in enumerate(statements):
        later = [s for s, _ in statements[position + 1 :]]
        if later:
            edges.append(Edge(index, later[0], EdgeType.CFG))
            if rng.random() < 0.8:  # a variable defined here is used later
                edges.append(Edge(index, rng.choice(later), EdgeType.DDG))
        if kind in _BRANCHING_KINDS and len(later) > 1:
            edges.append(Edge(index, later[1], EdgeType.CFG))  # the branch that skips the next statement
            edges += [Edge(index, target, EdgeType.CDG) for target in later[:2]]
    return CodePropertyGraph(language="java", backend="synthetic", nodes=nodes, edges=edges)


def synthetic_batch(settings: BenchSettings, model: Any, vocab_size: int) -> dict[str, Any]:
    """Training and generation inputs for ``model`` (an ``AdaptedModel``) on ``settings.device``."""
    from torch_geometric.data import Batch

    generator = torch.Generator().manual_seed(settings.seed)
    shape = settings.batch_size
    source = torch.randint(FIRST_RANDOM_TOKEN_ID, vocab_size, (shape, settings.source_length), generator=generator)
    target = torch.randint(FIRST_RANDOM_TOKEN_ID, vocab_size, (shape, settings.target_length), generator=generator)
    if model.backbone.config.is_encoder_decoder:
        train = {"input_ids": source, "attention_mask": torch.ones_like(source), "labels": target}
    else:
        input_ids = torch.cat([source, target], dim=1)
        labels = input_ids.masked_fill(torch.arange(input_ids.shape[1]) < settings.source_length, -100)
        train = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids), "labels": labels}
    graph = None
    if model.uses_graph:
        rng = random.Random(settings.seed)
        graph = Batch.from_data_list(
            [model.encode_graph(synthetic_cpg(settings.nodes_per_graph, rng)) for _ in range(shape)]
        ).to(settings.device)
    device = settings.device
    return {
        "train": {**{key: value.to(device) for key, value in train.items()}, "graph": graph},
        "generate": {"input_ids": source.to(device), "attention_mask": torch.ones_like(source).to(device), "graph": graph},
    }


# --- measurement (runs inside one worker process per method) ----------------------------------------------------


def _read_status_kib(key: str) -> int | None:
    """A ``VmRSS``/``VmHWM`` value from ``/proc/self/status`` in KiB, or ``None`` off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class _MemoryMeter:
    """Memory after building and peak memory of what follows: CUDA allocations, or the process's resident set."""

    def __init__(self, device: str) -> None:
        self.cuda = device.startswith("cuda")
        self.resettable = False
        gc.collect()
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.baseline = torch.cuda.memory_allocated()
            self.source = "cuda max_memory_allocated"
            return
        try:  # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS
            Path("/proc/self/clear_refs").write_text("5")
            self.resettable = True
            self.baseline = 1024 * (_read_status_kib("VmRSS") or 0)
            self.source = "cpu peak RSS (VmHWM, reset after build)"
        except OSError:
            self.baseline = _max_rss_bytes()
            self.source = "cpu peak RSS (ru_maxrss since process start)"

    def peak(self) -> int:
        if self.cuda:
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated()
        hwm = _read_status_kib("VmHWM") if self.resettable else None
        return _max_rss_bytes() if hwm is None else 1024 * hwm


def _max_rss_bytes() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage if sys.platform == "darwin" else usage * 1024  # bytes on macOS, KiB on Linux


def _synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _directory_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


#: method-name suffixes and the memory levers they turn on (``int8``: the backbone quantized, as ``qlora`` implies)
LEVER_SUFFIXES = {"bf16": {"frozen_dtype": "bfloat16"}, "checkpointing": {"gradient_checkpointing": True},
                  "int8": {"quantization": "int8"}}


def parse_method_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"transducer+bf16+checkpointing"`` -> ``("transducer", {frozen_dtype: bfloat16, gradient_checkpointing: True})``."""
    from transducer.methods import METHODS

    method, *suffixes = spec.split("+")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} in {spec!r}; available: {', '.join(METHODS)}")
    unknown = [s for s in suffixes if s not in LEVER_SUFFIXES]
    if unknown:
        raise ValueError(f"unknown memory lever {unknown[0]!r} in {spec!r}; available: {', '.join(LEVER_SUFFIXES)}")
    levers: dict[str, Any] = {"quantization": "int8"} if method == "qlora" else {}
    for suffix in suffixes:
        levers.update(LEVER_SUFFIXES[suffix])
    return method, levers


def measure_method(spec: str, settings: BenchSettings) -> EfficiencyRow:
    """Build the method of ``spec`` (with its memory levers) on a fresh backbone and measure it (in this process:
    run one method per process)."""
    from contextlib import nullcontext

    from transducer.memory import MemoryLevers, apply_memory_levers, check_precision_for_levers
    from transducer.methods import build_method

    method, lever_options = parse_method_spec(spec)
    quantization = lever_options.pop("quantization", None)
    levers = MemoryLevers(**lever_options)
    check_precision_for_levers(levers, settings.precision)
    random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    backbone, tokenizer = settings.load_backbone(quantization)
    backbone_params = sum(p.numel() for p in backbone.parameters())
    vocab_size = backbone.get_input_embeddings().num_embeddings
    model = build_method(method, backbone, tokenizer, **settings.method_options.get(method, {})).to(settings.device)
    apply_memory_levers(model, backbone, levers)
    autocast = (torch.autocast(settings.device, dtype=torch.bfloat16) if settings.precision == "bf16-mixed"
                else nullcontext())
    trainable_params, total_params = model.trainable_parameters()
    with tempfile.TemporaryDirectory() as directory:
        model.save_pretrained(directory)
        adapter_bytes = _directory_bytes(Path(directory))
    batch = synthetic_batch(settings, model, vocab_size)

    meter = _MemoryMeter(settings.device)
    step_times, peak = None, None
    if trainable_params:
        model.train()
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        times = []
        for _ in range(settings.warmup_steps + settings.steps):
            start = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = model(**batch["train"]).loss
            loss.backward()
            optimizer.step()
            _synchronize(settings.device)
            times.append(time.perf_counter() - start)
        step_times = times[settings.warmup_steps :]
        peak = meter.peak()
        del optimizer

    model.eval()
    generation = {"max_new_tokens": settings.new_tokens, "min_new_tokens": settings.new_tokens,
                  "num_beams": settings.num_beams, "do_sample": False}  # fmt: skip
    with autocast:
        model.generate(**batch["generate"], **{**generation, "max_new_tokens": 1, "min_new_tokens": 1})  # warmup
    _synchronize(settings.device)
    start = time.perf_counter()
    with autocast:
        output = model.generate(**batch["generate"], **generation)
    _synchronize(settings.device)
    generation_time = (time.perf_counter() - start) / settings.batch_size
    if output.shape[1] < settings.new_tokens:
        raise RuntimeError(f"{method} generated {output.shape[1]} tokens per sample, expected {settings.new_tokens}")
    return EfficiencyRow(
        method=spec,
        trainable_params=trainable_params,
        backbone_params=backbone_params,
        total_params=total_params,
        adapter_bytes=adapter_bytes,
        memory_after_build_bytes=meter.baseline,
        peak_memory_bytes=peak,
        memory_source=meter.source,
        step_times_s=step_times,
        generation_time_per_sample_s=generation_time,
    )


def measure_in_subprocess(method: str, settings: BenchSettings) -> EfficiencyRow:
    """Run :func:`measure_method` in a fresh Python process (``python -m tasks.bench --worker``)."""
    with tempfile.TemporaryDirectory() as directory:
        result = Path(directory) / "row.json"
        command = [sys.executable, "-m", "tasks.bench", "--worker", method,
                   "--worker-settings", json.dumps(dataclasses.asdict(settings)), "--worker-result", str(result)]  # fmt: skip
        process = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if process.returncode != 0 or not result.is_file():
            tail = "\n".join(process.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"measuring {method!r} failed (exit code {process.returncode}):\n{tail}")
        return EfficiencyRow(**json.loads(result.read_text()))


@dataclass
class MethodRuns:
    """Every repeat of one method (``runs[i]`` is from round ``i``, as for every other method)."""

    method: str
    runs: list[EfficiencyRow]

    def __getattr__(self, name: str) -> Any:  # static facts (parameters, adapter size) are the same in every run
        if name == "runs":
            raise AttributeError(name)
        return getattr(self.runs[0], name)

    def values(self, name: str) -> list[float]:
        """One value per run of an ``EfficiencyRow`` attribute, runs without it left out."""
        return [v for v in (getattr(run, name) for run in self.runs) if v is not None]

    def ratios(self, name: str, reference: MethodRuns) -> list[float]:
        """Per-round ratios of an attribute to ``reference``'s (rounds where either has none are left out)."""
        pairs = zip((getattr(r, name) for r in self.runs), (getattr(r, name) for r in reference.runs))
        return [a / b for a, b in pairs if a is not None and b]


def run_bench(settings: BenchSettings, log: Callable[[str], None] = print) -> tuple[list[MethodRuns], dict[str, str]]:
    """Measure every method of ``settings`` ``repeats`` times in interleaved rounds; returns each method's runs and
    ``{method: error}`` for methods that failed (a method that fails once is dropped from later rounds)."""
    runs: dict[str, list[EfficiencyRow]] = {method: [] for method in settings.methods}
    failures: dict[str, str] = {}
    for round_index in range(settings.repeats):
        for method in settings.methods:
            if method in failures:
                continue
            log(f"[bench] round {round_index + 1}/{settings.repeats}: measuring {method} ...")
            try:
                runs[method].append(measure_in_subprocess(method, settings))
            except RuntimeError as error:
                failures[method] = str(error)
                log(f"[bench] {error}")
    return [MethodRuns(m, r) for m, r in runs.items() if m not in failures], failures


# --- rendering ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column: header and a cell formatter for a row."""

    header: str
    cell: Callable[[Any], str]


def _count(value: int) -> str:
    return f"{value:,d}"


def _size(value: int | None) -> str:
    if value is None:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def spread(values: Sequence[float], format_value: Callable[[float], str]) -> str:
    """``median (min–max)`` of repeated measurements (just the value for one; ``n/a`` for none)."""
    if not values:
        return "n/a"
    if len(values) == 1:
        return format_value(values[0])
    return f"{format_value(statistics.median(values))} ({format_value(min(values))}–{format_value(max(values))})"


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _times(value: float) -> str:
    return f"{value:.3g}×"


EFFICIENCY_COLUMNS: list[Column] = [
    Column("Method", lambda r: r.method),
    Column("Trainable params", lambda r: _count(r.trainable_params)),
    Column("Trainable % of all params", lambda r: f"{r.trainable_percent:.4f}"),
    Column("Adapter file", lambda r: _size(r.adapter_bytes)),
    Column("Peak memory", lambda r: spread(r.values("peak_memory_bytes"), _size)),
    Column("Memory increase", lambda r: spread(r.values("memory_increase_bytes"), _size)),
    Column("Step time (s)", lambda r: spread(r.values("step_time_s"), _seconds)),
    Column("Generation (s/sample)", lambda r: spread(r.values("generation_time_per_sample_s"), _seconds)),
]


def ratio_columns(reference: MethodRuns, label: str) -> list[Column]:
    """Columns of each method's cost divided by ``reference``'s (e.g. LoRA's), within each round."""
    def ratio(name: str) -> Callable[[MethodRuns], str]:
        return lambda r: spread(r.ratios(name, reference), _times)

    return [
        Column(f"Params / {label}", lambda r: _times(r.trainable_params / reference.trainable_params)
               if reference.trainable_params else "n/a"),
        Column(f"Step time / {label}", ratio("step_time_s")),
        Column(f"Peak memory / {label}", ratio("peak_memory_bytes")),
        Column(f"Memory increase / {label}", ratio("memory_increase_bytes")),
    ]


def markdown_table(rows: Sequence[Any], columns: Sequence[Column]) -> str:
    lines = ["| " + " | ".join(c.header for c in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(c.cell(row) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def render_report(rows: Sequence[MethodRuns], settings: BenchSettings, failures: dict[str, str]) -> str:
    """The markdown report: settings, the cost table, and ratio tables against LoRA and full fine-tuning."""
    memory = rows[0].memory_source if rows else "n/a"
    parts = [
        "# Adaptation method benchmark",
        "",
        f"- backbone: {settings.backbone_label()}",
        f"- batch: {settings.batch_size} samples × {settings.source_length} source + {settings.target_length} target "
        f"tokens; graphs: {settings.nodes_per_graph} nodes per sample (methods that use graphs)",
        f"- device: {settings.device} (torch threads: {torch.get_num_threads()}), precision {settings.precision}; "
        f"memory: {memory}",
        f"- step time: median of {settings.steps} AdamW steps after {settings.warmup_steps} warmup; generation: "
        f"num_beams={settings.num_beams}, exactly {settings.new_tokens} new tokens per sample",
        f"- {settings.repeats} repeats per method in interleaved rounds: median (min–max) over repeats; ratios are "
        "taken within each round",
        "",
        markdown_table(rows, EFFICIENCY_COLUMNS),
    ]
    by_method = {row.method: row for row in rows}
    for method, label in (("lora", "LoRA"), ("full_finetune", "full FT")):
        if method in by_method:
            columns = [EFFICIENCY_COLUMNS[0], *ratio_columns(by_method[method], label)]
            parts += ["", f"## Relative to {label}", "", markdown_table(rows, columns)]
    if failures:
        parts += ["", "## Failed", ""] + [f"- {method}: {error.splitlines()[-1]}" for method, error in failures.items()]
    return "\n".join(parts) + "\n"


def plot(rows: Sequence[MethodRuns], path: Path) -> None:
    """Bar charts: trainable parameters (log scale), step time, memory increase, generation time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = [row.method for row in rows]
    nan = float("nan")  # no bar: nothing trained (a zero cannot be drawn on the log scale)
    panels = [
        ("Trainable parameters (log)", [row.trainable_params or nan for row in rows], True),
        ("Training step time, median (s)", [_median(row.values("step_time_s")) for row in rows], False),
        ("Training memory increase (MiB)", [_median(row.values("memory_increase_bytes")) / 2**20 for row in rows], False),
        ("Generation time per sample (s)", [_median(row.values("generation_time_per_sample_s")) for row in rows], False),
    ]
    figure, axes = plt.subplots(2, 2, figsize=(12, 2 + 0.45 * len(rows) * 2))
    for axis, (title, values, log_scale) in zip(axes.flat, panels):
        positions = range(len(methods))
        axis.barh(positions, values, color=["tab:red" if m.startswith("transducer") else "tab:blue" for m in methods])
        axis.set_yticks(positions, methods)
        axis.set_title(title)
        axis.invert_yaxis()
        if log_scale:
            axis.set_xscale("log")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")  # no bar: nothing trained


def write_outputs(rows: Sequence[MethodRuns], settings: BenchSettings, failures: dict[str, str], output_dir: Path) -> str:
    """Write ``bench.md``, ``bench.png`` and ``bench.json`` to ``output_dir``; returns the markdown."""
    output_dir.mkdir(parents=True, exist_ok=True)
    report = render_report(rows, settings, failures)
    (output_dir / "bench.md").write_text(report)
    raw = {"settings": dataclasses.asdict(settings), "failures": failures,
           "runs": {r.method: [dataclasses.asdict(run) for run in r.runs] for r in rows}}
    (output_dir / "bench.json").write_text(json.dumps(raw, indent=2) + "\n")
    if rows:
        plot(rows, output_dir / "bench.png")
    return report


# --- command line ------------------------------------------------------------------------------------------------


def _json_argument(value: str) -> Any:
    """A JSON string, or the path of a JSON file."""
    path = Path(value)
    try:
        return json.loads(path.read_text() if path.is_file() else value)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON (nor a JSON file): {value!r}: {error}") from error


def _method_spec(value: str) -> str:
    try:
        parse_method_spec(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return value


def build_parser() -> argparse.ArgumentParser:
    from transducer.methods import METHODS

    parser = argparse.ArgumentParser(
        prog="transducer bench",
        description="Compare the cost of every adaptation method (trainable parameters, adapter size, training "
        "memory, step time, generation time) on one backbone and one synthetic batch.",
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), type=_method_spec, metavar="METHOD",
                        help=f"methods to measure (default: all): {', '.join(METHODS)}; memory levers as suffixes, "
                        f"e.g. transducer+bf16+checkpointing ({', '.join(LEVER_SUFFIXES)})")
    backbone = parser.add_mutually_exclusive_group()
    backbone.add_argument("--backbone-config", type=_json_argument, default=None,
                          help="backbone config as JSON (or a JSON file) with model_type, built with random weights "
                          "(default: the CodeT5+ 220M architecture)")
    backbone.add_argument("--backbone", default=None, help="hub name or folder of a pretrained backbone")
    parser.add_argument("--tokenizer", default=None,
                        help="tokenizer for graph node texts (default: the backbone's; 'byte' for --backbone-config)")
    parser.add_argument("--method-options", type=_json_argument, default={},
                        help='per-method hyperparameters as JSON, e.g. \'{"lora": {"r": 16}}\'')
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--source-length", type=int, default=128)
    parser.add_argument("--target-length", type=int, default=32)
    parser.add_argument("--nodes-per-graph", type=int, default=60)
    parser.add_argument("--steps", type=int, default=3, help="timed training steps per run (their median is the run's)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per method, in interleaved rounds (default 3)")
    parser.add_argument("--warmup-steps", type=int, default=1)
    parser.add_argument("--new-tokens", type=int, default=None, help="tokens generated per sample (default: target length)")
    parser.add_argument("--num-beams", type=int, default=1)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--precision", choices=("fp32", "bf16-mixed", "auto"), default="fp32",
                        help="autocast of every method's steps and generation (+bf16 levers need bf16-mixed); auto: "
                        "bf16-mixed where the device computes bf16 natively, else fp32")
    parser.add_argument("--output-dir", type=Path, default=Path("outputs/bench"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-config", type=Path, default=None,
                        help="a harness config (data + pretrained backbone): also train and test every method with "
                        "it and add quality columns with a paired significance test of the transducer vs each")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-settings", help=argparse.SUPPRESS)
    parser.add_argument("--worker-result", type=Path, help=argparse.SUPPRESS)
    return parser


def settings_from_args(args: argparse.Namespace) -> BenchSettings:
    for name in ("batch_size", "source_length", "target_length", "nodes_per_graph", "steps", "num_beams", "repeats"):
        if getattr(args, name) < 1:
            raise SystemExit(f"transducer bench: --{name.replace('_', '-')} must be >= 1")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("transducer bench: --device cuda given but torch sees no CUDA device")
    measured = {parse_method_spec(spec)[0] for spec in args.methods}
    if args.precision == "auto":
        from transducer.precision import BF16, resolve_precision

        choice = resolve_precision("auto", args.device)
        print(choice.describe(), file=sys.stderr)
        args.precision = "bf16-mixed" if choice.precision == BF16 else "fp32"
    if args.precision == "fp32" and any("+bf16" in spec for spec in args.methods):
        raise SystemExit("transducer bench: +bf16 (frozen weights in bf16) needs --precision bf16-mixed")
    unknown = sorted(set(args.method_options) - measured)
    if unknown:
        raise SystemExit(f"transducer bench: --method-options for methods not measured: {unknown}")
    return BenchSettings(
        methods=list(args.methods),
        backbone_config=None if args.backbone else (args.backbone_config or dict(CODET5P_220M_CONFIG)),
        backbone=args.backbone,
        tokenizer=args.tokenizer,
        method_options=args.method_options,
        batch_size=args.batch_size,
        source_length=args.source_length,
        target_length=args.target_length,
        nodes_per_graph=args.nodes_per_graph,
        steps=args.steps,
        warmup_steps=args.warmup_steps,
        new_tokens=args.new_tokens or args.target_length,
        num_beams=args.num_beams,
        device=args.device,
        seed=args.seed,
        repeats=args.repeats,
        precision=args.precision,
    )


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.worker:
        row = measure_method(args.worker, BenchSettings(**json.loads(args.worker_settings)))
        args.worker_result.write_text(json.dumps(dataclasses.asdict(row)))
        return
    settings = settings_from_args(args)
    if args.train_config is not None and not args.train_config.is_file():
        raise SystemExit(f"transducer bench: --train-config {args.train_config} not found")
    rows, failures = run_bench(settings)
    report = write_outputs(rows, settings, failures, args.output_dir)
    if args.train_config is not None:
        from tasks.comparison.config_runs import run_quality

        quality = run_quality(settings.methods, args.train_config, args.output_dir / "quality", settings.method_options)
        report += "\n" + quality
        (args.output_dir / "bench.md").write_text(report)
    print(report)
    print(f"[bench] wrote {args.output_dir / 'bench.md'}, bench.png and bench.json")
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
