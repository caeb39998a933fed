"""Evaluation output files of one split, and reading per-instance scores back (for significance tests).

``<out_dir>/predictions_<split>.jsonl``: one JSON line per example, ``id``, ``source``, ``prediction``,
``reference``, any other fields of the record, then its per-instance scores. ``<out_dir>/metrics_<split>.json``:
the corpus scores (:meth:`MetricsResult.to_dict`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from tasks.data.example import DataFormatError
from tasks.metrics.scores import MetricsResult

#: leading fields of a predictions record; ``source`` may be absent
PREDICTION_FIELDS = ("id", "source", "prediction", "reference")
_REQUIRED_FIELDS = ("id", "prediction", "reference")


def write_predictions(
    out_dir: str | PathLike[str], split: str, records: Sequence[Mapping[str, Any]], result: MetricsResult,
    data: Mapping[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write ``predictions_<split>.jsonl`` and ``metrics_<split>.json`` into ``out_dir`` (created if needed);
    ``data`` (e.g. the split's truncation counts) goes into the metrics file under ``"data"``.

    ``records`` are the scored examples in the order given to :func:`compute_metrics` (each with ``id``,
    ``prediction``, ``reference``, optionally ``source``); ``result`` is what it returned. Returns both paths.
    """
    if len(records) != result.num_examples:
        raise ValueError(f"got {len(records)} records but the metrics scored {result.num_examples} examples")
    for index, record in enumerate(records):
        missing = [name for name in _REQUIRED_FIELDS if name not in record]
        if missing:
            raise ValueError(f"record {index} lacks {', '.join(missing)}; each needs {', '.join(_REQUIRED_FIELDS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    predictions_path = out_dir / f"predictions_{split}.jsonl"
    with open(predictions_path, "w", encoding="utf-8") as handle:
        for index, record in enumerate(records):
            line = {name: record[name] for name in PREDICTION_FIELDS if name in record}
            line.update((key, value) for key, value in record.items() if key not in line)
            if result.per_instance:
                line.update(result.per_instance[index])
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    metrics_path = out_dir / f"metrics_{split}.json"
    metrics = {**result.to_dict(), **({"data": dict(data)} if data else {})}
    metrics_path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return predictions_path, metrics_path


def read_instance_scores(path: str | PathLike[str], metric: str) -> dict[str, float]:
    """``id -> score`` of ``metric`` from a predictions file :func:`write_predictions` wrote."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"predictions file not found: {path}")
    scores: dict[str, float] = {}
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataFormatError(f"{path}:{line_number}: invalid JSON ({error.msg})") from error
            if metric not in record:
                available = [key for key in record if key not in PREDICTION_FIELDS]
                raise DataFormatError(
                    f"{path}:{line_number}: no per-instance score {metric!r}; it has: {', '.join(available) or 'none'}"
                )
            key = str(record.get("id", line_number - 1))
            if key in scores:
                raise DataFormatError(f"{path}:{line_number}: duplicate id {key!r}")
            scores[key] = float(record[metric])
    if not scores:
        raise DataFormatError(f"{path}: file is empty")
    return scores
