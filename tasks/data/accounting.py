"""What a split loses or repeats before training: sources and targets cut at the token limits, and sources that
also appear verbatim in the training split (which inflates evaluation scores)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tasks.data.example import Example


@dataclass(frozen=True)
class SplitAccounting:
    """Counts for one split; ``sources_in_train`` is ``None`` for the training split itself or without one."""

    examples: int
    truncated_sources: int
    truncated_targets: int
    sources_in_train: int | None
    #: lines of the split's files whose undecodable bytes were replaced by U+FFFD (the line kept, its bad bytes lost)
    lines_with_replaced_bytes: int = 0

    def summary(self, max_source_length: int, max_target_length: int) -> str:
        text = (f"{self.examples} examples, {self.truncated_sources} sources cut at {max_source_length} tokens, "
                f"{self.truncated_targets} targets cut at {max_target_length} tokens")
        if self.lines_with_replaced_bytes:
            text += f", {self.lines_with_replaced_bytes} line(s) with undecodable bytes replaced by U+FFFD"
        if self.sources_in_train is not None:
            text += f", {self.sources_in_train} sources also in train"
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def count_truncated(texts: Sequence[str], tokenizer: Any, max_length: int) -> int:
    """How many ``texts`` the collator cuts: it keeps ``max_length - 1`` tokens and appends ``</s>``."""
    if not texts:
        return 0
    lengths = (len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"])
    return sum(length > max_length - 1 for length in lengths)


def source_keys(examples: Iterable[Example]) -> set[str]:
    """Whitespace-normalised sources, the key for "appears verbatim in another split"."""
    return {" ".join(e.source.split()) for e in examples}


def account_split(
    examples: Sequence[Example], tokenizer: Any, source_prefix: str, max_source_length: int, max_target_length: int,
    train_sources: set[str] | None, lines_with_replaced_bytes: int = 0,
) -> SplitAccounting:
    """Truncation and train-overlap counts of one split (``train_sources``: :func:`source_keys` of train, or
    ``None`` for the training split itself), and how many of its lines were decoded with replacement characters."""
    return SplitAccounting(
        examples=len(examples),
        truncated_sources=count_truncated([source_prefix + e.source for e in examples], tokenizer, max_source_length),
        truncated_targets=count_truncated([e.target for e in examples if e.target], tokenizer, max_target_length),
        sources_in_train=None if train_sources is None else sum(" ".join(e.source.split()) in train_sources for e in examples),
        lines_with_replaced_bytes=lines_with_replaced_bytes,
    )
