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

#: (message regex, category) of warnings to ignore
QUIET_WARNINGS = (
    # Lightning 2.x still builds torch's pytree LeafSpec, deprecated in torch 2.13, on every fit (upstream's to fix)
    (r"`isinstance\(treespec, LeafSpec\)` is deprecated", FutureWarning),
    # the model summary's parameter counts are exact; only its size-in-MB estimate assumes 32-bit weights under
    # bf16-mixed, which is what this warning says
    (r"Precision .* is not supported by the model summary", UserWarning),
)


def quiet_third_party_noise() -> None:
    """Apply :data:`QUIET_LOGGERS` and :data:`QUIET_WARNINGS` to this process."""
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    for message, category in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)
