"""The record every dataset reader returns, and the error raised on malformed data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """One source -> target pair.

    ``language`` is the language of ``source`` when known: a name or alias of :data:`cpg.SUPPORTED_LANGUAGES`
    (``"java"``, ``"c_sharp"``, ``"python"``, ``"go"``...: the names tree-sitter and the ``codebleu`` package use). ``target`` is ``""`` for prediction-only inputs.
    """

    source: str
    target: str
    id: str
    language: str | None = None


class DataFormatError(ValueError):
    """A data file exists but its content is not what the reader expects (the message names file and line)."""
