"""Fixtures for the Transducer tests (helpers live in ``transducer_helpers``)."""

from __future__ import annotations

import pytest
from transformers import ByT5Tokenizer
from tests.transducer.transducer_helpers import TINY_GPT2, TINY_T5, make_backbone


@pytest.fixture(scope="module")
def byte_tokenizer():
    return ByT5Tokenizer()


@pytest.fixture(params=["t5", "gpt2"])
def tiny_backbone(request):
    """(model, tokenizer) for each backbone family."""
    return make_backbone(TINY_T5 if request.param == "t5" else TINY_GPT2)
