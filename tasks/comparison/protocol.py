"""What the quality comparison runs and how (protocol v2): the methods, their learning-rate grids, and the settings
shared by every method and seed, recorded in ``protocol.json`` next to the results.

Protocol v2, in words:
- Data (per task, :mod:`tasks.comparison.task_setups`): a dev slice of ``dev_size`` pairs (``data_seed``) chooses;
  translation carves it from train (and trains on the rest), the built tasks take it from their validation split.
  Every row is scored on a split no choice ever looks at (translation: validation; the built tasks: test).
- Learning rate: each rate of a method's grid trains ``selection_fraction`` of the final run's steps with the
  final run's schedule shape (linear warm-up over ``warmup_fraction`` of the steps, then linear decay to zero) and
  is scored by teacher-forced loss on the dev slice; the lowest loss wins (ties: the smaller rate). While the best
  is at an edge of the rates tried, the grid grows by the next rate of the 1-3-10 sequence on that side (up to
  ``grid_extensions`` times). One seed (the first) chooses; every seed trains at the chosen rate.
- Final runs: ``epochs`` epochs per seed, the same for every method; teacher-forced dev loss
  ``evaluations_per_epoch`` times per epoch, and the checkpoint with the lowest dev loss is the one that generates.
- Seeds: every trained row runs each of ``seeds`` (initialisation, dropout and data order change with the seed).
- Precision: ``auto`` chooses bf16-mixed only where the device computes bf16 natively (:mod:`transducer.precision`);
  the choice and its reason are recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

REFERENCE = "transducer"
COPY_BASELINE = "copy_source"
RETRIEVAL_BASELINE = "retrieval_bm25"
#: protocol.json's record of every precision a folder's sittings ran in (precision -> the reason it was chosen),
#: present once a folder spans machines (``--allow-precision-change``)
PRECISIONS = "precisions"

#: method or preset -> learning rates its grid starts from (empty: nothing trains), in run order: the questions the
#: comparison answers first come first (the transducer, its graph-free twin, the baselines it must beat)
LEARNING_RATE_GRIDS: dict[str, tuple[float, ...]] = {
    "transducer": (3e-4, 1e-3, 3e-3),
    "transducer_no_graph": (3e-4, 1e-3, 3e-3),
    "lora": (3e-4, 1e-3, 3e-3),
    "prefix_tuning": (1e-3, 3e-3, 1e-2),
    "lora_transducer": (3e-4, 1e-3, 3e-3),
    "lora_transducer_no_graph": (3e-4, 1e-3, 3e-3),
    "transducer_fusion": (3e-4, 1e-3, 3e-3),
    "transducer_prefix": (3e-4, 1e-3, 3e-3),
    "transducer_unbounded": (3e-4, 1e-3, 3e-3),
    "transducer_aligned": (3e-4, 1e-3, 3e-3),
    "ia3": (1e-3, 3e-3, 1e-2),
    "prompt_tuning": (3e-3, 1e-2, 3e-2),
    "linear_adapter": (1e-4, 3e-4, 1e-3),
    "full_finetune": (1e-4, 3e-4, 1e-3),
    "layer_freezing": (1e-4, 3e-4, 1e-3),
    "no_finetune": (),
    "icl": (),
    # beyond the default rows (run with --methods)
    "frozen_decoder": (1e-4, 3e-4, 1e-3),
    "transducer_small": (1e-3, 3e-3, 1e-2),
    "transducer_minilm": (3e-4, 1e-3, 3e-3),
}
DEFAULT_METHODS = tuple(LEARNING_RATE_GRIDS)[: tuple(LEARNING_RATE_GRIDS).index("icl") + 1]
#: graph methods -> their graph-free twins (the same method with the graph replaced by nothing)
GRAPH_TWINS = {
    "transducer": "transducer_no_graph",
    "transducer_fusion": "transducer_no_graph",
    "transducer_unbounded": "transducer_no_graph",
    "lora_transducer": "lora_transducer_no_graph",
    "transducer_prefix": "transducer_no_graph",
    "transducer_aligned": "transducer_no_graph",
    "transducer_small": "transducer_no_graph",
    "transducer_minilm": "transducer_no_graph",
}
#: the transducer designs the default is chosen from, by dev loss at each one's chosen rate
TRANSDUCER_DESIGNS = ("transducer", "transducer_fusion", "transducer_prefix", "transducer_aligned",
                      "transducer_unbounded")
#: the input-side baselines the transducer is to match or beat at equal or fewer parameters
INPUT_SIDE_BASELINES = ("prefix_tuning", "prompt_tuning", "ia3", "linear_adapter")
#: the report's row order
REPORT_ORDER = (COPY_BASELINE, RETRIEVAL_BASELINE, "no_finetune", "icl", "transducer", "transducer_no_graph", "transducer_fusion",
                "transducer_unbounded", "transducer_prefix", "transducer_aligned", "transducer_small", "transducer_minilm",
                "lora_transducer", "lora_transducer_no_graph", "prompt_tuning", "prefix_tuning", "ia3",
                "linear_adapter", "lora", "frozen_decoder", "layer_freezing", "full_finetune")


@dataclass
class Protocol:
    """Settings shared by every method and seed (see the module docstring)."""

    dev_size: int = 256
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 1
    evaluations_per_epoch: int = 4
    selection_fraction: float = 0.25
    grid_extensions: int = 4
    batch_size: int = 16
    eval_batch_size: int = 32
    max_source_length: int = 320
    max_target_length: int = 320
    num_beams: int = 2
    max_new_tokens: int = 300
    max_new_tokens_per_source_token: float = 2.5
    warmup_fraction: float = 0.05
    weight_decay: float = 0.01
    precision: str = "auto"
    group_by_length: bool = True
    data_seed: int = 42
    version: int = field(default=2, init=False)

    def __post_init__(self) -> None:
        self.seeds = tuple(self.seeds)
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct and at least one, got {self.seeds}")
        if not 0 < self.selection_fraction <= 1:
            raise ValueError(f"selection_fraction must be in (0, 1], got {self.selection_fraction}")
        for name in ("dev_size", "epochs", "evaluations_per_epoch", "batch_size", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    def steps_per_epoch(self, train_size: int) -> int:
        return math.ceil(train_size / self.batch_size)

    def final_steps(self, train_size: int) -> int:
        return self.epochs * self.steps_per_epoch(train_size)

    def selection_steps(self, train_size: int) -> int:
        return max(1, math.ceil(self.selection_fraction * self.final_steps(train_size)))

    def evaluation_interval(self, train_size: int) -> int:
        """Training steps between two dev-loss evaluations of a final run."""
        return max(1, self.steps_per_epoch(train_size) // self.evaluations_per_epoch)

    def warmup_steps(self, steps: int) -> int:
        return round(self.warmup_fraction * steps)


def seeds_for(method: str, protocol: Protocol) -> tuple[int, ...]:
    """The seeds ``method`` runs: all of them, or the first only for what trains nothing (deterministic)."""
    return protocol.seeds if LEARNING_RATE_GRIDS.get(method) else protocol.seeds[:1]
