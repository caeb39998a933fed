"""The ``LightningDataModule``: read a task's splits, extract their graphs once (through the CPG cache), and
collate text + PyG ``Batch``.

Tokenizer, backbone family and graph encoding belong to the model, so the data module takes them from the
``LightningModule`` it is trained with (``connect`` does it by hand for library use).
"""

from __future__ import annotations

import codecs
import dataclasses
import inspect
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only
from torch.utils.data import DataLoader, DistributedSampler

from cpg import DEFAULT_MAX_NODES
from cpg.cache import default_cache_dir
from cpg.graph import CodePropertyGraph
from tasks import encoded_graphs as encoded_graphs_cache
from tasks.collate import Collator, Sample
from tasks.data import Example, load_examples
from tasks.data.accounting import SplitAccounting, account_split, source_keys
from tasks.data.loading import FORMATS
from tasks.data.readers import collect_replaced_lines
from tasks.task import Task, resolve_task

#: the splits each Lightning stage reads
STAGE_SPLITS = {"fit": ("train", "validation"), "validate": ("validation",), "test": ("test",), "predict": ("predict",)}
#: splits a stage can do without: training without validation data runs no validation
OPTIONAL_STAGE_SPLITS = {"fit": ("validation",)}


#: one split's data: a native ``.jsonl`` path, or a ``tasks.data.load_examples`` spec such as
#: ``{format: codexglue_translation, source_path: x.java, target_path: x.cs, limit: 100}``
DataSpec = dict[str, Any] | str


#: with ``group_by_length``, each run of this many batches (in shuffled order) is sorted by length, as Hugging Face's
#: ``LengthGroupedSampler`` does: batches hold similar lengths (less padding) and their order stays random
LENGTH_GROUP_BATCHES = 50


