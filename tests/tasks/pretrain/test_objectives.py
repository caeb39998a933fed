"""Span corruption and causal LM windows: what the encoder sees and what the decoder must produce."""

from __future__ import annotations

import numpy as np
import pytest

from tasks.pretrain.objectives import ObjectiveSampler, TokenStream, random_spans_noise_mask, span_corruption

SENTINELS = list(range(1000, 1100))
EOS = 1


def test_noise_mask_has_the_requested_density_and_mean_span():
    rng = np.random.default_rng(0)
    mask = random_spans_noise_mask(300, 0.15, 3.0, rng)
    assert mask.sum() == 45 and not mask[0]
    starts = np.flatnonzero(mask & ~np.concatenate([[False], mask[:-1]]))
    assert len(starts) == 15  # 45 noise tokens in spans of mean length 3


def test_span_corruption_input_and_target_rebuild_the_window():
    rng = np.random.default_rng(3)
    window = np.arange(10, 110)
    inputs, targets = span_corruption(window, SENTINELS, EOS, rng)
    assert inputs[-1] == EOS and targets[-1] == EOS
    # replace each sentinel of the input by the tokens that follow it in the target
    spans: dict[int, list[int]] = {}
    current = None
    for token in targets[:-1]:
        if token in SENTINELS:
            current = token
            spans[current] = []
        else:
            spans[current].append(token)
    rebuilt = [t for token in inputs[:-1] for t in (spans[token] if token in SENTINELS else [token])]
    assert rebuilt == window.tolist()
    assert len(inputs) < len(window) and sum(len(v) for v in spans.values()) == 15


def _stream() -> TokenStream:
    documents = [list(range(10, 50)) + [EOS], list(range(60, 70)) + [EOS], list(range(100, 400)) + [EOS]]
    lengths = [len(d) for d in documents]
    return TokenStream(
        tokens=np.concatenate(documents).astype(np.uint16), doc_starts=np.concatenate([[0], np.cumsum(lengths)]),
        doc_sources=np.array([0, 0, 1], dtype=np.int16), sources=["small", "big"],
    )


def test_causal_examples_stay_inside_one_document_and_split_it():
    sampler = ObjectiveSampler(_stream(), SENTINELS, EOS, {}, span_window=32, causal_window=64)
    rng = np.random.default_rng(0)
    for _ in range(50):
        prefix, continuation = sampler.causal_example(rng)
        assert prefix[-1] == EOS and prefix[:-1] and continuation
        joined = prefix[:-1] + continuation
        assert len(joined) <= 64 and all(b - a == 1 for a, b in zip(joined, joined[1:]) if b != EOS)
        assert EOS not in joined[:-1]  # never crosses a document boundary


def test_source_weights_change_the_sampling_shares():
    stream = _stream()
    plain = ObjectiveSampler(stream, SENTINELS, EOS, {}).sampling_shares()
    assert plain["small"] == pytest.approx(52 / 353)
    weighted = ObjectiveSampler(stream, SENTINELS, EOS, {"small": 10.0}).sampling_shares()
    assert weighted["small"] == pytest.approx(520 / (520 + 301))


def test_batches_are_padded_with_ignored_labels():
    sampler = ObjectiveSampler(_stream(), SENTINELS, EOS, {}, span_window=32, causal_window=64)
    batch = sampler.batch("causal", 6, np.random.default_rng(1), pad_id=0)
    assert batch["input_ids"].shape[0] == 6 and batch["labels"].shape[0] == 6
    assert ((batch["input_ids"] == 0) == (batch["attention_mask"] == 0)).all()
    for row in batch["labels"]:
        real = (row != -100).tolist()
        assert real[0] and real == sorted(real, reverse=True)  # labels first, then only padding
