"""Loading, freezing and fingerprinting the backbone language model.

A backbone is any Hugging Face ``transformers`` seq2seq model (T5/CodeT5+, BART/PLBART) or decoder-only causal
LM (GPT-2/CodeGen/Llama-style). It is given either by hub name or local folder (real weights), or by a config
dict (random weights: tests, the offline quickstart, and benchmarks whose figures depend only on shape).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    ByT5Tokenizer,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.pytorch_utils import Conv1D

from transducer.memory import WEIGHT_DTYPES, MemoryLevers

#: tokenizer name that builds ByT5's byte tokenizer, which needs no files (offline use)
BYTE_TOKENIZER = "byte"

# Config keys that do not change the network a checkpoint was trained for.
_FINGERPRINT_IGNORED_KEYS = {
    "_name_or_path",
    "name_or_path",
    "transformers_version",
    "torch_dtype",
    "dtype",
    "architectures",
    "use_cache",
    "return_dict",
    "output_hidden_states",
    "output_attentions",
    "task_specific_params",
    "_attn_implementation_autoset",
    "_attn_implementation",
}


@dataclass
class BackboneConfig:
    """Which backbone to adapt: ``name_or_path`` (pretrained) or ``config`` (random weights), and its tokenizer.

    YAML: ``backbone: {name_or_path: Salesforce/codet5p-220m}`` or
    ``backbone: {config: {model_type: t5, d_model: 64, ...}, tokenizer: byte}``.
    """

    name_or_path: str | None = None
    config: dict[str, Any] | None = None
    tokenizer: str | None = None
    dtype: str = "float32"
    #: memory levers (:mod:`transducer.memory`): frozen weights in ``bfloat16``/``float16``, gradient checkpointing
    frozen_dtype: str | None = None
    gradient_checkpointing: bool = False
    #: quantized frozen weights (:mod:`transducer.quantization`): ``int8`` (torchao; CPU and CUDA), ``nf4``/``bnb8``
    #: (bitsandbytes; CUDA)
    quantization: str | None = None

    @property
    def memory_levers(self) -> MemoryLevers:
        return MemoryLevers(self.frozen_dtype, self.gradient_checkpointing)

    def load(self) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
        return load_backbone(self.name_or_path, self.config, self.tokenizer, self.dtype, self.quantization)

    def load_tokenizer(self) -> PreTrainedTokenizerBase:
        return load_tokenizer(self.tokenizer or self.name_or_path)


def load_backbone(
    name_or_path: str | None = None,
    config: dict[str, Any] | None = None,
    tokenizer: str | None = None,
    dtype: str = "float32",
    quantization: str | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a backbone model and its tokenizer.

    Args:
        name_or_path: hub name (``Salesforce/codet5p-220m``) or local folder with pretrained weights.
        config: instead of ``name_or_path``, a config dict with ``model_type`` (``{"model_type": "t5",
            "d_model": 64, ...}``): builds the architecture with random weights.
        tokenizer: tokenizer hub name or folder; ``"byte"`` builds ByT5's byte tokenizer (no files needed).
            Defaults to ``name_or_path``.
        dtype: the weights' dtype in memory (``float32``, ``bfloat16``, ``float16``), whatever dtype the folder
            stores (``transformers`` would otherwise keep a bf16 checkpoint in bf16, which trainable weights and
            AdamW should not be).
        quantization: ``int8``, ``nf4`` or ``bnb8`` (:mod:`transducer.quantization`); the weights' digest is taken
            before quantizing, so adapters name the checkpoint, quantized or not.
    """
    from transducer import quantization as quant

    quant.check_mode(quantization)
    if quantization in ("nf4", "bnb8") and config is not None:
        raise ValueError(f"backbone.quantization {quantization!r} quantizes pretrained weights at load time: give "
                         "name_or_path (random-weight configs support 'int8')")
    if dtype not in WEIGHT_DTYPES:
        raise ValueError(f"backbone dtype must be one of {sorted(WEIGHT_DTYPES)}, got {dtype!r}")
    if (name_or_path is None) == (config is None):
        raise ValueError("give exactly one of `name_or_path` (pretrained weights) or `config` (random weights)")
    if config is not None:
        if "model_type" not in config:
            raise ValueError(f"backbone config needs a `model_type` key (e.g. 't5', 'gpt2'); got keys {sorted(config)}")
        options = dict(config)
        model_config = AutoConfig.for_model(options.pop("model_type"), **options)
        model_class = AutoModelForSeq2SeqLM if model_config.is_encoder_decoder else AutoModelForCausalLM
        model = model_class.from_config(model_config)
    else:
        model_config = AutoConfig.from_pretrained(name_or_path)
        model_class = AutoModelForSeq2SeqLM if model_config.is_encoder_decoder else AutoModelForCausalLM
        if quantization in ("nf4", "bnb8"):
            model = model_class.from_pretrained(name_or_path, quantization_config=quant.bitsandbytes_config(quantization))
        else:
            model = model_class.from_pretrained(name_or_path)
    if quantization not in ("nf4", "bnb8"):
        model = model.to(WEIGHT_DTYPES[dtype])
    remember_loaded_weights(model)
    if quantization == "int8":
        quant.quantize_int8(model)
    if quantization is not None:
        quant.mark_quantized(model, quantization)
    loaded_tokenizer = load_tokenizer(tokenizer or name_or_path)
    _fill_special_token_ids(model, loaded_tokenizer)
    if len(loaded_tokenizer) > model.get_input_embeddings().num_embeddings:
        raise ValueError(
            f"tokenizer {tokenizer or name_or_path!r} has {len(loaded_tokenizer)} tokens but the backbone's embedding table has "
            f"{model.get_input_embeddings().num_embeddings}; set the config's vocab_size to at least {len(loaded_tokenizer)}"
        )
    return model, loaded_tokenizer


