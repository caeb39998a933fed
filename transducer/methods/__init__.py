"""Every adaptation method behind one interface, selectable by name or by config class.

``METHODS`` maps a method name to its :class:`~transducer.methods.base.MethodConfig` subclass; YAML configs select
one with ``class_path: transducer.methods.LoraMethodConfig`` (etc.) and ``init_args``.

The Transducer entries (``TransducerConfig``, ``TransducerNoGraphConfig`` and their ``METHODS`` keys) are imported
on first use: :mod:`transducer.config` itself imports :mod:`transducer.methods.base`, so importing it here eagerly
would be circular.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from typing import Any

from torch import nn

from transducer.methods.base import AdaptedModel, BackboneMismatchError, MethodConfig, read_adapter
from transducer.methods.frozen_decoder import FrozenDecoderConfig
from transducer.methods.full_finetune import FullFinetuneConfig
from transducer.methods.ia3 import IA3MethodConfig
from transducer.methods.icl import IclConfig
from transducer.methods.layer_freezing import LayerFreezingConfig
from transducer.methods.linear_adapter import LinearAdapterConfig
from transducer.methods.lora import LoraMethodConfig, QLoraMethodConfig
from transducer.methods.no_finetune import NoFinetuneConfig
from transducer.methods.prefix_tuning import PrefixTuningMethodConfig
from transducer.methods.prompt_tuning import PromptTuningMethodConfig

BASELINES: tuple[type[MethodConfig], ...] = (
    NoFinetuneConfig,
    IclConfig,
    FullFinetuneConfig,
    LoraMethodConfig,
    QLoraMethodConfig,
    IA3MethodConfig,
    PromptTuningMethodConfig,
    PrefixTuningMethodConfig,
    LinearAdapterConfig,
    LayerFreezingConfig,
    FrozenDecoderConfig,
)

#: method name -> config class (built on first access, see the module docstring)
METHODS: dict[str, type[MethodConfig]]

_LAZY_EXPORTS = {
    "TransducerConfig": "transducer.config",
    "TransducerNoGraphConfig": "transducer.methods.transducer_variants",
    "TransducerSoftTokensConfig": "transducer.methods.transducer_variants",
    "TransducerPrefixConfig": "transducer.methods.transducer_variants",
}


@functools.cache
def _methods() -> dict[str, type[MethodConfig]]:
    from transducer.config import TransducerConfig
    from transducer.methods.transducer_variants import (
        TransducerNoGraphConfig,
        TransducerPrefixConfig,
        TransducerSoftTokensConfig,
    )

    variants = (TransducerConfig, TransducerNoGraphConfig, TransducerSoftTokensConfig, TransducerPrefixConfig)
    return {config.method_name: config for config in (*BASELINES, *variants)}


def __getattr__(name: str) -> Any:
    if name == "METHODS":
        return _methods()
    if name in _LAZY_EXPORTS:
        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def method_config(name: str, **options: Any) -> MethodConfig:
    """The config of method ``name`` with ``options`` as its hyperparameters."""
    methods = _methods()
    if name not in methods:
        raise ValueError(f"unknown adaptation method {name!r}; available: {', '.join(methods)}")
    return methods[name](**options)


def build_method(name: str, backbone: nn.Module, tokenizer: Any, **options: Any) -> AdaptedModel:
    """Apply method ``name`` (with hyperparameters ``options``) to ``backbone``."""
    return method_config(name, **options).build(backbone, tokenizer)


def load_adapted_model(directory: str | Path, backbone: nn.Module, tokenizer: Any, check_weights: bool = True) -> AdaptedModel:
    """Rebuild the method saved in ``directory`` by ``save_pretrained`` on ``backbone`` and load its weights.

    Raises :class:`BackboneMismatchError` when the adapter was saved for a backbone with another architecture or
    (unless ``check_weights`` is off) other weights.
    """
    meta, state_dict = read_adapter(directory, backbone, check_weights)
    model = method_config(meta["method"], **meta["config"]).build(backbone, tokenizer)
    if hasattr(model, "load_adapter_state_dict"):
        model.load_adapter_state_dict(state_dict)
    else:  # TransducerModel keeps its weights on `.transducer`
        from transducer.methods.transducer_variants import load_transducer_state

        load_transducer_state(model, state_dict)
    return model


__all__ = [
    "METHODS",
    "AdaptedModel",
    "BackboneMismatchError",
    "FrozenDecoderConfig",
    "IclConfig",
    "FullFinetuneConfig",
    "IA3MethodConfig",
    "LayerFreezingConfig",
    "LinearAdapterConfig",
    "LoraMethodConfig",
    "QLoraMethodConfig",
    "MethodConfig",
    "NoFinetuneConfig",
    "PrefixTuningMethodConfig",
    "PromptTuningMethodConfig",
    "TransducerConfig",
    "TransducerNoGraphConfig",
    "TransducerPrefixConfig",
    "TransducerSoftTokensConfig",
    "build_method",
    "load_adapted_model",
    "method_config",
]
