"""Pretrain a T5-architecture code model from scratch: corpus → tokenizer → token stream → training → HF folder.

One command runs every stage and skips the stages whose output already exists in ``--work-dir``, so rerunning the
same command continues an interrupted run from its last checkpoint (``--minutes`` bounds one sitting)::

    transducer pretrain --output models/code-t5-mini --work-dir outputs/pretrain \
        --java-src-zip /usr/lib/jvm/openjdk-17/lib/src.zip --python-stdlib \
        --line-file java=../shared/data/codexglue-java-cs/train.java-cs.txt.java \
        --line-file cs=../shared/data/codexglue-java-cs/train.java-cs.txt.cs

Bigger size flags (``--d-model 768 --layers 12 ...``) on a GPU make a stronger backbone with the same command.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import AutoTokenizer, PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

from tasks.pretrain.corpus import build_corpus, java_src_zip, line_file, python_stdlib, read_documents
from tasks.pretrain.model_card import write_model_card
from tasks.pretrain.objectives import ObjectiveSampler, TokenStream
from tasks.pretrain.tokenizer import save_tokenizer, sentinel_tokens, train_tokenizer

OBJECTIVES = ("span", "causal")
#: every ``VALIDATION_EVERY``-th document is held out of training, for the held-out loss
VALIDATION_EVERY = 200


@dataclass
class PretrainConfig:
    """Model size and optimisation settings of a pretraining run (saved with its checkpoints)."""

    vocab_size: int = 8192
    d_model: int = 256
    d_ff: int = 1024
    layers: int = 4
    decoder_layers: int = 4
    heads: int = 4
    d_kv: int = 64
    batch_size: int = 32
    learning_rate: float = 1.5e-3
    warmup_steps: int = 100
    max_steps: int = 1400
    span_window: int = 320
    causal_window: int = 384
    noise_density: float = 0.15
    mean_span_length: float = 3.0
    source_weights: dict[str, float] = field(default_factory=dict)
    seed: int = 0

    def model_config(self, tokenizer: PreTrainedTokenizerFast) -> T5Config:
        """A T5 v1.0 config (ReLU feed-forward, tied embeddings, like CodeT5+) sized by this config. Dropout is 0
        while pretraining; the exported config sets 0.1 for fine-tuning (as T5 v1.1 recommends)."""
        return T5Config(
            vocab_size=self.vocab_size,
            d_model=self.d_model,
            d_ff=self.d_ff,
            num_layers=self.layers,
            num_decoder_layers=self.decoder_layers,
            num_heads=self.heads,
            d_kv=self.d_kv,
            feed_forward_proj="relu",
            tie_word_embeddings=True,
            dropout_rate=0.0,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            decoder_start_token_id=tokenizer.pad_token_id,
        )


# ---------------------------------------------------------------------------------------------------- stages


def prepare_corpus(args: argparse.Namespace, work_dir: Path) -> dict:
    corpus_dir = work_dir / "corpus"
    if not (corpus_dir / "corpus_stats.json").exists():
        parts = []
        if args.java_src_zip:
            parts.append(java_src_zip(args.java_src_zip))
        if args.python_stdlib:
            parts.append(python_stdlib(None if args.python_stdlib is True else args.python_stdlib))
        for spec in args.line_file:
            language, _, path = spec.partition("=")
            parts.append(line_file(path, language))
        if not parts:
            raise SystemExit("transducer pretrain: give at least one corpus source (--java-src-zip, --python-stdlib, --line-file)")
        print("building the corpus ...", flush=True)
        build_corpus(parts, corpus_dir)
    return json.loads((corpus_dir / "corpus_stats.json").read_text())


def prepare_tokenizer(config: PretrainConfig, work_dir: Path) -> PreTrainedTokenizerFast:
    folder = work_dir / "tokenizer"
    if not (folder / "tokenizer.json").exists():
        print(f"training a {config.vocab_size}-token byte-level BPE ...", flush=True)
        texts = (document.text for document in read_documents(work_dir / "corpus"))
        save_tokenizer(train_tokenizer(texts, vocab_size=config.vocab_size), folder)
    return AutoTokenizer.from_pretrained(str(folder))


def prepare_streams(tokenizer: PreTrainedTokenizerFast, work_dir: Path) -> tuple[TokenStream, TokenStream]:
    """Tokenize the corpus once into a training stream and a held-out stream (every 200th document)."""
    train_prefix, valid_prefix = work_dir / "train", work_dir / "valid"
    if not TokenStream.exists(train_prefix):
        documents = list(read_documents(work_dir / "corpus"))
        sources = sorted({d.source for d in documents}, key=[d.source for d in documents].index)
        ids: list[list[int]] = []
        for start in tqdm(range(0, len(documents), 1000), desc="tokenizing", unit="k docs"):
            texts = [d.text for d in documents[start : start + 1000]]
            ids.extend(tokenizer(texts, add_special_tokens=True)["input_ids"])  # each ends with </s>
        for prefix, keep in ((train_prefix, lambda i: i % VALIDATION_EVERY != 0), (valid_prefix, lambda i: i % VALIDATION_EVERY == 0)):
            chosen = [i for i in range(len(documents)) if keep(i)]
            lengths = np.array([len(ids[i]) for i in chosen], dtype=np.int64)
            TokenStream(
                tokens=np.concatenate([np.asarray(ids[i], dtype=np.uint16) for i in chosen]),
                doc_starts=np.concatenate([[0], np.cumsum(lengths)]),
                doc_sources=np.array([sources.index(documents[i].source) for i in chosen], dtype=np.int16),
                sources=sources,
            ).save(prefix)
    return TokenStream.load(train_prefix), TokenStream.load(valid_prefix)


# ---------------------------------------------------------------------------------------------------- training


def learning_rate(step: int, config: PretrainConfig) -> float:
    """Linear warm-up, then cosine decay to 10% of the peak at ``max_steps``."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    progress = min(1.0, (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps))
    return config.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def autocast(device: torch.device, precision: str):
    dtype = torch.bfloat16 if precision == "bf16" else None
    return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)


