"""Quantized frozen backbones (``backbone.quantization``).

- ``int8``: int8 weight-only quantization of every linear layer but the output head, with ``torchao``
  (``pip install torchao``); runs on CPU and CUDA, so it is tested here.
- ``nf4`` (4-bit NormalFloat, as QLoRA) and ``bnb8`` (LLM.int8()): ``bitsandbytes`` through ``transformers``'
  ``BitsAndBytesConfig`` at load time; CUDA only.

A quantized weight cannot be trained: methods that train backbone weights (full fine-tuning, layer freezing, the
frozen-decoder recipe) are refused on a quantized backbone with the reason; methods that keep it frozen (the
transducer, LoRA/``qlora``, IA3, prompt and prefix tuning, no fine-tuning, ICL) run on it.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import torch
from torch import nn

QUANTIZATION_MODES = ("int8", "nf4", "bnb8")
#: attribute set on a quantized backbone: its mode
QUANTIZATION_ATTRIBUTE = "_transducer_quantization"


def check_mode(mode: str | None) -> None:
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(f"backbone.quantization must be one of {', '.join(QUANTIZATION_MODES)} (or unset), got {mode!r}")


def bitsandbytes_config(mode: str) -> Any:
    """The ``BitsAndBytesConfig`` of ``nf4``/``bnb8``; refuses without CUDA or ``bitsandbytes``, saying why."""
    if not torch.cuda.is_available():
        raise ValueError(f"backbone.quantization {mode!r} uses bitsandbytes, which needs a CUDA GPU; on CPU use 'int8' "
                         "(torchao weight-only)")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise ValueError(f"backbone.quantization {mode!r} needs bitsandbytes: pip install bitsandbytes")
    from transformers import BitsAndBytesConfig

    if mode == "nf4":
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                  bnb_4bit_compute_dtype=torch.bfloat16)
    return BitsAndBytesConfig(load_in_8bit=True)


def quantize_int8(model: nn.Module) -> None:
    """int8 weight-only quantization (torchao) of ``model``'s linear layers, the output head excluded (tied to the
    input embeddings in T5-style models, which the transducer reads)."""
    if importlib.util.find_spec("torchao") is None:
        raise ValueError("backbone.quantization 'int8' needs torchao: pip install torchao (or transducer-tuning[quantization])")
    from torchao.quantization import Int8WeightOnlyConfig, quantize_

    output_head = model.get_output_embeddings()
    layers = [m for m in model.modules() if isinstance(m, nn.Linear) and m is not output_head]
    if not layers:
        raise ValueError(f"backbone.quantization 'int8' quantizes nn.Linear layers and {type(model).__name__} has none "
                         "(GPT-2-style models use Conv1D); use a backbone built from nn.Linear (T5, Llama, ...)")
    quantize_(model, Int8WeightOnlyConfig(), filter_fn=lambda module, name: any(module is layer for layer in layers))


def mark_quantized(model: nn.Module, mode: str) -> None:
    setattr(model, QUANTIZATION_ATTRIBUTE, mode)


def quantization_of(model: nn.Module) -> str | None:
    return getattr(model, QUANTIZATION_ATTRIBUTE, None)


def is_quantized_parameter(parameter: torch.Tensor) -> bool:
    """A torchao or bitsandbytes quantized weight (integer storage behind a tensor subclass or int8 data)."""
    return type(parameter).__module__.startswith(("torchao", "bitsandbytes")) or parameter.dtype in (torch.int8, torch.uint8)


def check_trainable_not_quantized(model: nn.Module, method: str) -> None:
    """Refuse a method that would train quantized backbone weights."""
    quantized = [name for name, p in model.named_parameters() if p.requires_grad and is_quantized_parameter(p)]
    if quantized:
        raise ValueError(f"method {method!r} trains backbone weights ({quantized[0]}, ...), which quantization stores as "
                         "integers; on a quantized backbone use a method that keeps it frozen (transducer, lora/qlora, "
                         "ia3, prompt_tuning, prefix_tuning, no_finetune, icl)")
