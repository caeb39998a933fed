"""Shared tiny backbones (built once per module; tests get deep copies)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch

from tests.transducer.methods.tiny import TINY_CONFIGS
from transducer.backbone import load_backbone


@pytest.fixture(scope="module")
def tiny_backbones() -> dict[str, tuple[torch.nn.Module, Any]]:
    """One tiny backbone per family, built once per module; tests must deep-copy before mutating (`fresh`)."""
    backbones = {}
    for family, config in TINY_CONFIGS.items():
        torch.manual_seed(0)
        backbones[family] = load_backbone(config=config, tokenizer="byte")
    return backbones


@pytest.fixture
def fresh(tiny_backbones):
    """``fresh(family) -> (backbone, tokenizer)``: an independent copy of the shared tiny backbone."""

    def make(family: str) -> tuple[torch.nn.Module, Any]:
        model, tokenizer = tiny_backbones[family]
        return copy.deepcopy(model), tokenizer

    return make