@torch.no_grad()
def held_out_loss(model, sampler: ObjectiveSampler, pad_id: int, device: torch.device, precision: str, batches: int = 8) -> dict[str, float]:
    """Mean loss per objective on a fixed set of held-out windows (same windows at every evaluation)."""
    model.eval()
    rng = np.random.default_rng(1234)
    losses = {}
    for objective in OBJECTIVES:
        total = 0.0
        for _ in range(batches):
            batch = {k: v.to(device) for k, v in sampler.batch(objective, 16, rng, pad_id).items()}
            with autocast(device, precision):
                total += float(model(**batch).loss)
        losses[objective] = total / batches
    model.train()
    return losses


def steps_within_budget(minutes: float, config: PretrainConfig, tokenizer: PreTrainedTokenizerFast, device: torch.device,
                        sampler: ObjectiveSampler, precision: str, work_dir: Path, probe_steps: int = 20) -> int:
    """How many steps of ``config`` fit in ``minutes`` on this machine, timed on a throwaway run (5 warm-up steps, then
    ``probe_steps``) with 5% left for held-out evaluations and checkpoints. The real run is unaffected: it starts from
    the same seed, and the probe draws from its own generator."""
    probe = PretrainingRun.start(config, tokenizer, device, work_dir / "probe-checkpoint-never-written.pt")
    for _ in range(5):
        probe.step(sampler, tokenizer.pad_token_id, precision)
    started = time.monotonic()
    for _ in range(probe_steps):
        probe.step(sampler, tokenizer.pad_token_id, precision)
    seconds_per_step = (time.monotonic() - started) / probe_steps
    steps = int(minutes * 60 * 0.95 / seconds_per_step)
    if steps <= config.warmup_steps:
        raise SystemExit(f"transducer pretrain: {minutes} minutes fit only {steps} steps ({seconds_per_step:.2f} s/step) on "
                         f"{device}, not more than the {config.warmup_steps} warm-up steps; give more minutes or a smaller model")
    print(f"--budget-minutes {minutes}: {seconds_per_step:.3f} s/step on {device}, so max_steps = {steps}", flush=True)
    return steps


