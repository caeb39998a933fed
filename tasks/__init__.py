"""Tasks, data and the Lightning harness that trains and evaluates every adaptation method.

Exports (imported on first use, so ``import tasks.data`` stays light): :class:`Task`, :class:`AdaptationModule`,
:class:`CodeTaskDataModule`, :class:`GenerationSettings`, :class:`Trainer` (Lightning's, with precision by hardware).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Task": "tasks.task",
    "BUILTIN_TASKS": "tasks.task",
    "AdaptationModule": "tasks.module",
    "GenerationSettings": "tasks.module",
    "CodeTaskDataModule": "tasks.datamodule",
    "Trainer": "tasks.trainer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'tasks' has no attribute {name!r}")
