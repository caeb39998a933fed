"""The interface every adaptation method implements (the transducer and every baseline).

The training harness (``tasks``) only talks to this interface, so every method runs through the same loop,
data, generation settings and metrics.

Batch conventions (built by the data collator):
- seq2seq backbones: ``input_ids``/``attention_mask`` hold the source; ``labels`` the target, padded with -100.
- decoder-only backbones: for training, ``input_ids`` holds source + target and ``labels`` is -100 on the source
  (prompt) and padding positions; for generation, ``input_ids`` holds the left-padded source only.
- ``graph`` is a PyG ``Batch`` with one graph per sample (methods that do not use graphs ignore it).
"""

from __future__ import annotations

import importlib
import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from transducer.backbone import backbone_fingerprint, backbone_name, remember_loaded_weights

ADAPTER_CONFIG_NAME = "adapter_config.json"
ADAPTER_WEIGHTS_NAME = "adapter_model.safetensors"


class BackboneMismatchError(ValueError):
    """An adapter was saved for a backbone with another architecture than the one it is loaded onto."""


@dataclass
class MethodConfig(ABC):
    """Hyperparameters of one adaptation method; ``build`` applies the method to a backbone.

    Subclasses are dataclasses, so Lightning CLI/YAML configs select one with ``class_path``/``init_args``.
    """

    #: registry name of the method, also written to ``adapter_config.json``
    method_name: ClassVar[str]

    @abstractmethod
    def build(self, backbone: nn.Module, tokenizer: Any) -> AdaptedModel:
        """Wrap ``backbone`` (freezing what the method keeps frozen) and return the adapted model."""

    @property
    def demonstrations(self) -> MethodConfig | None:
        """Settings with which the data turns every evaluated source into a few-shot prompt from training examples
        (in-context learning, :class:`~transducer.methods.icl.IclConfig`); ``None`` for every other method."""
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> MethodConfig:
        """Inverse of :meth:`to_dict` (e.g. the ``config`` entry of ``adapter_config.json``); names unknown fields."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields {unknown}; known fields: {sorted(known)}")
        return cls(**values)


class AdaptedModel(nn.Module, ABC):
    """A frozen or partly trainable backbone plus whatever a method trains."""

    #: whether the method consumes the ``graph`` batch (the data module skips graph extraction otherwise)
    uses_graph: bool = False
    #: whether batches must say which source tokens lie in which graph nodes (``graph.token_node_mask``)
    aligns_tokens_to_nodes: bool = False

    backbone: nn.Module

    @abstractmethod
    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
        graph: Any | None = None,
    ) -> Any:
        """Return the backbone's ``ModelOutput`` (``.loss`` set when ``labels`` is given)."""

    @abstractmethod
    def generate(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        graph: Any | None = None,
        **generation_kwargs: Any,
    ) -> torch.Tensor:
        """Generate from the source only; returns the generated token ids (for decoder-only backbones, only
        the continuation, not the prompt)."""

    def encode_graph(self, graph: Any) -> Any:
        """Turn one ``cpg.CodePropertyGraph`` into the PyG ``Data`` this method consumes (methods with
        ``uses_graph = True`` override it)."""
        raise NotImplementedError(f"{type(self).__name__} does not use graphs")

    def encode_graphs(self, graphs: list[Any], progress: bool = False) -> list[Any]:
        """:meth:`encode_graph` for a whole split (the data module calls this once per split); methods may
        override it with a batched version."""
        return [self.encode_graph(graph) for graph in graphs]

    def graph_encoding_key(self) -> str | None:
        """What :meth:`encode_graphs`' output depends on besides the graphs, as a key for caches of encoded graphs
        (``None``: do not cache)."""
        return None

    @abstractmethod
    def save_pretrained(self, directory: str | Path) -> None:
        """Write only the trained weights (safetensors) and the method's config to ``directory``."""

    @abstractmethod
    def load_adapter_state_dict(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load the trained weights :meth:`save_pretrained` wrote (refusing other names or shapes): the mirror of
        saving, used by :meth:`from_pretrained`."""

    @classmethod
    def from_pretrained(cls, directory: str | Path, backbone: nn.Module, tokenizer: Any,
                        check_weights: bool = True) -> AdaptedModel:
        """Rebuild the method :meth:`save_pretrained` wrote to ``directory`` on ``backbone`` and load its weights.

        Called on a subclass (``TransducerModel.from_pretrained``), refuses an adapter that builds another model.
        Raises :class:`BackboneMismatchError` when the adapter was saved for a backbone with another architecture or
        (unless ``check_weights`` is off) other weights.
        """
        meta, state_dict = read_adapter(directory, backbone, check_weights)
        model = config_from_adapter(meta).build(backbone, tokenizer)
        if not isinstance(model, cls):
            raise ValueError(f"{directory} holds a {meta['method']!r} adapter, which builds a "
                             f"{type(model).__name__}, not a {cls.__name__}: load it with AdaptedModel.from_pretrained "
                             "onto a freshly loaded backbone (this one is now wrapped by that method)")
        try:
            model.load_adapter_state_dict(state_dict)
        except ValueError as error:
            raise ValueError(f"{directory}: {error}") from None
        return model

    def trainable_parameters(self) -> tuple[int, int]:
        """``(trainable, total)`` parameter counts."""
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        total = sum(p.numel() for p in self.parameters())
        return trainable, total

    def print_trainable_parameters(self) -> None:
        trainable, total = self.trainable_parameters()
        print(f"trainable params: {trainable:,d} || all params: {total:,d} || trainable%: {100 * trainable / total:.4f}")


def backbone_record(backbone: nn.Module) -> dict[str, str]:
    """The backbone's name, architecture fingerprint and loaded-weights digest, as saved with adapters and
    checkpoints."""
    return {
        "backbone": backbone_name(backbone),
        "backbone_fingerprint": backbone_fingerprint(backbone.config),
        "backbone_weights": remember_loaded_weights(backbone),
    }


def check_backbone(record: dict[str, Any], backbone: nn.Module, source: str, check_weights: bool = True) -> None:
    """Refuse ``backbone`` if its architecture, or (with ``check_weights``) the weights it was loaded with, differ
    from what ``record`` (written by :func:`backbone_record` for ``source``) names; the error names both."""
    expected, actual = record["backbone_fingerprint"], backbone_fingerprint(backbone.config)
    if expected != actual:
        raise BackboneMismatchError(
            f"{source} was trained for backbone {record['backbone']!r} (fingerprint {expected}), "
            f"but the given backbone is {backbone_name(backbone)!r} (fingerprint {actual}): their configs differ, "
            "so the trained weights do not fit it"
        )
    expected_weights, actual_weights = record.get("backbone_weights"), remember_loaded_weights(backbone)
    if check_weights and expected_weights is not None and expected_weights != actual_weights:
        raise BackboneMismatchError(
            f"{source} was trained on backbone {record['backbone']!r} (weights {expected_weights}), but the given "
            f"backbone is {backbone_name(backbone)!r} (weights {actual_weights}): same architecture, other weights. "
            "Load the backbone it was trained on, or allow it on purpose (`allow_other_backbone_weights=True`, "
            "`--model.allow_other_backbone_weights true`)"
        )


def check_adapter_keys(expected: Any, state_dict: dict[str, torch.Tensor], method: str) -> None:
    """Refuse adapter weights whose names are not exactly ``expected`` (the names the method builds), naming the
    first few missing and unexpected ones."""
    missing, unexpected = sorted(set(expected) - state_dict.keys()), sorted(state_dict.keys() - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"adapter weights do not match method {method!r}: "
            f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}"
        )


def save_adapter(directory: str | Path, config: MethodConfig, backbone: nn.Module, state_dict: dict[str, torch.Tensor]) -> None:
    """Write ``adapter_model.safetensors`` (``state_dict``) and ``adapter_config.json`` (method, its config, and the
    backbone's name and fingerprint) to ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"method": config.method_name, "config_class": f"{type(config).__module__}.{type(config).__qualname__}",
            "config": config.to_dict(), **backbone_record(backbone)}
    (directory / ADAPTER_CONFIG_NAME).write_text(json.dumps(meta, indent=2, default=str) + "\n")
    tensors = {name: tensor.detach().contiguous().cpu() for name, tensor in state_dict.items()}
    save_file(tensors, str(directory / ADAPTER_WEIGHTS_NAME))


def read_adapter(
    directory: str | Path, backbone: nn.Module, check_weights: bool = True
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read what :func:`save_adapter` wrote, refusing a backbone whose architecture (or, with ``check_weights``,
    loaded weights) differ from the saved ones.

    Returns ``(adapter_config, state_dict)``.
    """
    directory = Path(directory)
    config_path = directory / ADAPTER_CONFIG_NAME
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path} not found: is {directory} an adapter folder written by save_pretrained?")
    meta = json.loads(config_path.read_text())
    check_backbone(meta, backbone, f"adapter in {directory}", check_weights)
    return meta, load_file(str(directory / ADAPTER_WEIGHTS_NAME))


def config_from_adapter(meta: dict[str, Any]) -> MethodConfig:
    """The method config an ``adapter_config.json`` (``meta``) records: its ``config_class`` (a dotted path, so
    methods defined outside transducer-tuning load too) built from its ``config``. Adapters saved before the class
    was recorded name only the method: the loaded config class of that name builds it."""
    if "config_class" in meta:
        module, _, name = meta["config_class"].rpartition(".")
        config_class = getattr(importlib.import_module(module), name)
    else:
        config_class = _loaded_config_class(meta["method"])
    if not (isinstance(config_class, type) and issubclass(config_class, MethodConfig)):
        raise ValueError(f"adapter config class {meta.get('config_class')!r} is not a MethodConfig")
    return config_class.from_dict(meta["config"])


def _loaded_config_class(method: str) -> type[MethodConfig]:
    """The imported :class:`MethodConfig` subclass whose ``method_name`` is ``method``."""
    pending, seen = list(MethodConfig.__subclasses__()), set()
    while pending:
        candidate = pending.pop()
        if candidate in seen:
            continue
        seen.add(candidate)
        if getattr(candidate, "method_name", None) == method:
            return candidate
        pending.extend(candidate.__subclasses__())
    raise ValueError(f"the adapter names method {method!r} but no config class of that name is imported (adapters "
                     "saved before `config_class` was recorded): `import transducer.methods` first")