class EpochShuffleSampler(DistributedSampler):
    """Shuffle with ``seed + trainer.current_epoch``, read when an epoch's iteration starts.

    Reading the epoch from the trainer (rather than trusting ``set_epoch`` calls) keeps the order of a run resumed
    from an end-of-epoch checkpoint identical to the uninterrupted run's; Lightning's ``set_epoch`` is one epoch
    ahead there. Splits the data across ranks like ``DistributedSampler``.

    With ``lengths`` (one per sample) and ``batch_size``, each rank's shuffled order is cut into groups of
    :data:`LENGTH_GROUP_BATCHES` batches, each group sorted longest first, and the batches are then shuffled (same
    seed), so a batch pads to similar lengths while the batch order stays random.

    Resuming mid-epoch: on a run restored from a checkpoint written k batches into an epoch, the first iteration
    skips those k batches (Lightning restores its batch progress before it iterates), so the resumed run trains on
    exactly the batches the uninterrupted run would have.
    """

    def __init__(self, dataset: Any, trainer: pl.Trainer | None, lengths: list[int] | None = None,
                 batch_size: int = 1, **kwargs: Any) -> None:
        super().__init__(dataset, shuffle=True, **kwargs)
        self.trainer = trainer
        self.lengths = lengths
        self.batch_size = batch_size

    def __iter__(self) -> Any:
        if self.trainer is not None:
            self.epoch = self.trainer.current_epoch
        order = self._epoch_order()
        return iter(order[self._batches_done_in_epoch(len(order)) * self.batch_size :])

    def _epoch_order(self) -> list[int]:
        order = list(super().__iter__())
        if self.lengths is None:
            return order
        group = LENGTH_GROUP_BATCHES * self.batch_size
        grouped = [i for start in range(0, len(order), group)
                   for i in sorted(order[start : start + group], key=lambda i: -self.lengths[i])]
        batches = [grouped[start : start + self.batch_size] for start in range(0, len(grouped), self.batch_size)]
        generator = torch.Generator().manual_seed(self.seed + self.epoch + 1)
        return [i for b in torch.randperm(len(batches), generator=generator).tolist() for i in batches[b]]

    def _batches_done_in_epoch(self, samples: int) -> int:
        """Batches of this epoch a run restored from a mid-epoch checkpoint has already trained on (else 0)."""
        if self.trainer is None or not self.trainer.fit_loop.restarting:
            return 0
        done = self.trainer.fit_loop.epoch_loop.batch_progress.current.completed
        return done if 0 < done < -(-samples // self.batch_size) else 0


class ResumableDataLoader(DataLoader):
    """A ``DataLoader`` Lightning may resume mid-epoch: its position is Lightning's own restored batch progress,
    which :class:`EpochShuffleSampler` reads, so the loader keeps no state of its own (``state_dict`` is empty). It
    exists to tell Lightning that resuming mid-epoch is exact."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        return None


class CodeTaskDataModule(pl.LightningDataModule):
    """Data for one task: JSONL (or a public format) in, batches of tokens + graphs out.

    Args:
        task: a built-in task name or a :class:`~tasks.task.Task`.
        train / validation / test / predict: each split's :data:`DataSpec` (predict needs no targets).
        batch_size: training batch size; ``eval_batch_size`` for validation/test/predict (default: same).
        max_source_length / max_target_length: token budgets.
        cpg_backend: ``treesitter`` (in-process) or ``joern``.
        cpg_cache_dir: graph cache folder (default ``$TRANSDUCER_CACHE_DIR`` or ``~/.cache/transducer-tuning/cpg``).
        cpg_max_nodes: graphs are truncated to this many nodes (reported, never dropped).
        extraction_workers: processes for graph extraction (default: all cores).
        num_workers: ``DataLoader`` workers.
        seed: shuffling seed (each epoch reshuffles with ``seed + epoch``, so resumed runs see the same order).
        encoding: text encoding of the data files (default utf-8); a line with bytes that are not valid in it is
            decoded with U+FFFD replacement characters and counted in the split's data report, never the whole file.
        group_by_length: training batches of similar lengths (source + target characters), like Hugging Face's
            ``group_by_length``: less padding, so faster steps, with the batch order still random. Validation and
            test batches then go longest source first (less padding, and a per-batch generation budget such as
            ``max_new_tokens_per_source_token`` fits each sample), so their predictions are written in that order,
            each with its id; predict keeps the input order.
    """

    def __init__(
        self,
        task: str | Task = "code_summarization",
        train: DataSpec | None = None,
        validation: DataSpec | None = None,
        test: DataSpec | None = None,
        predict: DataSpec | None = None,
        batch_size: int = 8,
        eval_batch_size: int | None = None,
        max_source_length: int = 400,
        max_target_length: int = 150,
        cpg_backend: str = "treesitter",
        cpg_cache_dir: str | None = None,
        cpg_max_nodes: int = DEFAULT_MAX_NODES,
        extraction_workers: int | None = None,
        num_workers: int = 0,
        seed: int = 42,
        group_by_length: bool = False,
        encoding: str = "utf-8",
    ) -> None:
        super().__init__()
        codecs.lookup(encoding)  # an unknown encoding fails here, naming it, not when a split is first read
        self.task = resolve_task(task)
        self.files = {"train": train, "validation": validation, "test": test, "predict": predict}
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.max_source_length = max_source_length
        self.max_target_length = max_target_length
        self.cpg_backend = cpg_backend
        self.cpg_cache_dir = cpg_cache_dir or str(default_cache_dir())
        self.cpg_max_nodes = cpg_max_nodes
        self.extraction_workers = extraction_workers
        self.num_workers = num_workers
        self.seed = seed
        self.group_by_length = group_by_length
        self.encoding = encoding
        self.samples: dict[str, list[Sample]] = {}
        #: per loaded split: truncation and train-overlap counts (also logged, and written with test metrics)
        self.accounting: dict[str, SplitAccounting] = {}
        #: per loaded split: lines whose undecodable bytes were replaced (see ``encoding``)
        self.replaced_lines: dict[str, int] = {}
        self._train_sources: set[str] | None = None
        #: seconds spent on graph extraction (``graphs_s``) and on tokenizing node texts (``graph_encoding_s``)
        self.timings: dict[str, float] = {}
        self.collator: Collator | None = None
        self.graph_encoder: Callable[..., list[Any]] | None = None
        self.graph_encoding_key: str | None = None

    def connect(self, tokenizer: Any, seq2seq: bool, graph_encoder: Callable[..., list[Any]] | None,
                graph_encoding_key: str | None = None, demonstrations: Any | None = None,
                align_tokens_to_nodes: bool = False) -> None:
        """Take the model's tokenizer, backbone family and graph encoder (``encode_graphs(graphs, progress=...)``
        of the adapted model; ``None``: the method uses no graphs). With ``graph_encoding_key`` (what the encoder's
        output depends on), encoded splits are cached next to the graph cache (:mod:`tasks.encoded_graphs`).
        ``demonstrations`` (an :class:`~transducer.methods.icl.IclConfig`) turns the sources of every split but
        train into few-shot prompts built from the train split (:mod:`tasks.icl`). ``align_tokens_to_nodes``: batches
        carry which source tokens lie in which graph nodes (``Collator.align_tokens_to_nodes``)."""
        self.collator = Collator(
            tokenizer, seq2seq, self.max_source_length, self.max_target_length, self.task.source_prefix,
            align_tokens_to_nodes,
        )
        self.graph_encoder = graph_encoder
        self.graph_encoding_key = graph_encoding_key
        self.demonstrations = demonstrations

    def prepare_data(self) -> None:
        """Fill the graph cache for the running stage's splits. Lightning calls this on one process per node before
        ``setup``, so under DDP the graphs are extracted once and every rank then reads them from the cache. A
        single process skips it: its ``setup`` extracts and keeps the graphs in one pass."""
        if self.trainer is None or self.trainer.world_size == 1:
            return
        if self.collator is None:
            self._connect_to_trainer_module()
        if self.graph_encoder is not None:
            for split in self._stage_splits(self.trainer.state.fn.value):
                self._extract_graphs(self._examples(split), split)

    def setup(self, stage: str) -> None:
        for split in self._stage_splits(stage):
            self._split_samples(split)

    def _stage_splits(self, stage: str) -> list[str]:
        """The splits ``stage`` reads, without optional ones that are not configured."""
        optional = OPTIONAL_STAGE_SPLITS.get(stage, ())
        return [s for s in STAGE_SPLITS[stage] if not (s in optional and self.files[s] is None)]

    def _split_samples(self, split: str) -> list[Sample]:
        """The split's samples, read (and their graphs extracted) on first use."""
        if split not in self.samples:
            if self.collator is None:
                self._connect_to_trainer_module()
            self.samples[split] = self._load_split(split)
        return self.samples[split]

    def _connect_to_trainer_module(self) -> None:
        module = self.trainer.lightning_module if self.trainer is not None else None
        if module is None or not hasattr(module, "connect_data"):
            raise RuntimeError("CodeTaskDataModule needs `connect(...)` before setup when used without a trainer")
        module.connect_data(self)

    def _load_split(self, split: str) -> list[Sample]:
        examples = self._examples(split)
        if split == "train":
            self._train_sources = source_keys(examples)
        elif self.demonstrations is not None:
            examples = self._prompted(examples, split)
        self.accounting[split] = account_split(
            examples, self.collator.tokenizer, self.task.source_prefix, self.max_source_length, self.max_target_length,
            None if split == "train" else self._training_sources(), self.replaced_lines.get(split, 0),
        )
        rank_zero_info(f"[{split}] {self.accounting[split].summary(self.max_source_length, self.max_target_length)}")
        if self.graph_encoder is None:
            return [Sample(e.id, e.source, e.target, None) for e in examples]
        if not self.task.source_is_code:
            rank_zero_info(f"[{split}] task {self.task.name!r} has natural-language sources: no graph to extract, so "
                           "the method runs graph-free (every sample gets the empty graph)")
            empty = self.graph_encoder([CodePropertyGraph("text", "none")])[0]
            return [Sample(e.id, e.source, e.target, empty) for e in examples]
        started = time.perf_counter()
        cache_file = self._encoded_cache_file(examples, split)
        cached = encoded_graphs_cache.load(cache_file) if cache_file is not None and cache_file.is_file() else None
        if cached is not None:
            encoded_graphs, extraction_counts = cached
            for counts in extraction_counts:
                rank_zero_info(
                    f"[{split}] {counts['language']} graphs: {counts['graphs']} read from the encoded-graph cache; when "
                    f"extracted {counts['flagged']} were flagged, {counts['truncated']} truncated, {counts['failed']} failed"
                )
            elapsed = time.perf_counter() - started
            self.timings["graph_encoding_s"] = self.timings.get("graph_encoding_s", 0.0) + elapsed
            rank_zero_info(f"[{split}] encoded graphs read from {cache_file} in {elapsed:.1f} s")
        else:
            extraction_counts: list[dict[str, object]] = []
            graphs = self._extract_graphs(examples, split, extraction_counts)
            extracted = time.perf_counter()
            encoded_graphs = self.graph_encoder(graphs, progress=rank_zero_only.rank == 0)
            encoded = time.perf_counter()
            if cache_file is not None:
                encoded_graphs_cache.save(cache_file, encoded_graphs, extraction_counts)
            self.timings["graphs_s"] = self.timings.get("graphs_s", 0.0) + extracted - started
            self.timings["graph_encoding_s"] = self.timings.get("graph_encoding_s", 0.0) + encoded - extracted
            rank_zero_info(f"[{split}] graphs ready in {extracted - started:.1f} s, node texts tokenized in {encoded - extracted:.1f} s")
        return [Sample(e.id, e.source, e.target, g) for e, g in zip(examples, encoded_graphs)]

    def _prompted(self, examples: list[Example], split: str) -> list[Example]:
        """``examples`` with each source replaced by its few-shot prompt (the ``icl`` method)."""
        from tasks.icl import DemonstrationPrompter

        if self.files["train"] is None:
            raise ValueError("method icl takes its demonstrations from data.train; configure data.train")
        settings = self.demonstrations
        tokenizer = self.collator.tokenizer
        prefix_tokens = len(tokenizer(self.task.source_prefix, add_special_tokens=False)["input_ids"])
        prompter = DemonstrationPrompter(
            self._examples("train"), tokenizer, self.max_source_length - prefix_tokens,
            k=settings.k, selection=settings.selection, example_template=settings.example_template,
            query_template=settings.query_template, seed=settings.seed,
        )
        prompted = [dataclasses.replace(e, source=prompter.prompt(e)) for e in examples]
        rank_zero_info(f"[{split}] in-context prompts: {prompter.summary()}")
        return prompted

    def _encoded_cache_file(self, examples: list[Example], split: str) -> Path | None:
        """Where this split's encoded graphs are cached (``None``: the encoder gave no key, so no caching)."""
        if self.graph_encoding_key is None:
            return None
        pairs = ((self._language(e, split), self.task.graph_code(e.source)) for e in examples)
        extraction = {"backend": self.cpg_backend, "max_nodes": self.cpg_max_nodes}
        key = encoded_graphs_cache.split_key(pairs, extraction, self.graph_encoding_key)
        return Path(self.cpg_cache_dir) / "encoded" / f"{key}.pt"

    def _language(self, example: Example, split: str) -> str:
        language = self.task.source_language or example.language
        if language is None:
            raise ValueError(
                f"`data.{split}`: example {example.id!r} has no `language` and task {self.task.name!r} sets no "
                "`source_language`; set one of them"
            )
        return language

    def _training_sources(self) -> set[str] | None:
        """Normalised sources of the training split (read once), or ``None`` when no training split is configured."""
        if self._train_sources is None and self.files["train"] is not None:
            self._train_sources = source_keys(self._examples("train"))
        return self._train_sources

    def _examples(self, split: str) -> list[Example]:
        """The split's examples; lines decoded with replacement characters are counted in
        ``self.replaced_lines[split]``."""
        spec = self.files[split]
        if spec is None:
            raise ValueError(f"no `data.{split}` configured, but the `{split}` split is needed for this command")
        spec = {"format": "jsonl", "path": spec} if isinstance(spec, str) else dict(spec)
        if split == "predict" and spec.get("format") == "jsonl":
            spec.setdefault("require_target", False)  # inputs to predict need no target
        if "encoding" in inspect.signature(FORMATS.get(spec.get("format"), load_examples)).parameters:
            spec.setdefault("encoding", self.encoding)
        with collect_replaced_lines() as replaced:
            examples = load_examples(spec)
        self.replaced_lines[split] = len(replaced)
        if not examples:
            raise ValueError(f"`data.{split}` ({spec}) holds no examples")
        return examples

    def _extract_graphs(
        self, examples: list[Example], split: str, extraction_counts: list[dict[str, object]] | None = None
    ) -> list[Any]:
        """Extract (or read from the cache) one graph per example; failures become counted empty graphs. Each
        language's counts (graphs, flagged, truncated, failed) are appended to ``extraction_counts``."""
        import cpg

        by_language: dict[str, list[int]] = {}
        for index, example in enumerate(examples):
            by_language.setdefault(self._language(example, split), []).append(index)
        graphs: list[Any] = [None] * len(examples)
        for language, indices in by_language.items():
            result = cpg.extract_many(
                [self.task.graph_code(examples[i].source) for i in indices],
                language,
                self.cpg_backend,
                cache_dir=self.cpg_cache_dir,
                num_workers=self.extraction_workers,
                max_nodes=self.cpg_max_nodes,
            )
            rank_zero_info(f"[{split}] {language} graphs: {result.summary()}")
            if extraction_counts is not None:
                extraction_counts.append({
                    "language": language, "graphs": len(indices), "flagged": result.num_with_warnings,
                    "truncated": result.num_truncated, "failed": result.num_failed,
                })
            for index, graph in zip(indices, result.graphs):
                graphs[index] = graph
        return graphs

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        samples = self._split_samples(split)
        sampler = None
        if shuffle:
            world_size = self.trainer.world_size if self.trainer is not None else 1
            rank = self.trainer.global_rank if self.trainer is not None else 0
            lengths = [len(s.source) + len(s.target) for s in samples] if self.group_by_length else None
            sampler = EpochShuffleSampler(samples, self.trainer, lengths=lengths, batch_size=self.batch_size,
                                          num_replicas=world_size, rank=rank, seed=self.seed)
        elif self.group_by_length and split in ("validation", "test"):
            sampler = sorted(range(len(samples)), key=lambda i: -len(samples[i].source))  # type: ignore[assignment]
        return (ResumableDataLoader if shuffle else DataLoader)(
            samples,  # type: ignore[arg-type]
            batch_size=self.batch_size if split == "train" else self.eval_batch_size,
            sampler=sampler,
            collate_fn=self.collator,
            num_workers=self.num_workers,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader | list:
        if self.files["validation"] is None:
            return []  # training without validation data (Lightning then skips validation)
        return self._loader("validation", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self._loader("predict", shuffle=False)
