"""Every adaptation method behind one interface, selectable by name or by config class.

``METHODS`` maps a method name to its :class:`~transducer.adaptation.MethodConfig` subclass; YAML configs select
one with ``class_path: transducer.methods.LoraMethodConfig`` (etc.) and ``init_args``. ``PRESETS`` names a method
with fixed options (``transducer_small`` is ``transducer`` at the paper's size, ``lora_transducer`` the transducer
on top of LoRA, ...); :func:`method_config` accepts both kinds of name, and :func:`register_preset` adds one.

The interface every method implements is :mod:`transducer.adaptation`; this registry imports every method eagerly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from transducer.adaptation import AdaptedModel, BackboneMismatchError, MethodConfig
from transducer.config import SMALL as TRANSDUCER_SMALL
from transducer.config import TransducerConfig
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

#: method name -> config class (the transducer's variants are presets of ``transducer``)
METHODS: dict[str, type[MethodConfig]] = {config.method_name: config for config in (*BASELINES, TransducerConfig)}


#: preset name -> (registered method, its fixed options); a preset's adapter saves as its method with those options.
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    # the fusion design (the default until soft tokens had the lower dev loss; BENCHMARKS.md §7 v2): a per-token
    # cross-attention update of the input embeddings, bounded
    "transducer_fusion": ("transducer", {"injection": "fusion"}),
    # the ablation "transducer without graph": the fusion trained on zero graph features, isolating what the code
    # property graph contributes (soft tokens and prefixes need a graph, so this is every injection's graph-free twin)
    "transducer_no_graph": ("transducer", {"graph_mode": "zero", "injection": "fusion"}),
    # the graph as key/value prefixes in every decoder self-attention layer (Pass-Tuning style,
    # transducer.graph_prefix) instead of soft tokens in front of the input
    "transducer_prefix": ("transducer", {"injection": "prefix"}),
    # the paper's size (TransducerConfig.small: the fusion design)
    "transducer_small": ("transducer", dict(TRANSDUCER_SMALL)),
    "transducer_minilm": ("transducer", {"injection": "fusion", "node_encoder": "sentence-transformers/all-MiniLM-L6-v2"}),
    # the edges of the graph extractor's version 2: no CFG labels, no CALL/ARGUMENT edges (an ablation)
    "transducer_v2_edges": ("transducer", {"injection": "fusion", "edge_types": ("AST", "CFG", "DDG", "CDG"),
                                           "cfg_labels": False}),
    # the fusion with each token fused with the nodes whose source span contains it, not with every node
    "transducer_aligned": ("transducer", {"injection": "fusion", "token_node_alignment": True}),
    # the fusion before v2, its update unbounded (an ablation of the bound)
    "transducer_unbounded": ("transducer", {"injection": "fusion", "update_bound": None}),
    # the fusion on top of LoRA (r = 8 in the backbone's default LoRA layers), and its graph-free twin
    "lora_transducer": ("transducer", {"injection": "fusion", "backbone_lora_r": 8}),
    "lora_transducer_no_graph": ("transducer", {"graph_mode": "zero", "injection": "fusion", "backbone_lora_r": 8}),
}


def register_preset(name: str, method: str, **options: Any) -> None:
    """Name ``method`` with ``options`` as a preset, selectable wherever a method name is."""
    if name in PRESETS or name in METHODS:
        raise ValueError(f"method name {name!r} is already taken")
    if method not in METHODS:
        raise ValueError(f"preset {name!r}: unknown method {method!r}; available: {', '.join(METHODS)}")
    method_config(method, **options)  # fails now, with the option's name, rather than when first used
    PRESETS[name] = (method, options)


def method_names() -> list[str]:
    """Every name :func:`method_config` accepts: the registered methods, then the presets."""
    return [*METHODS, *PRESETS]


def method_config(name: str, **options: Any) -> MethodConfig:
    """The config of method or preset ``name`` with ``options`` as (further) hyperparameters."""
    if name in PRESETS:
        method, fixed = PRESETS[name]
        return method_config(method, **{**fixed, **options})
    methods = METHODS
    if name not in methods:
        raise ValueError(f"unknown adaptation method {name!r}; available: {', '.join(method_names())}")
    return methods[name](**options)


def build_method(name: str, backbone: nn.Module, tokenizer: Any, **options: Any) -> AdaptedModel:
    """Apply method ``name`` (with hyperparameters ``options``) to ``backbone``."""
    return method_config(name, **options).build(backbone, tokenizer)


def load_adapted_model(directory: str | Path, backbone: nn.Module, tokenizer: Any, check_weights: bool = True) -> AdaptedModel:
    """Rebuild the method saved in ``directory`` by ``save_pretrained`` on ``backbone`` and load its weights.

    Raises :class:`BackboneMismatchError` when the adapter was saved for a backbone with another architecture or
    (unless ``check_weights`` is off) other weights.
    """
    return AdaptedModel.from_pretrained(directory, backbone, tokenizer, check_weights)


__all__ = [
    "METHODS",
    "PRESETS",
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
    "build_method",
    "load_adapted_model",
    "method_config",
    "method_names",
    "register_preset",
]
