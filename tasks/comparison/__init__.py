"""The quality comparison as a library: every adaptation method on one frozen backbone under one protocol
(:mod:`~tasks.comparison.protocol`), resumable per method and seed (:mod:`~tasks.comparison.pipeline`), reported
with seed-aware significance tests (:mod:`~tasks.comparison.report`). ``benchmarks/quality_comparison.py`` is
the command over it; ``transducer bench --train-config`` trains methods from a user's config
(:mod:`~tasks.comparison.config_runs`)."""

from tasks.comparison.protocol import DEFAULT_METHODS, LEARNING_RATE_GRIDS, REFERENCE, Protocol

__all__ = ["DEFAULT_METHODS", "LEARNING_RATE_GRIDS", "REFERENCE", "Protocol"]
