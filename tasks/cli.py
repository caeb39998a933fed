"""``transducer fit|validate|test|predict --config configs/<task>/<method>.yaml``: the Lightning CLI.

Defaults every run gets: ``trainer.precision: auto`` (bf16-mixed only where the device computes bf16 natively),
a CSV logger under ``trainer.default_root_dir``, best-checkpoint selection and early stopping
(``--early_stopping.patience``) on the task's main validation metric (on ``val_loss`` with
``--model.validation_generates false``), plus a ``last.ckpt`` in ``<default_root_dir>/checkpoints`` for
``--ckpt_path last``, adapter + loss-curve export at the end of ``fit``, a predictions writer
for ``predict``, and a test run on the best checkpoint after ``fit`` when a test split is configured
(``--test_after_fit false`` turns it off).
"""

from __future__ import annotations

import difflib
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from jsonargparse import Namespace
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from tasks.callbacks import ExportArtifacts, PredictionsWriter, best_checkpoint_path
from tasks.datamodule import CodeTaskDataModule
from tasks.interrupt import InterruptCheckpoint, checkpoint_dir
from tasks.module import AdaptationModule
from tasks.resume import RunFolderRecord, checkpoint_run_state
from tasks.summary import run_summary
from tasks.task import Task, resolve_task
from tasks.trainer import Trainer
from transducer.precision import AUTO, resolve_precision


#: option names in jsonargparse's messages about unknown options: "unrecognized arguments: --model.x 0.1" and
#: "Subcommand 'fit' does not accept option 'model.x'"
_UNKNOWN_OPTION = re.compile(r"unrecognized arguments: (.*)|does not accept option '([^']+)'")


