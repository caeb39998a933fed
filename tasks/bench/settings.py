"""What ``transducer bench`` measures and the rows it measures: settings, one run of a method, all runs."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

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
