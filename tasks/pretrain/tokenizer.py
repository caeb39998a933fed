"""A byte-level BPE tokenizer for code, trained with Hugging Face ``tokenizers`` and saved as a ``transformers``
tokenizer folder (``AutoTokenizer.from_pretrained(folder)`` loads it offline).

Byte-level BPE keeps every space, tab and newline (decoding gives back the exact text) and never produces an
unknown token. Special tokens follow T5: ``<pad>`` = 0 (also the decoder start token), ``</s>`` = 1, ``<unk>`` = 2,
and ``<extra_id_0>`` … ``<extra_id_{n-1}>`` sentinels for span corruption; encoding appends ``</s>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"


def sentinel_tokens(count: int) -> list[str]:
    """T5's span-corruption sentinels ``<extra_id_0>`` … ``<extra_id_{count-1}>``."""
    return [f"<extra_id_{i}>" for i in range(count)]


def train_tokenizer(
    texts: Iterable[str], vocab_size: int = 8192, sentinels: int = 100, min_frequency: int = 2
) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on ``texts``; ``vocab_size`` counts the special tokens too."""
    specials = [PAD, EOS, UNK, *sentinel_tokens(sentinels)]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=True,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, tokenizer.token_to_id(EOS))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=PAD,
        eos_token=EOS,
        unk_token=UNK,
        additional_special_tokens=sentinel_tokens(sentinels),
        clean_up_tokenization_spaces=False,
    )


def save_tokenizer(tokenizer: PreTrainedTokenizerFast, folder: str | Path) -> None:
    """Save ``tokenizer`` so that ``AutoTokenizer.from_pretrained(folder)`` loads it without a network."""
    tokenizer.save_pretrained(str(folder))
