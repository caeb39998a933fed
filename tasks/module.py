"""The ``LightningModule`` that trains and evaluates any adaptation method with the same loop.

Every method (the transducer and every baseline) goes through the same optimizer, generation settings and
metrics. Generation receives only the source (and its graph), never the target.
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.trainer.states import TrainerFn
from transformers import StoppingCriteriaList

from tasks.callbacks import run_dir
from tasks.distributed import gather_records
from tasks.progress import generation_progress
from tasks.metrics import compute_metrics, write_predictions
from tasks.task import Task, resolve_task
from transducer.backbone import BackboneConfig, is_seq2seq
from transducer.memory import apply_memory_levers, check_precision_for_levers
from transducer.quantization import check_trainable_not_quantized
from transducer.methods import load_adapted_model
from transducer.adaptation import AdaptedModel, MethodConfig, backbone_record, check_backbone

CHECKPOINT_META_KEY = "transducer_tuning"


@dataclass
class GenerationSettings:
    """Decoding settings shared by every method (the paper's: beam 2, up to 150 new tokens).

    ``max_new_tokens_per_source_token``: also cap a batch's new tokens at this many times its longest source (in
    tokens; ``None``: no such cap). A model that never stops otherwise decodes ``max_new_tokens`` for every batch;
    for translation, where a target is rarely more than twice its source, 2.5 cuts little but that run-on.

    ``mixed_precision``: generate under the trainer's mixed precision (e.g. ``bf16-mixed``: faster on CPUs with
    bf16 and on GPUs). Reduced precision makes a prediction depend slightly on the other sequences in its batch
    (padding changes the rounding), so predictions can change with ``data.eval_batch_size``; ``false`` generates
    in float32, where they do not.
    """

    num_beams: int = 2
    max_new_tokens: int = 150
    max_new_tokens_per_source_token: float | None = None
    mixed_precision: bool = True

    def __post_init__(self) -> None:
        if self.max_new_tokens_per_source_token is not None and self.max_new_tokens_per_source_token <= 0:
            raise ValueError("generation.max_new_tokens_per_source_token must be positive (or null for no such cap), "
                             f"got {self.max_new_tokens_per_source_token}")

    def new_token_budget(self, source_tokens: int) -> int:
        """New tokens allowed for a batch whose longest source has ``source_tokens`` tokens."""
        if self.max_new_tokens_per_source_token is None:
            return self.max_new_tokens
        return min(self.max_new_tokens, math.ceil(self.max_new_tokens_per_source_token * source_tokens))


class AdaptationModule(pl.LightningModule):
    """Train/evaluate one adaptation method of a backbone on one task.

    Args:
        backbone: which model to adapt (hub name, folder, or a config for random weights).
        method: the adaptation method and its hyperparameters (YAML: ``class_path``/``init_args``).
        task: task name or definition (linked from ``data.task`` by the CLI).
        adapter: a folder written by ``save_pretrained`` to start from (e.g. for ``predict``/``test``).
        learning_rate / weight_decay: AdamW settings (the paper: 3e-4, constant).
        warmup_steps: linear warmup steps; ``lr_schedule``: ``constant`` or ``linear`` (decay to 0 at the end).
        generation: decoding settings for validation/test/predict.
        allow_other_backbone_weights: load an adapter or checkpoint onto a backbone of the same architecture but
            other weights than it was trained on (refused by default).
        validation_generates: generate and score predictions in validation (during ``fit`` and in ``validate``);
            ``false`` logs only the teacher-forced ``val_loss`` (much cheaper; select checkpoints on ``val_loss``).
    """

    def __init__(
        self,
        backbone: BackboneConfig,
        method: MethodConfig,
        task: str | Task = "code_summarization",
        adapter: str | None = None,
        learning_rate: float = 3e-4,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        lr_schedule: str = "constant",
        generation: GenerationSettings | None = None,
        allow_other_backbone_weights: bool = False,
        validation_generates: bool = True,
    ) -> None:
        super().__init__()
        if lr_schedule not in ("constant", "linear"):
            raise ValueError(f"model.lr_schedule must be 'constant' or 'linear', got {lr_schedule!r}")
        self.task = resolve_task(task)
        self.method_config = method
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_steps = warmup_steps
        self.lr_schedule = lr_schedule
        self.generation = generation or GenerationSettings()
        self.validation_generates = validation_generates
        backbone_model, self.tokenizer = backbone.load()
        self.seq2seq = is_seq2seq(backbone_model)
        self.check_backbone_weights = not allow_other_backbone_weights
        if adapter is not None:
            self.adapted_model: AdaptedModel = load_adapted_model(
                adapter, backbone_model, self.tokenizer, check_weights=self.check_backbone_weights
            )
        else:
            self.adapted_model = method.build(backbone_model, self.tokenizer)
        check_trainable_not_quantized(self.adapted_model, method.method_name)
        self.memory_levers = backbone.memory_levers
        if self.memory_levers.frozen_dtype is not None and not self.generation.mixed_precision:
            raise ValueError(f"backbone.frozen_dtype {self.memory_levers.frozen_dtype!r} needs "
                             "generation.mixed_precision true (frozen low-precision weights run under autocast)")
        apply_memory_levers(self.adapted_model, backbone_model, self.memory_levers)
        self.strict_loading = False  # checkpoints hold only the trainable weights
        #: name under which test outputs are written (``predictions_<name>.jsonl``, ``metrics_<name>.json``)
        self.test_output_name = "test"
        #: seconds spent generating (validation, test and predict)
        self.generation_seconds = 0.0
        self._records: list[dict[str, Any]] = []
        self._run_seed: int | None = None
        self._restored = False

    # --- steps -----------------------------------------------------------------------------------------------
    def forward(self, batch: dict[str, Any]) -> Any:
        return self.adapted_model(batch["input_ids"], batch["attention_mask"], batch["labels"], batch["graph"])

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor | None:
        loss = self(batch).loss
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch["ids"]))
        # a method with nothing to train (no fine-tuning) still runs fit's loop, validation and checkpoints
        return loss if loss.requires_grad else None

    def connect_data(self, data: Any) -> None:
        """Give ``data`` (a :class:`~tasks.datamodule.CodeTaskDataModule`) what this method needs of its batches:
        the tokenizer, the backbone family, the graph encoder (graph methods), token-node alignment and few-shot
        demonstrations, each as the method declares it."""
        adapted = self.adapted_model
        data.connect(
            self.tokenizer, self.seq2seq, adapted.encode_graphs if adapted.uses_graph else None,
            adapted.graph_encoding_key() if adapted.uses_graph else None,
            demonstrations=self.method_config.demonstrations, align_tokens_to_nodes=adapted.aligns_tokens_to_nodes,
        )

    def generate(self, batch: dict[str, Any]) -> list[str]:
        """Decode predictions from the source (and graph) alone."""
        started = time.perf_counter()
        device_type = batch["generation_input_ids"].device.type
        budget = self.generation.new_token_budget(int(batch["generation_attention_mask"].sum(1).max()))
        progress = generation_progress(self._trainer, budget)  # the bar moves while a batch decodes
        with torch.autocast(device_type, enabled=False) if not self.generation.mixed_precision else nullcontext():
            ids = self.adapted_model.generate(
                batch["generation_input_ids"],
                batch["generation_attention_mask"],
                batch["graph"],
                num_beams=self.generation.num_beams,
                max_new_tokens=budget,
                **({"stopping_criteria": StoppingCriteriaList(progress)} if progress else {}),
            )
        texts = [text.strip() for text in self.tokenizer.batch_decode(ids, skip_special_tokens=True)]
        self.generation_seconds += time.perf_counter() - started
        return texts

    def _evaluation_step(self, batch: dict[str, Any], stage: str) -> None:
        self.log(f"{stage}_loss", self(batch).loss, batch_size=len(batch["ids"]), sync_dist=True)
        if not self._generates(stage):
            return
        predictions = self.generate(batch)
        self._records.extend(
            {"id": i, "source": s, "reference": t, "prediction": p}
            for i, s, t, p in zip(batch["ids"], batch["sources"], batch["targets"], predictions)
        )

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluation_step(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluation_step(batch, "test")

    def predict_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0) -> list[dict[str, str]]:
        predictions = self.generate(batch)
        return [{"id": i, "source": s, "prediction": p} for i, s, p in zip(batch["ids"], batch["sources"], predictions)]

    # --- metrics ---------------------------------------------------------------------------------------------
    def on_validation_epoch_start(self) -> None:
        self._records = []

    def on_test_epoch_start(self) -> None:
        self._records = []

    def _score(self, stage: str) -> tuple[list[dict[str, Any]], Any]:
        records = gather_records(self._records)
        self._records = []
        result = compute_metrics(
            [r["prediction"] for r in records],
            [r["reference"] for r in records],
            self.task.metrics,
            language=self.task.target_language,
            # per-instance scores are written by test and validate, not by validation during fit
            per_instance=stage == "test" or self.trainer.state.fn == TrainerFn.VALIDATING,
        )
        for name, value in result.corpus.items():
            self.log(f"{stage}_{name}", float(value))  # every rank holds the same gathered records
        return records, result

    def _generates(self, stage: str) -> bool:
        """Whether ``stage`` generates: always, but validation without ``validation_generates``."""
        return stage != "val" or self.validation_generates

    def on_validation_epoch_end(self) -> None:
        if not self._generates("val"):
            return
        records, result = self._score("val")
        if self.trainer.state.fn == TrainerFn.VALIDATING:  # `transducer validate` writes what `test` writes
            self._write_outputs("validation", "validation", records, result)

    def on_test_epoch_end(self) -> None:
        records, result = self._score("test")
        self._write_outputs("test", self.test_output_name, records, result)

    def _write_outputs(self, split: str, name: str, records: list[dict[str, Any]], result: Any) -> None:
        """``predictions_<name>.jsonl`` and ``metrics_<name>.json`` (with the split's data accounting) in the run."""
        directory = run_dir(self.trainer)
        if self.trainer.is_global_zero:
            accounting = getattr(self.trainer.datamodule, "accounting", {}).get(split)
            write_predictions(directory, name, records, result, accounting and accounting.to_dict())

    # --- optimization ----------------------------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        parameters = [p for p in self.adapted_model.parameters() if p.requires_grad]
        if not parameters:
            return None  # e.g. no fine-tuning: nothing to train
        optimizer = torch.optim.AdamW(parameters, lr=self.learning_rate, weight_decay=self.weight_decay)
        total_steps = max(int(self.trainer.estimated_stepping_batches), 1)

        def factor(step: int) -> float:
            warmup = min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps else 1.0
            decay = max(0.0, 1 - step / total_steps) if self.lr_schedule == "linear" else 1.0
            return warmup * decay

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    # --- checkpoints: trainable weights only, refused on another backbone, exact resume ------------------------

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        trainable = {f"adapted_model.{n}" for n, p in self.adapted_model.named_parameters() if p.requires_grad}
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in trainable}
        checkpoint[CHECKPOINT_META_KEY] = {
            "method": self.method_config.method_name,
            **backbone_record(self.adapted_model.backbone),
        }
        checkpoint["run_seed"] = self._run_seed

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = checkpoint.get(CHECKPOINT_META_KEY)
        if saved is None:
            raise ValueError("checkpoint was not written by transducer-tuning (no method/backbone record)")
        check_backbone(saved, self.adapted_model.backbone, "checkpoint", self.check_backbone_weights)
        method = self.method_config.method_name
        if saved["method"] != method:
            raise ValueError(f"checkpoint holds method {saved['method']!r} but the config builds {method!r}")
        self._run_seed = checkpoint.get("run_seed", self._run_seed)
        self._restored = True

    def setup(self, stage: str) -> None:
        check_precision_for_levers(self.memory_levers, self.trainer.precision)

    def on_fit_start(self) -> None:
        # `from_pretrained` returns backbones in eval mode and Lightning keeps the modes it finds, so without this
        # every method would train a folder-loaded backbone with its dropout off. Every method trains in train
        # mode, as a standard fine-tune (or PEFT run) of the backbone does; evaluation loops switch to eval and back.
        self.adapted_model.train()

        if self._run_seed is None:
            self._run_seed = torch.initial_seed()  # the seed `seed_everything` set; saved in checkpoints

    def on_train_batch_start(self, batch: dict[str, Any], batch_idx: int) -> None:
        # Exact resume: Lightning's checkpoints restore no random generator, so every training batch seeds torch
        # (CPU and CUDA) from where training is (run seed, rank, epoch, batch index): a resumed run draws the
        # dropout masks the uninterrupted run drew, whatever ran before it.
        trainer = self.trainer
        if self._restored:
            # Resuming from a checkpoint written at an epoch's closing validation, Lightning (2.6.6) sets its
            # logging step one past the global step (``_TrainingEpochLoop.reset``), so the resumed rows would be
            # logged one step late. With one optimizer both count optimizer steps: make them agree again.
            trainer.fit_loop.epoch_loop._batches_that_stepped = trainer.global_step
            self._restored = False
        words = np.random.SeedSequence([self._run_seed or 0, trainer.global_rank, trainer.current_epoch, batch_idx])
        torch.manual_seed(int(words.generate_state(1, dtype=np.uint64)[0] >> 1))
