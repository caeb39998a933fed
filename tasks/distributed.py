"""Collecting per-sample records from every rank of a distributed run."""

from __future__ import annotations

from typing import Any

import torch.distributed as dist


def gather_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All ranks' evaluation records, de-duplicated by id (distributed samplers pad with repeats), in id order
    of first appearance."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        gathered: list[list[dict[str, Any]]] = [[] for _ in range(dist.get_world_size())]
        dist.all_gather_object(gathered, records)
        records = [r for part in gathered for r in part]
    unique: dict[str, dict[str, Any]] = {}
    for record in records:
        unique.setdefault(record["id"], record)
    return list(unique.values())
