"""Smoothed sentence-level BLEU-4 exactly as CodeXGLUE's code-to-text evaluator computes it.

Source of the definition: ``Code-Text/code-to-text/evaluator/evaluator.py`` (and the identical
``smooth_bleu.py`` CodeT5 ships) in https://github.com/microsoft/CodeXGLUE (MIT), itself adapted from the
``bleu.py`` of MOSES by hieuhoang1972, with NIST ``mteval-v11a.pl`` normalisation. Re-implemented here:

1. ``computeMaps``: strip, lower-case, then split into word runs and single punctuation characters
   (``re.findall(r"[\\w]+|[^\\s\\w]")``), joined by spaces.
2. ``normalize``: NIST mteval normalisation and tokenisation (the regexes below), lower-cased, split.
3. ``cook_test``/``score_cooked`` with ``smooth=1``: clipped n-gram matches for n = 1..4 against the single
   reference; ``log p_n = log(correct_n + s) - log(guess_n + s)`` with ``s = 0`` for unigrams and ``s = 1``
   for n > 1 (each plus the tiny float guard ``sys.float_info.min``); the score is
   ``exp(mean_n log p_n + min(0, 1 - (ref_len + 1) / (test_len + 1)))``.
4. ``bleuFromMaps``: the corpus score is the mean sentence score times 100.

Consequences of the definition kept as-is: an empty prediction scores ``exp(-ref_len)`` rather than 0, and a
prediction with no unigram match scores about ``1e-77``.
"""

from __future__ import annotations

import math
import re
import sys
import xml.sax.saxutils
from collections import Counter

MAX_ORDER = 4

_TINY = sys.float_info.min

# NIST mteval-v11a language-independent part.
_NORMALIZE_RAW = [
    (re.compile("<skipped>"), ""),  # strip "skipped" tags
    (re.compile(r"-\n"), ""),  # strip end-of-line hyphenation and join lines
    (re.compile(r"\n"), " "),  # join lines
]
# NIST mteval-v11a tokenisation for Western languages (the apostrophe is deliberately not split).
_TOKENIZE = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),  # punctuation
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),  # period and comma unless preceded by a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),  # period and comma unless followed by a digit
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),  # dash when preceded by a digit
]
_WORDS_AND_PUNCTUATION = re.compile(r"[\w]+|[^\s\w]")


def codexglue_tokens(text: str) -> list[str]:
    """Tokens of ``text`` after CodeXGLUE's ``splitPuncts`` + lower-casing and mteval's ``normalize``."""
    text = " ".join(_WORDS_AND_PUNCTUATION.findall(text.strip().lower()))
    for pattern, replacement in _NORMALIZE_RAW:
        text = pattern.sub(replacement, text)
    text = xml.sax.saxutils.unescape(text, {"&quot;": '"'})
    text = f" {text} ".lower()
    for pattern, replacement in _TOKENIZE:
        text = pattern.sub(replacement, text)
    return text.split()


def smoothed_sentence_bleu(prediction: str, reference: str) -> float:
    """CodeXGLUE smoothed BLEU-4 of one prediction against one reference, in [0, 1]."""
    test = codexglue_tokens(prediction)
    ref = codexglue_tokens(reference)
    test_counts = _ngram_counts(test)
    ref_counts = _ngram_counts(ref)
    log_bleu = 0.0
    for order in range(1, MAX_ORDER + 1):
        guess = max(len(test) - order + 1, 0)
        correct = sum(
            min(count, ref_counts.get(ngram, 0)) for ngram, count in test_counts.items() if len(ngram) == order
        )
        smooth = 1 if order > 1 else 0
        log_bleu += math.log(correct + smooth + _TINY) - math.log(guess + smooth + _TINY)
    brevity_penalty = min(0.0, 1.0 - (len(ref) + 1) / (len(test) + 1))
    return math.exp(log_bleu / MAX_ORDER + brevity_penalty)


def _ngram_counts(words: list[str]) -> Counter[tuple[str, ...]]:
    return Counter(
        tuple(words[start : start + order])
        for order in range(1, MAX_ORDER + 1)
        for start in range(len(words) - order + 1)
    )
