"""The entry points' quieting drops only the third-party messages it names."""

from __future__ import annotations

import logging
import warnings

import pytest

from transducer.quiet import QUIET_MESSAGES, quiet_third_party_noise


def test_the_lightning_tip_is_dropped_and_the_loggers_other_messages_stay(caplog: pytest.LogCaptureFixture) -> None:
    name = "lightning.pytorch.utilities.rank_zero"
    logger = logging.getLogger(name)
    before = list(logger.filters)
    try:
        quiet_third_party_noise()
        quiet_third_party_noise()  # idempotent: one filter, however often an entry point calls it
        assert sum(getattr(f, "start", None) == QUIET_MESSAGES[name] for f in logger.filters) == 1
        with caplog.at_level(logging.INFO, logger=name):
            logger.info(QUIET_MESSAGES[name] + " and experiment tracking, try installing litlogger")
            logger.info("GPU available: False, used: False")
        assert [r.getMessage() for r in caplog.records] == ["GPU available: False, used: False"]
    finally:
        logger.filters[:] = before


def test_peft_s_deprecation_messages_are_dropped_and_other_future_warnings_stay() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_third_party_noise()
        warnings.warn("`is_gradient_checkpointing` is deprecated and will be removed in v6.", FutureWarning)
        warnings.warn("`past_key_values` is deprecated and will be removed in v6.", FutureWarning)
        warnings.warn("`something_else` is deprecated", FutureWarning)
    assert [str(w.message) for w in caught] == ["`something_else` is deprecated"]
