"""The model card (``README.md``) of a pretrained backbone folder: corpus, tokens, steps, losses, time, command."""

from __future__ import annotations

from pathlib import Path


def write_model_card(
    folder: Path, *, config: dict, state: dict, corpus_stats: dict, corpus_tokens: int, command: str,
    parameters: int, precision: str, save_dtype: str, hardware: str,
) -> None:
    last = state["log"][-50:]
    final = {objective: sum(row[objective] for row in last) / len(last) for objective in ("span", "causal")}
    held_out = state["valid"][-1] if state["valid"] else None
    corpus_rows = "\n".join(
        f"| `{name}` | {s['documents_read']:,} | {s['documents_kept']:,} | {s['duplicates_dropped']:,} | {s['bytes_kept'] / 1e6:.1f} |"
        for name, s in corpus_stats.items()
    )
    held_out_line = (
        f"- Held-out loss (documents never trained on) at step {held_out['step']}: span corruption "
        f"{held_out['span']:.3f}, causal LM {held_out['causal']:.3f}.\n" if held_out else ""
    )
    text = f"""---
library_name: transformers
license: apache-2.0
tags: [code, t5, java, csharp, python]
---
# A small T5 code model pretrained from scratch

A T5 v1.0 encoder-decoder ({parameters / 1e6:.2f}M parameters: d_model {config['d_model']}, d_ff {config['d_ff']},
{config['layers']}+{config['decoder_layers']} layers, {config['heads']} heads, vocabulary {config['vocab_size']:,}) pretrained from
scratch by `transducer pretrain`, so that transducer-tuning can adapt a real *pretrained* frozen backbone where no
model can be downloaded. It is **not** CodeT5+: it saw {state['tokens'] / 1e6:.1f}M tokens of training (CodeT5+ 220M
saw tens of billions) and is small. Use it to check that adaptation methods work, not for quality claims about
large models.

## Training
- Objectives (as CodeT5+): span corruption (noise density {config['noise_density']}, mean span {config['mean_span_length']},
  windows of {config['span_window']} tokens) and a causal LM (a window of up to {config['causal_window']} tokens from one document,
  cut at a random pivot: the encoder sees the prefix, the decoder generates the rest up to the document's `</s>`),
  half of each batch each.
- {state['step']:,} steps of batch {config['batch_size']}, {state['tokens']:,} tokens seen (encoder + decoder, no padding);
  AdamW (β 0.9/0.98, weight decay 0.01), peak learning rate {config['learning_rate']}, {config['warmup_steps']} warm-up steps, cosine decay to 10%.
- Autocast precision {precision}; weights saved in {save_dtype}. Dropout was 0 while pretraining; `config.json` sets
  `dropout_rate` 0.1 for fine-tuning.
- Hardware: {hardware}. Wall time: {state['seconds'] / 60:.1f} minutes.
- Final training loss (mean of the last {len(last)} steps): span corruption {final['span']:.3f}, causal LM {final['causal']:.3f}.
{held_out_line}- Loss curve: `loss_curve.png`; per-step log: `train_log.csv`, held-out log: `valid_log.csv`.

## Corpus
Deduplicated (exact match after whitespace normalisation), licence headers removed; every 200th document held
out for the held-out loss. {corpus_tokens:,} training tokens. Source sampling weights: {config['source_weights'] or 'none (proportional to size)'}.

| source | documents read | kept | duplicates dropped | MB kept |
|---|---:|---:|---:|---:|
{corpus_rows}

No validation or test split of any benchmark is in the corpus (`transducer pretrain` refuses files named so).

## Tokenizer
Byte-level BPE (Hugging Face `tokenizers`), whitespace and newlines preserved, T5 special tokens
(`<pad>` 0, `</s>` 1, `<unk>` 2, sentinels `<extra_id_0>`…`<extra_id_99>`).

## Reproduce

    {command}

## Use

```python
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
# the weights are stored in bf16; fp32 keeps CPUs without native bf16 fast
model = AutoModelForSeq2SeqLM.from_pretrained("{folder.as_posix()}", dtype="float32")
tokenizer = AutoTokenizer.from_pretrained("{folder.as_posix()}")
```
"""
    (folder / "README.md").write_text(text)
