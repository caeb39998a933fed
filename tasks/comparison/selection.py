"""Learning-rate selection: a grid on the 1-3-10 sequence that grows while its best rate is at an edge."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def next_rate(rate: float, up: bool) -> float:
    """The neighbour of ``rate`` in the 1-3-10 sequence (1e-3 -> 3e-3 -> 1e-2 upwards)."""
    exponent = math.floor(math.log10(rate) + 1e-9)
    mantissa = round(rate / 10**exponent, 6)
    steps = {1.0: (3.0, 0.3), 3.0: (10.0, 1.0)}
    if mantissa not in steps:
        raise ValueError(f"learning rate {rate:g} is not of the 1-3-10 sequence")
    return float(f"{steps[mantissa][0 if up else 1] * 10**exponent:.3g}")


def selection_key(point: dict[str, Any]) -> tuple[float, float]:
    """Order of grid points, best first: the lowest dev loss (a diverged run's NaN counts as infinite), then the
    smaller rate."""
    loss = point["dev_loss"]
    return (math.inf if loss is None or math.isnan(loss) else loss, point["learning_rate"])


def learning_rate_grid(initial: tuple[float, ...], score: Callable[[float], dict[str, Any]],
                       extensions: int) -> list[dict[str, Any]]:
    """Score every rate of ``initial`` (``score(rate)`` returns a point with ``learning_rate`` and ``dev_loss``);
    while the best is at an edge of the rates tried, also score the next rate beyond that edge (at most
    ``extensions`` more). Returns the points in rate order."""
    points = {rate: score(rate) for rate in initial}
    for _ in range(extensions if points else 0):
        best = min(points.values(), key=selection_key)["learning_rate"]
        if best == max(points):
            rate = next_rate(best, up=True)
        elif best == min(points):
            rate = next_rate(best, up=False)
        else:
            break
        points[rate] = score(rate)
    return [points[rate] for rate in sorted(points)]


def best_point(points: list[dict[str, Any]]) -> dict[str, Any] | None:
    return min(points, key=selection_key) if points else None
