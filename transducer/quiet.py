"""Third-party messages that say nothing to a user of our commands, silenced at the entry points with a reason each.

Only application entry points call :func:`quiet_third_party_noise` (the ``transducer`` command, the benchmark
scripts); importing the library changes no logging or warning filter. The test suite filters the same messages in
``pyproject.toml`` (``[tool.pytest.ini_options] filterwarnings``).
"""

from __future__ import annotations

import logging
import warnings

#: logger name -> the level below which its records are dropped
QUIET_LOGGERS = {
    # torchao (imported by transformers and peft when installed) registers Enum pytree constants, which torch 2.13
    # reports as deprecated, twice, on every command
    "torch.utils._pytree": logging.ERROR,
}

#: logger name -> start of the log messages it drops (the logger's other messages stay)
QUIET_MESSAGES = {
    # Lightning >= 2.6 advertises its hosted logger on every Trainer that logs elsewhere or not at all
    "lightning.pytorch.utilities.rank_zero": "💡 Tip: For seamless cloud logging",
}

#: (message regex, category) of warnings to ignore
QUIET_WARNINGS = (
    # Lightning 2.x still builds torch's pytree LeafSpec, deprecated in torch 2.13, on every fit (upstream's to fix)
    (r"`isinstance\(treespec, LeafSpec\)` is deprecated", FutureWarning),
    # the model summary's parameter counts are exact; only its size-in-MB estimate assumes 32-bit weights under
    # bf16-mixed, which is what this warning says
    (r"Precision .* is not supported by the model summary", UserWarning),
    # peft reads transformers' `is_gradient_checkpointing` (renamed) whenever it wraps a model (LoRA, IA3, ...)
    (r"`is_gradient_checkpointing` is deprecated", FutureWarning),
    # peft's prefix tuning hands its prefix to the model as `past_key_values` (renamed `cache` in transformers)
    (r"`past_key_values` is deprecated", FutureWarning),
)


def quiet_third_party_noise() -> None:
    """Apply :data:`QUIET_LOGGERS`, :data:`QUIET_MESSAGES` and :data:`QUIET_WARNINGS` to this process."""
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    for name, start in QUIET_MESSAGES.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropMessagesStarting) and f.start == start for f in logger.filters):
            logger.addFilter(_DropMessagesStarting(start))
    for message, category in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)


class _DropMessagesStarting(logging.Filter):
    """Drops the records whose message starts with ``start``."""

    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.start)
