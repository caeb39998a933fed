"""In-context learning (Weyssow et al. 2023's ICL baseline): the frozen backbone, prompted with k demonstrations
from the train split. Nothing trains; the data module builds the prompts (:mod:`tasks.icl`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from transducer.backbone import freeze
from transducer.adaptation import MethodConfig
from transducer.methods.wrapper import BackboneWrapper


@dataclass
class IclConfig(MethodConfig):
    """k-shot prompting of the frozen backbone (0 trainable parameters).

    Args:
        k: most demonstrations per prompt (fewer when the prompt would exceed ``data.max_source_length``).
        selection: ``bm25`` (the train examples whose source is most similar to the query's, by BM25) or
            ``random`` (seeded per example).
        example_template / query_template: how a demonstration and the query are written (``{source}``,
            ``{target}``); the backbone generates what follows the query.
        seed: for ``random`` selection.
    """

    method_name: ClassVar[str] = "icl"

    k: int = 4
    selection: str = "bm25"
    example_template: str = "Input:\n{source}\nOutput:\n{target}\n\n"
    query_template: str = "Input:\n{source}\nOutput:\n"
    seed: int = 0

    def build(self, backbone: nn.Module, tokenizer: Any) -> BackboneWrapper:
        return BackboneWrapper(self, freeze(backbone), tokenizer)

    @property
    def demonstrations(self) -> IclConfig:
        return self
