"""Evaluation metrics (corpus and per-instance, 0-100 scale) and their output files."""

from tasks.metrics.output import read_instance_scores, write_predictions
from tasks.metrics.scores import METRICS, MetricsResult, codebleu_language, compute_metrics, repeats_itself
from tasks.metrics.smooth_bleu import smoothed_sentence_bleu

__all__ = [
    "METRICS",
    "MetricsResult",
    "codebleu_language",
    "compute_metrics",
    "read_instance_scores",
    "repeats_itself",
    "smoothed_sentence_bleu",
    "write_predictions",
]
