"""The harness's ``Trainer``: Lightning's, with ``precision="auto"`` (the default) chosen by hardware.

``auto`` trains in ``bf16-mixed`` only where the device computes bf16 natively and in fp32 elsewhere
(:func:`transducer.precision.resolve_precision`), and logs which it chose and why in one line. Every other
precision value goes to Lightning unchanged.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.utilities import rank_zero_info

from transducer.precision import AUTO, resolve_precision


class Trainer(pl.Trainer):
    """:class:`lightning.pytorch.Trainer` whose ``precision`` may be ``"auto"`` (the default)."""

    def __init__(self, *args: Any, precision: str | int | None = AUTO, **kwargs: Any) -> None:
        if precision in (None, AUTO):
            choice = resolve_precision(precision, kwargs.get("accelerator", AUTO))
            rank_zero_info(choice.describe())
            precision = choice.precision
        super().__init__(*args, precision=precision, **kwargs)
