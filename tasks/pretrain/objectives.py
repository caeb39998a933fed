"""The two pretraining objectives of CodeT5+ on a token stream, as padded seq2seq batches.

- **Span corruption** (T5): about ``noise_density`` of a window's tokens, in spans of mean length
  ``mean_span_length``, are replaced in the encoder input by one sentinel per span; the decoder emits each sentinel
  followed by the tokens it hides.
- **Causal (prefix) LM**: a window that starts inside one document is cut at a random pivot; the encoder sees the
  code before the pivot and the decoder generates the rest, up to the document's ``</s>`` when the window reaches
  it. This is what lets a *frozen* decoder generate whole sequences later.

Windows are drawn by source weight (a source's share of tokens times its weight), so small in-domain sources can be
upsampled; every draw comes from one ``numpy.random.Generator``, so a saved generator state resumes the exact stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

IGNORE_INDEX = -100


@dataclass
class TokenStream:
    """Documents tokenized and concatenated, each followed by ``</s>``.

    Attributes:
        tokens: ``(T,)`` token ids of all documents.
        doc_starts: ``(D + 1,)`` offset of each document in ``tokens``, and ``T`` at the end.
        doc_sources: ``(D,)`` index into ``sources`` of each document; documents of one source are contiguous.
        sources: the source names.
    """

    tokens: np.ndarray
    doc_starts: np.ndarray
    doc_sources: np.ndarray
    sources: list[str]

    def save(self, prefix: Path) -> None:
        np.save(f"{prefix}_tokens.npy", self.tokens)
        np.save(f"{prefix}_doc_starts.npy", self.doc_starts)
        np.save(f"{prefix}_doc_sources.npy", self.doc_sources)
        Path(f"{prefix}_sources.json").write_text(json.dumps(self.sources))

    @classmethod
    def load(cls, prefix: Path) -> TokenStream:
        return cls(
            np.load(f"{prefix}_tokens.npy", mmap_mode="r"),
            np.load(f"{prefix}_doc_starts.npy"),
            np.load(f"{prefix}_doc_sources.npy"),
            json.loads(Path(f"{prefix}_sources.json").read_text()),
        )

    @classmethod
    def exists(cls, prefix: Path) -> bool:
        return Path(f"{prefix}_sources.json").exists()

    def source_ranges(self) -> dict[str, tuple[int, int]]:
        """``source -> (first token, end token)``; raises if a source's documents are not contiguous."""
        ranges: dict[str, tuple[int, int]] = {}
        changes = np.flatnonzero(np.diff(self.doc_sources)) + 1
        bounds = np.concatenate([[0], changes, [len(self.doc_sources)]])
        for first_doc, end_doc in zip(bounds[:-1], bounds[1:]):
            name = self.sources[int(self.doc_sources[first_doc])]
            if name in ranges:
                raise ValueError(f"documents of source {name!r} are not contiguous in the token stream")
            ranges[name] = (int(self.doc_starts[first_doc]), int(self.doc_starts[end_doc]))
        return ranges


def random_spans_noise_mask(length: int, noise_density: float, mean_span_length: float, rng: np.random.Generator) -> np.ndarray:
    """T5's noise mask: ``(length,)`` booleans, ``round(length * noise_density)`` of them true, in
    ``round(noise / mean_span_length)`` spans alternating with kept spans (the first span is kept)."""
    noise = min(max(int(round(length * noise_density)), 1), length - 1)
    spans = max(int(round(noise / mean_span_length)), 1)

    def segment_lengths(items: int, segments: int) -> np.ndarray:
        first_in_segment = np.arange(items - 1) < (segments - 1)
        rng.shuffle(first_in_segment)
        segment_id = np.cumsum(np.concatenate([[0], first_in_segment]))
        return np.bincount(segment_id, minlength=segments)

    interleaved = np.stack([segment_lengths(length - noise, spans), segment_lengths(noise, spans)], axis=1).reshape(-1)
    span_start = np.zeros(length, dtype=np.int64)
    span_start[np.cumsum(interleaved)[:-1]] = 1
    return np.cumsum(span_start) % 2 == 1