def _fill_special_token_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> None:
    """Give generation the tokenizer's pad/eos ids (and T5's pad-as-decoder-start convention) where the model's
    config leaves them unset, as configs built for random weights do."""
    for config in (model.config, model.generation_config):
        if getattr(config, "pad_token_id", None) is None:
            config.pad_token_id = tokenizer.pad_token_id
        if getattr(config, "eos_token_id", None) is None:
            config.eos_token_id = tokenizer.eos_token_id
        if model.config.is_encoder_decoder and getattr(config, "decoder_start_token_id", None) is None:
            config.decoder_start_token_id = tokenizer.pad_token_id


def load_tokenizer(name_or_path: str | None) -> PreTrainedTokenizerBase:
    """Load a tokenizer by hub name or folder; ``"byte"`` builds ByT5's byte tokenizer (no files needed).

    Tokenizers without a pad token (GPT-2 style) get their EOS token as pad token.
    """
    if name_or_path is None:
        raise ValueError("a backbone built from `config` needs `tokenizer` (a hub name, a folder, or 'byte')")
    tokenizer = ByT5Tokenizer() if name_or_path == BYTE_TOKENIZER else AutoTokenizer.from_pretrained(name_or_path)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def is_seq2seq(model: PreTrainedModel) -> bool:
    """Whether the backbone is an encoder-decoder model (else a decoder-only causal LM)."""
    return bool(model.config.is_encoder_decoder)


def freeze(model: nn.Module) -> nn.Module:
    """Set ``requires_grad=False`` on every parameter of ``model`` and return it."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def backbone_name(model: PreTrainedModel) -> str:
    """The hub name or folder the backbone came from, or its model type for a config-built one."""
    return model.config.name_or_path or f"<random {model.config.model_type}>"


#: attribute under which a backbone keeps the digest of the weights it was loaded with
WEIGHTS_FINGERPRINT_ATTRIBUTE = "loaded_weights_fingerprint"
#: values sampled per parameter tensor for the weights digest
_SAMPLED_VALUES = 4096


def weights_fingerprint(model: nn.Module) -> str:
    """A cheap, stable digest of a model's weights: each parameter's name, shape and up to 4,096 evenly strided
    values, rounded to bf16 (so loading the same checkpoint in fp32 or bf16 gives the same digest)."""
    digest = hashlib.blake2b(digest_size=8)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            digest.update(f"{name}{tuple(parameter.shape)}".encode())
            if parameter.is_meta:  # built without data (shapes only): there are no values to digest
                continue
            flat = parameter.detach().reshape(-1)
            sample = flat[:: max(1, flat.numel() // _SAMPLED_VALUES)].to("cpu", torch.bfloat16).float()
            digest.update(sample.numpy().tobytes())
    return digest.hexdigest()


def remember_loaded_weights(model: nn.Module) -> str:
    """Record (once) the digest of ``model``'s weights as loaded, before any method trains them; adapters and
    checkpoints name it, so they are refused on other weights even when a method has changed these."""
    if not hasattr(model, WEIGHTS_FINGERPRINT_ATTRIBUTE):
        setattr(model, WEIGHTS_FINGERPRINT_ATTRIBUTE, weights_fingerprint(model))
    return getattr(model, WEIGHTS_FINGERPRINT_ATTRIBUTE)


def backbone_fingerprint(config: PretrainedConfig) -> str:
    """A short hash of the architecture-defining part of a backbone config.

    Two backbones with the same fingerprint accept the same adapter weights; loading an adapter onto a backbone
    with another fingerprint is refused.
    """
    relevant = {k: v for k, v in sorted(config.to_dict().items()) if k not in _FINGERPRINT_IGNORED_KEYS}
    payload = json.dumps(relevant, sort_keys=True, default=str).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def uses_conv1d(backbone: nn.Module) -> bool:
    """Whether ``backbone`` keeps its linear layers as transformers' ``Conv1D`` (weights stored (in, out), GPT-2)."""
    return any(isinstance(module, Conv1D) for module in backbone.modules())