def save_checkpoint(path: Path, state: dict) -> None:
    temporary = path.with_suffix(".tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)


def train(args: argparse.Namespace) -> None:
    """Run every stage whose output is missing, train until ``max_steps`` or the end of this sitting, export."""
    work_dir = Path(args.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads or torch.get_num_threads())
    config = config_from_args(args, work_dir)
    corpus_stats = prepare_corpus(args, work_dir)
    tokenizer = prepare_tokenizer(config, work_dir)
    if len(tokenizer) > config.vocab_size:
        raise SystemExit(f"transducer pretrain: the tokenizer has {len(tokenizer)} tokens (256 bytes, special tokens and "
                         f"merges) but --vocab-size is {config.vocab_size}; give at least {len(tokenizer)}")
    train_stream, valid_stream = prepare_streams(tokenizer, work_dir)
    common = dict(sentinel_ids=tokenizer.convert_tokens_to_ids(sentinel_tokens(100)), eos_id=tokenizer.eos_token_id,
                  source_weights=config.source_weights, span_window=config.span_window, causal_window=config.causal_window)
    sampler, valid_sampler = ObjectiveSampler(train_stream, **common), ObjectiveSampler(valid_stream, **common)
    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    if args.precision == "auto":
        from transducer.precision import BF16, resolve_precision

        choice = resolve_precision("auto", device.type)
        print(choice.describe(), flush=True)
        args.precision = "bf16" if choice.precision == BF16 else "fp32"
    if not (work_dir / "config.json").exists():
        if args.budget_minutes:
            config.max_steps = steps_within_budget(args.budget_minutes, config, tokenizer, device, sampler, args.precision, work_dir)
        (work_dir / "config.json").write_text(json.dumps(asdict(config), indent=2))
    run = PretrainingRun.start(config, tokenizer, device, work_dir / "checkpoint.pt")
    print(f"T5 with {run.parameters / 1e6:.2f}M parameters; sampling shares {json.dumps(sampler.sampling_shares())}", flush=True)

    deadline = time.monotonic() + args.minutes * 60 if args.minutes else math.inf
    last_step = min(config.max_steps, run.state["step"] + args.sitting_steps) if args.sitting_steps else config.max_steps
    progress = tqdm(total=config.max_steps, initial=run.state["step"], desc="pretraining", unit="step", dynamic_ncols=True)
    sitting_start, sitting_tokens, last_save = time.monotonic(), 0, time.monotonic()
    while run.state["step"] < last_step and time.monotonic() < deadline:
        losses, tokens = run.step(sampler, tokenizer.pad_token_id, args.precision)
        sitting_tokens += tokens
        progress.update(1)
        progress.set_postfix(span=f"{losses['span']:.3f}", causal=f"{losses['causal']:.3f}",
                             tok_s=f"{sitting_tokens / (time.monotonic() - sitting_start):,.0f}")
        if run.state["step"] % args.eval_every == 0 or run.state["step"] == config.max_steps:
            held_out = held_out_loss(run.model, valid_sampler, tokenizer.pad_token_id, device, args.precision)
            run.state["valid"].append({"step": run.state["step"], "tokens": run.state["tokens"], **held_out})
            progress.write(f"step {run.state['step']}: held-out loss span {held_out['span']:.3f}, causal {held_out['causal']:.3f}")
        if time.monotonic() - last_save > args.save_minutes * 60:
            run.save()
            last_save = time.monotonic()
    progress.close()
    run.save()
    write_logs(run.state, work_dir)
    if run.state["step"] >= config.max_steps or args.export_partial:
        export(run.model, tokenizer, config, run.state, corpus_stats, train_stream, args)
    else:
        print(f"stopped at step {run.state['step']}/{config.max_steps}; rerun the same command to continue", flush=True)


@dataclass
class PretrainingRun:
    """Model, optimizer, sampling generator and progress of one run; :meth:`save` checkpoints all of them, so
    :meth:`start` on the same checkpoint continues exactly where the run stopped."""

    config: PretrainConfig
    model: T5ForConditionalGeneration
    optimizer: torch.optim.Optimizer
    rng: np.random.Generator
    checkpoint_path: Path
    state: dict = field(default_factory=lambda: {"step": 0, "tokens": 0, "seconds": 0.0, "log": [], "valid": []})
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, config: PretrainConfig, tokenizer: PreTrainedTokenizerFast, device: torch.device, checkpoint_path: Path) -> PretrainingRun:
        torch.manual_seed(config.seed)
        model = T5ForConditionalGeneration(config.model_config(tokenizer)).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, betas=(0.9, 0.98), weight_decay=0.01)
        run = cls(config, model, optimizer, np.random.default_rng(config.seed), checkpoint_path)
        if checkpoint_path.exists():
            saved = torch.load(checkpoint_path, map_location=device, weights_only=False)
            model.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            run.rng.bit_generator.state = saved["rng"]
            torch.set_rng_state(saved["torch_rng"])
            run.state = saved["state"]
            print(f"resuming at step {run.state['step']} ({run.state['tokens']:,} tokens, "
                  f"{run.state['seconds'] / 60:.1f} min so far)", flush=True)
        model.train()
        return run

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def step(self, sampler: ObjectiveSampler, pad_id: int, precision: str) -> tuple[dict[str, float], int]:
        """One optimizer step on half a batch of each objective; returns the losses and the tokens processed."""
        device = next(self.model.parameters()).device
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.state["step"], self.config)
        losses, tokens = {}, 0
        for objective in OBJECTIVES:
            batch = {k: v.to(device) for k, v in sampler.batch(objective, self.config.batch_size // 2, self.rng, pad_id).items()}
            with autocast(device, precision):
                loss = self.model(**batch).loss
            (loss / len(OBJECTIVES)).backward()
            losses[objective] = loss.item()
            tokens += int(batch["attention_mask"].sum()) + int((batch["labels"] != -100).sum())
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.state["step"] += 1
        self.state["tokens"] += tokens
        self.state["log"].append({"step": self.state["step"], "tokens": self.state["tokens"], **losses,
                                  "lr": self.optimizer.param_groups[0]["lr"]})
        return losses, tokens

    def save(self) -> None:
        """Checkpoint atomically (wall time of this sitting added to the run's)."""
        now = time.monotonic()
        self.state["seconds"] += now - self.started
        self.started = now
        save_checkpoint(self.checkpoint_path, {
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(), "state": self.state, "config": asdict(self.config),
        })


def write_logs(state: dict, work_dir: Path) -> None:
    """``train_log.csv``, ``valid_log.csv`` and ``loss_curve.png`` in the work folder."""
    for name, rows in (("train_log.csv", state["log"]), ("valid_log.csv", state["valid"])):
        if rows:
            with (work_dir / name).open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
    plot_pretraining_loss(state, work_dir / "loss_curve.png")


def plot_pretraining_loss(state: dict, path: Path) -> None:
    """Plot both objectives' training loss (smoothed) and held-out loss against tokens seen (a fine-tuning run's
    curve, from Lightning's ``metrics.csv``, is :func:`tasks.callbacks.plot_loss_curve`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    tokens = np.array([row["tokens"] for row in state["log"]]) / 1e6
    for objective, colour in zip(OBJECTIVES, ("tab:blue", "tab:orange")):
        losses = np.array([row[objective] for row in state["log"]])
        window = min(50, len(losses))
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid") if window else losses
        axis.plot(tokens[window - 1 :], smooth, color=colour, label=f"train {objective} (mean of {window} steps)")
        valid = state["valid"]
        if valid:
            axis.plot([r["tokens"] / 1e6 for r in valid], [r[objective] for r in valid], "o--", color=colour, label=f"held-out {objective}")
    axis.set_xlabel("tokens seen (millions)")
    axis.set_ylabel("cross-entropy")
    axis.set_title("Pretraining loss: span corruption and causal LM")
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def hardware_name(device: torch.device) -> str:
    """What trained the model, for its card: the GPU's name, or the CPU thread count."""
    if device.type == "cuda":
        return f"1 {torch.cuda.get_device_name(device)}"
    return f"CPU, {torch.get_num_threads()} threads"


def export(model, tokenizer, config: PretrainConfig, state: dict, corpus_stats: dict, stream: TokenStream, args: argparse.Namespace) -> None:
    """Write the Hugging Face folder: bf16 (or fp32) weights, config with fine-tuning dropout, tokenizer, card."""
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    hardware = hardware_name(next(model.parameters()).device)
    model.config.dropout_rate = 0.1
    dtype = torch.bfloat16 if args.save_dtype == "bf16" else torch.float32
    model.to("cpu").to(dtype).save_pretrained(str(output))
    save_tokenizer(tokenizer, output)
    write_logs(state, output)
    write_model_card(output, config=asdict(config), state=state, corpus_stats=corpus_stats,
                     corpus_tokens=int(len(stream.tokens)), command=args.command_line,
                     parameters=sum(p.numel() for p in model.parameters()), precision=args.precision,
                     save_dtype=args.save_dtype, hardware=hardware)
    print(f"saved the pretrained model to {output}", flush=True)


# ---------------------------------------------------------------------------------------------------- command line


def config_from_args(args: argparse.Namespace, work_dir: Path) -> PretrainConfig:
    """The run's config: from ``work_dir/config.json`` when resuming (size flags must then match), else the flags
    (:func:`train` saves it). With ``--budget-minutes``, a resumed run keeps the ``max_steps`` its first sitting chose."""
    weights = {}
    for spec in args.source_weight:
        name, _, value = spec.rpartition("=")
        weights[name] = float(value)
    config = PretrainConfig(**{k: getattr(args, k) for k in PretrainConfig.__dataclass_fields__ if k != "source_weights"},
                            source_weights=weights)
    saved = work_dir / "config.json"
    if saved.exists():
        previous = PretrainConfig(**json.loads(saved.read_text()))
        if args.budget_minutes:
            config.max_steps = previous.max_steps
        if previous != config:
            changed = {k: (getattr(previous, k), getattr(config, k)) for k in asdict(config) if getattr(previous, k) != getattr(config, k)}
            raise SystemExit(f"transducer pretrain: {work_dir} holds a run with other settings {changed} (saved, given); "
                             "use the same flags to continue it or another --work-dir for a new run")
    return config


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="transducer pretrain", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output", required=True, help="Hugging Face folder to write the model into")
    p.add_argument("--work-dir", default="outputs/pretrain", help="corpus, tokenizer, token streams, checkpoint, logs")
    p.add_argument("--java-src-zip", help="a JDK src.zip (Debian: openjdk-17-source)")
    p.add_argument("--python-stdlib", nargs="?", const=True, default=None, help="add the Python standard library (optionally its folder)")
    p.add_argument("--line-file", action="append", default=[], metavar="LANG=PATH", help="one snippet per line (train splits only)")
    p.add_argument("--source-weight", action="append", default=[], metavar="SOURCE=W",
                   help="upsample a source (names as in corpus_stats.json, e.g. lines:train.java-cs.txt.cs=4)")
    defaults = PretrainConfig()
    for name in ("vocab_size", "d_model", "d_ff", "layers", "decoder_layers", "heads", "d_kv", "batch_size", "learning_rate",
                 "warmup_steps", "max_steps", "span_window", "causal_window", "noise_density", "mean_span_length", "seed"):
        value = getattr(defaults, name)
        p.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    p.add_argument("--budget-minutes", type=float, default=0,
                   help="set max_steps to what fits in N minutes here (timed on 20 probe steps; overrides --max-steps)")
    p.add_argument("--minutes", type=float, default=0, help="stop this sitting after N minutes (checkpointed; rerun to continue)")
    p.add_argument("--sitting-steps", type=int, default=0, help="stop this sitting after N steps (checkpointed; rerun to continue)")
    p.add_argument("--save-minutes", type=float, default=5, help="checkpoint every N minutes")
    p.add_argument("--eval-every", type=int, default=250, help="held-out loss every N steps")
    p.add_argument("--precision", choices=("bf16", "fp32", "auto"), default="auto",
                   help="autocast dtype (CPU and CUDA); auto: bf16 where the device computes it natively, else fp32")
    p.add_argument("--save-dtype", choices=("bf16", "fp32"), default="bf16", help="dtype of the exported weights")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's)")
    p.add_argument("--export-partial", action="store_true", help="export the model even if max_steps is not reached")
    return p


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    args.command_line = "transducer pretrain " + " ".join(shlex.quote(a) for a in argv)
    train(args)