class SuggestingArgumentParser(LightningArgumentParser):
    """A parser whose error for an unknown option is one line naming it and the closest valid option
    ("did you mean 'model.learning_rate'?"), instead of a page of usage text."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        match = _UNKNOWN_OPTION.search(message)
        if not self.exit_on_error or match is None:
            super().error(message, ex)
        parser = getattr(ex, "subcommand_parser", None) or self
        known = {name for action in parser._actions for name in (action.dest, *(o.lstrip("-") for o in action.option_strings))}
        unknown = [word.lstrip("-") for word in (match.group(1) or "").split() if word.startswith("--")] or [match.group(2)]
        lines = []
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
            lines.append(f"error: unknown option '{key}'" + (f"; did you mean '{close[0]}'?" if close else ""))
        prog = parser.prog.replace(" [options]", "")
        sys.stderr.write("\n".join(lines) + f"\n(`{prog} --help` lists every option)\n")
        raise SystemExit(2)


def monitored_metric(task: Any, validation_generates: bool = True) -> str:
    """``val_<main metric>`` of a task given as a name, a :class:`Task`, or its parsed config; ``val_loss`` when
    validation does not generate (``model.validation_generates false``)."""
    if not validation_generates:
        return "val_loss"
    if isinstance(task, (str, Task)):
        return f"val_{resolve_task(task).main_metric}"
    metrics = task.get("metrics") if hasattr(task, "get") else None
    return f"val_{(metrics or Task('custom').metrics)[0]}"


def monitor_mode(validation_generates: bool = True) -> str:
    """``max`` for a generation metric, ``min`` for the loss."""
    return "max" if validation_generates else "min"


def resolve_checkpoint(ckpt_path: str | None, default_root_dir: str | None) -> Path | None:
    """The file ``--ckpt_path`` names (``last``: ``<root>/checkpoints/last.ckpt``), if it exists."""
    if not ckpt_path or ckpt_path in ("best", "hpc", "registry"):
        return None
    path = Path(checkpoint_dir(default_root_dir)) / "last.ckpt" if ckpt_path == "last" else Path(ckpt_path)
    return path if path.is_file() else None


class TransducerCLI(LightningCLI):
    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.link_arguments("data.task", "model.task", apply_on="parse")
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults({"checkpoint.filename": "best-{step}"})
        monitored = ("data.task", "model.validation_generates")
        parser.link_arguments(monitored, "checkpoint.monitor", compute_fn=monitored_metric, apply_on="parse")
        parser.link_arguments("model.validation_generates", "checkpoint.mode", compute_fn=monitor_mode, apply_on="parse")
        # `last.ckpt`, rewritten at every validation whatever the metric did (ModelCheckpoint's own save_last only
        # saves when the monitored metric improved), for `fit --ckpt_path last`
        parser.add_lightning_class_args(ModelCheckpoint, "last_checkpoint")
        parser.set_defaults(
            {"last_checkpoint.filename": "last", "last_checkpoint.save_top_k": 1, "last_checkpoint.enable_version_counter": False}
        )
        parser.add_lightning_class_args(EarlyStopping, "early_stopping")
        # checked after each validation (where the metric exists; a resumed run's epoch end may have none)
        parser.set_defaults({"early_stopping.patience": 5, "early_stopping.check_on_train_epoch_end": False})
        parser.link_arguments(monitored, "early_stopping.monitor", compute_fn=monitored_metric, apply_on="parse")
        parser.link_arguments("model.validation_generates", "early_stopping.mode", compute_fn=monitor_mode,
                              apply_on="parse")
        # a stable folder, so that `fit --ckpt_path last` finds the previous run's last.ckpt
        for key in ("checkpoint", "last_checkpoint"):
            parser.link_arguments("trainer.default_root_dir", f"{key}.dirpath", compute_fn=checkpoint_dir, apply_on="parse")
        parser.add_argument(
            "--test_after_fit", type=bool, default=True, help="after fit, test the best checkpoint on data.test"
        )
        parser.add_argument(
            "--allow_untrained", type=bool, default=False,
            help="validate/test/predict a method with trainable weights without --model.adapter or --ckpt_path "
            "(measures the untrained model on purpose)",
        )
        parser.add_argument(
            "--test_before_fit", type=bool, default=False,
            help="before fit, also test the untrained method on data.test (for the transducer and LoRA: exactly the "
            "frozen backbone) and print its scores next to the adapted ones",
        )

    def before_instantiate_classes(self) -> None:
        """``trainer.precision: auto`` (the default) becomes bf16-mixed or fp32 by hardware (:mod:`transducer.precision`),
        with the choice on one line. Without a configured logger, log to CSV under ``trainer.default_root_dir`` (``<root>/run/version_N``);
        ``fit --ckpt_path`` continues the checkpoint's own version folder (:mod:`tasks.resume`)."""
        config = self.config[self.subcommand]
        trainer = config.trainer
        if self.subcommand == "fit" and config.data.get("validation") is None:
            # no validation data: nothing to monitor (early stopping, checked after validations, never runs);
            # checkpoints keep the latest weights, which the test after fit then uses; no validation loop at all
            # (Lightning would otherwise ask for the empty validation loader and warn that it is empty)
            config.checkpoint.monitor = None
            trainer.limit_val_batches = 0
        if trainer.get("precision") in (None, AUTO):  # resolved here, where the memory levers are known
            backbone = config.get("model.backbone")
            choice = resolve_precision(AUTO, trainer.get("accelerator"),
                                       frozen_dtype=backbone.get("frozen_dtype") if backbone else None)
            print(choice.describe(), file=sys.stderr)
            trainer.precision = choice.precision
        runs = Path(trainer.default_root_dir or ".") / "run"
        _RUN_FOLDERS_BEFORE[runs] = set(runs.glob("version_*"))
        if trainer.logger in (None, True):
            init_args = Namespace(save_dir=trainer.default_root_dir or ".", name="run")
            checkpoint = resolve_checkpoint(config.get("ckpt_path"), trainer.default_root_dir) if self.subcommand == "fit" else None
            if checkpoint is not None:
                folder, step = checkpoint_run_state(checkpoint)
                if folder is not None and Path(folder).parent.resolve() == runs.resolve() and Path(folder).is_dir():
                    init_args.version, init_args.resume_step = Path(folder).name, step
            trainer.logger = Namespace(class_path="tasks.resume.ContinuingCSVLogger", init_args=init_args)

    def before_validate(self) -> None:
        self._refuse_untrained_evaluation()

    def before_test(self) -> None:
        self._refuse_untrained_evaluation()

    def before_predict(self) -> None:
        self._refuse_untrained_evaluation()

    def _refuse_untrained_evaluation(self) -> None:
        """Evaluating trainable weights that were never trained or loaded gives meaningless scores: refuse it."""
        config = self.config[self.subcommand]
        if config.get("ckpt_path") or config.model.get("adapter") or config.get("allow_untrained"):
            return
        trainable, _ = self.model.adapted_model.trainable_parameters()
        if trainable:
            method = self.model.method_config.method_name
            raise SystemExit(
                f"transducer {self.subcommand}: method {method!r} has {trainable:,} trainable parameters but neither "
                "--model.adapter nor --ckpt_path is given, so it would evaluate untrained weights. Pass "
                "--model.adapter <run>/adapter or --ckpt_path <checkpoint> (e.g. last), or --allow_untrained true "
                "to measure the untrained model on purpose."
            )

    def after_validate(self) -> None:
        self._print_summary()

    def after_test(self) -> None:
        self._print_summary()

    def after_predict(self) -> None:
        self._print_summary()

    def _print_summary(self, training_seconds: float | None = None) -> None:
        # every rank builds it (the run folder is broadcast from rank 0 under DDP); rank 0 prints it
        summary = run_summary(self.subcommand, self.trainer, self.model, self.datamodule, training_seconds)
        if self.trainer.is_global_zero:
            print(summary)

    def before_fit(self) -> None:
        self.untrained_scores: dict[str, float] | None = None
        if self.config[self.subcommand].get("test_before_fit") and self.datamodule.files.get("test") is not None:
            self.model.test_output_name = "test_before_fit"
            self.untrained_scores = self.trainer.test(self.model, datamodule=self.datamodule, verbose=False)[0]
            self.model.test_output_name = "test"
        self.fit_started = time.perf_counter()

    def after_fit(self) -> None:
        training_seconds = time.perf_counter() - self.fit_started
        if self.config[self.subcommand].get("test_after_fit") and self.datamodule.files.get("test") is not None:
            adapted = self.trainer.test(self.model, datamodule=self.datamodule, ckpt_path=best_checkpoint_path(self.trainer))
            if self.untrained_scores is not None:
                print(score_comparison(self.untrained_scores, adapted[0]))
        self._print_summary(training_seconds)