def span_corruption(
    tokens: np.ndarray, sentinel_ids: list[int], eos_id: int, rng: np.random.Generator,
    noise_density: float = 0.15, mean_span_length: float = 3.0,
) -> tuple[list[int], list[int]]:
    """(encoder input, decoder target) of one window: hidden spans become sentinels in the input; the target
    lists each sentinel and the tokens it hides, then ``</s>``."""
    mask = random_spans_noise_mask(len(tokens), noise_density, mean_span_length, rng)
    span_starts = mask & ~np.concatenate([[False], mask[:-1]])
    sentinels = np.asarray(sentinel_ids, dtype=np.int64)[np.minimum(np.cumsum(span_starts) - 1, len(sentinel_ids) - 1)]
    inputs = np.where(span_starts, sentinels, tokens)[~mask | span_starts]
    # each hidden token, preceded by its span's sentinel when it starts a span (-1 marks "no sentinel")
    hidden = np.stack([np.where(span_starts, sentinels, -1), tokens], axis=1)[mask].reshape(-1)
    targets = hidden[hidden >= 0]
    return inputs.tolist() + [eos_id], targets.tolist() + [eos_id]


@dataclass
class ObjectiveSampler:
    """Draws windows from a :class:`TokenStream` and builds batches for either objective.

    Args:
        stream: the tokenized corpus.
        sentinel_ids / eos_id: the tokenizer's sentinel and ``</s>`` ids.
        source_weights: upsampling factor per source name (default 1).
        span_window: raw tokens per span-corruption window (the input is ~15% shorter).
        causal_window: most tokens per causal window (prefix + continuation).
    """

    stream: TokenStream
    sentinel_ids: list[int]
    eos_id: int
    source_weights: dict[str, float]
    span_window: int = 320
    causal_window: int = 384

    def __post_init__(self) -> None:
        ranges = self.stream.source_ranges()
        self._ranges = list(ranges.values())
        sizes = np.array([end - start for start, end in self._ranges], dtype=np.float64)
        weights = np.array([self.source_weights.get(name, 1.0) for name in ranges])
        self._probabilities = sizes * weights / (sizes * weights).sum()

    def sampling_shares(self) -> dict[str, float]:
        """Each source's share of the windows drawn."""
        return {name: float(p) for name, p in zip(self.stream.source_ranges(), self._probabilities)}

    def _random_position(self, rng: np.random.Generator) -> int:
        start, end = self._ranges[rng.choice(len(self._ranges), p=self._probabilities)]
        return int(rng.integers(start, end))

    def span_example(self, rng: np.random.Generator) -> tuple[list[int], list[int]]:
        total = len(self.stream.tokens)
        start = max(0, min(self._random_position(rng), total - self.span_window))
        window = np.asarray(self.stream.tokens[start : start + self.span_window], dtype=np.int64)
        return span_corruption(window, self.sentinel_ids, self.eos_id, rng)

    def causal_example(self, rng: np.random.Generator) -> tuple[list[int], list[int]]:
        position = self._random_position(rng)
        doc = int(np.searchsorted(self.stream.doc_starts, position, side="right")) - 1
        doc_start, doc_end = int(self.stream.doc_starts[doc]), int(self.stream.doc_starts[doc + 1])
        start = int(rng.integers(doc_start, max(doc_start, doc_end - self.causal_window) + 1))
        window = np.asarray(self.stream.tokens[start : min(start + self.causal_window, doc_end)], dtype=np.int64).tolist()
        if len(window) < 2:
            return self.causal_example(rng)
        pivot = int(rng.integers(1, len(window)))
        return window[:pivot] + [self.eos_id], window[pivot:]

    def batch(self, objective: str, size: int, rng: np.random.Generator, pad_id: int) -> dict[str, torch.Tensor]:
        """``input_ids``/``attention_mask`` ``(size, S)`` and ``labels`` ``(size, L)`` (``-100`` padding)."""
        make = self.span_example if objective == "span" else self.causal_example
        pairs = [make(rng) for _ in range(size)]
        return collate_pairs(pairs, pad_id)


#: padded widths are rounded up to a multiple of this, so that kernels see a handful of distinct shapes rather than a
#: new one at almost every step (padding is masked: the loss is unchanged)
PAD_MULTIPLE = 64


def collate_pairs(pairs: list[tuple[list[int], list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad (input, target) id lists into a seq2seq batch, widths rounded up to ``PAD_MULTIPLE``."""
    width = -(-max(len(source) for source, _ in pairs) // PAD_MULTIPLE) * PAD_MULTIPLE
    target_width = -(-max(len(target) for _, target in pairs) // PAD_MULTIPLE) * PAD_MULTIPLE
    input_ids = torch.full((len(pairs), width), pad_id, dtype=torch.long)
    labels = torch.full((len(pairs), target_width), IGNORE_INDEX, dtype=torch.long)
    for row, (source, target) in enumerate(pairs):
        input_ids[row, : len(source)] = torch.tensor(source)
        labels[row, : len(target)] = torch.tensor(target)
    return {"input_ids": input_ids, "attention_mask": (input_ids != pad_id).long(), "labels": labels}