def score_comparison(untrained: dict[str, float], adapted: dict[str, float]) -> str:
    """A small text table of each test metric before and after training."""
    names = [name for name in adapted if name in untrained and name != "test_loss"]
    width = max(len(name) for name in names) if names else 6
    lines = [f"{'metric':<{width}}  {'untrained':>10}  {'adapted':>10}"]
    lines += [f"{name:<{width}}  {untrained[name]:>10.2f}  {adapted[name]:>10.2f}" for name in names]
    return "\n".join(lines)


#: run folders (``<root>/run``) of this process's commands -> the version folders they held before the command
_RUN_FOLDERS_BEFORE: dict[Path, set[Path]] = {}
#: files a run folder holds before anything worth keeping is written
_SETUP_FILES = {"hparams.yaml", "config.yaml"}


def remove_empty_run_folders() -> None:
    """Delete the version folders a failed command created that hold nothing but its setup files."""
    for runs, before in _RUN_FOLDERS_BEFORE.items():
        for folder in set(runs.glob("version_*")) - before:
            if {p.name for p in folder.iterdir()} <= _SETUP_FILES:
                shutil.rmtree(folder, ignore_errors=True)


def main(args: list[str] | None = None) -> TransducerCLI:
    # Arguments that are the command line itself go through sys.argv: LightningCLI warns when given both.
    interrupt = InterruptCheckpoint()
    try:
        return TransducerCLI(
            AdaptationModule,
            CodeTaskDataModule,
            trainer_class=Trainer,
            parser_class=SuggestingArgumentParser,
            args=None if args == sys.argv[1:] else args,
            trainer_defaults={"callbacks": [RunFolderRecord(), ExportArtifacts(), PredictionsWriter(), interrupt]},
            save_config_kwargs={"overwrite": True},
            seed_everything_default=42,
        )
    except BaseException:
        remove_empty_run_folders()
        if interrupt.exit_code is not None:  # SIGTERM / SIGINT during fit: checkpointed, and not a success
            raise SystemExit(interrupt.exit_code) from None
        raise
