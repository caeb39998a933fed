"""Readers for the on-disk dataset formats the project supports; each returns ``list[Example]``.

Errors name the file, and the 1-based line where one is at fault: :class:`FileNotFoundError` for a missing
file, :class:`~tasks.data.example.DataFormatError` for content that does not match the format.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from cpg.languages import language_for_path
from tasks.data.example import DataFormatError, Example

StrPath = str | PathLike[str]
logger = logging.getLogger(__name__)


def read_jsonl(
    path: StrPath,
    source_field: str = "source",
    target_field: str = "target",
    id_field: str = "id",
    language_field: str | None = "language",
    *,
    require_target: bool = True,
    language: str | None = None,
    encoding: str = "utf-8",
) -> list[Example]:
    """Read the native format: one JSON object per line with source, target, id and (optional) language fields.

    A record without ``id_field`` gets its 0-based record number as id; one without ``language_field`` gets
    ``language``. With ``require_target=False`` a missing target reads as ``""`` (prediction inputs).
    """
    path = Path(path)
    examples = [
        example_from_record(
            record,
            where=f"{path}:{line_number}",
            default_id=str(index),
            source_field=source_field,
            target_field=target_field,
            id_field=id_field,
            language_field=language_field,
            require_target=require_target,
            language=language,
        )
        for index, (line_number, record) in enumerate(_json_records(path, encoding))
    ]
    _check_unique_ids(examples, path)
    return examples


def read_codexglue_translation(
    source_path: StrPath, target_path: StrPath, language: str | None = None, *, encoding: str = "utf-8"
) -> list[Example]:
    """Read CodeXGLUE code-to-code-trans data: two aligned files, one whitespace-normalised method per line.

    E.g. ``train.java-cs.txt.java`` (source) and ``train.java-cs.txt.cs`` (target). ``language`` defaults to
    the one the source file's extension names (``.java``, ``.cs``, ``.py``), else ``None``. Ids are 0-based
    line numbers.
    """
    source_path = Path(source_path)
    if language is None:
        language = language_for_path(str(source_path))  # the CPG extractor's languages and extensions
    pairs = _read_parallel(source_path, Path(target_path), encoding)
    return [Example(source, target, str(index), language) for index, (source, target) in enumerate(pairs)]


def read_codesearchnet(
    path: StrPath,
    *,
    use_tokens: bool = True,
    id_field: str = "idx",
    language: str | None = None,
    encoding: str = "utf-8",
) -> list[Example]:
    """Read CodeSearchNet / CodeXGLUE code-to-text JSONL: code -> docstring, language from each record.

    With ``use_tokens=True`` (CodeXGLUE's convention) source and target are ``code_tokens`` and
    ``docstring_tokens`` joined by single spaces; with ``False`` they are the raw ``code`` and ``docstring``.
    Ids come from ``id_field`` when a record has it, else the 0-based record number. ``language`` is used for
    records without a ``language`` field.
    """
    path = Path(path)
    code_field, text_field = ("code_tokens", "docstring_tokens") if use_tokens else ("code", "docstring")
    examples = []
    for index, (line_number, record) in enumerate(_json_records(path, encoding)):
        where = f"{path}:{line_number}"
        code = _required(record, code_field, where, list if use_tokens else str)
        text = _required(record, text_field, where, list if use_tokens else str)
        if use_tokens:  # as CodeXGLUE code-to-text's run.py builds source and target
            code = " ".join(" ".join(code).replace("\n", " ").split())
            text = " ".join(" ".join(text).replace("\n", "").split())
        record_id = record.get(id_field)
        examples.append(
            Example(code, text, str(index if record_id is None else record_id), record.get("language", language))
        )
    _check_unique_ids(examples, path)
    return examples


def read_atlas(source_path: StrPath, target_path: StrPath, *, encoding: str = "utf-8") -> list[Example]:
    """Read ATLAS assert-generation data (Watson et al., ICSE 2020): two aligned, space-tokenised files.

    In the released ``Raw_Dataset/{Training,Eval,Testing}/`` folders the source file is ``testMethods.txt``:
    per line, a JUnit test method whose assert statement is replaced by ``"<AssertPlaceHolder>"``, then the
    separator ``"<FocalMethod>"``, then the focal method under test. The target file is ``assertLines.txt``:
    per line, the removed assert statement. Some copies are Latin-1: pass ``encoding="iso8859-1"`` for them
    (``data.encoding`` in a config).
    Language is ``"java"``; ids are 0-based line numbers.
    """
    pairs = _read_parallel(Path(source_path), Path(target_path), encoding)
    return [Example(source, target, str(index), "java") for index, (source, target) in enumerate(pairs)]


@dataclass(frozen=True)
class TlCodeSumFileCounts:
    """What one file of a TL-CodeSum pair lost: its skipped lines by reason, and the lines kept with bytes replaced."""

    path: str
    lines: int
    #: lines without a tab, or with an empty id or text
    malformed: int
    #: lines repeating an id seen earlier in the file (the first is kept)
    duplicates: int
    #: lines whose id the other file lacks
    unmatched: int
    #: lines kept with their undecodable bytes replaced by U+FFFD
    replaced: int

    @property
    def skipped(self) -> int:
        return self.malformed + self.duplicates + self.unmatched


@dataclass(frozen=True)
class TlCodeSumReadReport:
    """The counts of one :func:`read_tl_codesum_with_report` call, per file."""

    code: TlCodeSumFileCounts
    nl: TlCodeSumFileCounts


def read_tl_codesum(code_path: StrPath, nl_path: StrPath, *, encoding: str = "utf-8") -> list[Example]:
    """Read TL-CodeSum code-summarization data (Hu et al., IJCAI 2018): Java method -> lower-cased summary.

    The released ``{train,valid,test}.token.code`` (source) and ``.token.nl`` (target) files hold one
    ``<id>\\t<text>`` per line, code tokenised with single spaces. Lines pair by id, not line number; examples keep
    the code file's order, with the TL-CodeSum id and language ``"java"``. One bad line costs only that line: a
    line without a tab or with an empty id or text, a repeated id (the first is kept) and an id only one file
    holds are skipped, counted and logged once per file (:func:`read_tl_codesum_with_report` returns the counts).
    """
    return read_tl_codesum_with_report(code_path, nl_path, encoding=encoding)[0]


def read_tl_codesum_with_report(
    code_path: StrPath, nl_path: StrPath, *, encoding: str = "utf-8"
) -> tuple[list[Example], TlCodeSumReadReport]:
    """:func:`read_tl_codesum`'s examples, and how many lines of each file were skipped or had bytes replaced."""
    code = _IdLines.read(Path(code_path), encoding)
    nl = _IdLines.read(Path(nl_path), encoding)
    examples = [Example(source, nl.texts[id_][1], id_, "java") for id_, (_, source) in code.texts.items()
                if id_ in nl.texts]
    report = TlCodeSumReadReport(code.counts(unmatched_by=nl), nl.counts(unmatched_by=code))
    if not examples:
        raise DataFormatError(f"no line of {code.path} pairs by id with a line of {nl.path}; each line must be "
                              "'<id>\\t<text>'")
    return examples, report


def read_conala(path: StrPath, *, use_rewritten_intent: bool = True, encoding: str = "utf-8") -> list[Example]:
    """Read CoNaLa (Yin et al., MSR 2018) JSON: a list of ``{intent, rewritten_intent, snippet, question_id}``
    records, natural-language intent -> Python snippet.

    The source is ``rewritten_intent`` (the curated intent with quoted variable names) where a record has one and
    ``use_rewritten_intent`` is on, else ``intent``. Ids are ``<question_id>-<record number>`` (a question has
    several records). Sources are text, so examples carry no language.
    """
    path = Path(path)
    records = _json_array(path, encoding)
    examples = []
    for index, record in enumerate(records):
        where = f"{path}: record {index}"
        intent = record.get("rewritten_intent") if use_rewritten_intent else None
        source = intent if isinstance(intent, str) and intent.strip() else _required(record, "intent", where, str)
        target = _required(record, "snippet", where, str)
        examples.append(Example(source, target, f"{record.get('question_id', 'q')}-{index}", None))
    return examples


def read_codealpaca(path: StrPath, *, encoding: str = "utf-8") -> list[Example]:
    """Read CodeAlpaca-style instruction data (Chaudhary 2023; CodeAlpaca-Py as Weyssow et al. 2023 use it): a
    JSON list or JSONL of ``{instruction, input, output}`` records. The source is the instruction, followed by
    the input on a new line when there is one; the target is the output. Ids are record numbers."""
    path = Path(path)
    if path.suffix.lower() == ".jsonl":
        records = [(f"{path}:{number}", record) for number, record in _json_records(path, encoding)]
    else:
        records = [(f"{path}: record {i}", record) for i, record in enumerate(_json_array(path, encoding))]
    examples = []
    for index, (where, record) in enumerate(records):
        instruction = _required(record, "instruction", where, str)
        extra = record.get("input") or ""
        if not isinstance(extra, str):
            raise DataFormatError(f"{where}: field 'input' must be a string, got {type(extra).__name__}")
        source = f"{instruction}\n{extra}" if extra.strip() else instruction
        examples.append(Example(source, _required(record, "output", where, str), str(index), None))
    return examples


def example_from_record(
    record: Mapping[str, Any],
    *,
    where: str,
    default_id: str,
    source_field: str = "source",
    target_field: str = "target",
    id_field: str | None = "id",
    language_field: str | None = "language",
    require_target: bool = True,
    language: str | None = None,
) -> Example:
    """Build an :class:`Example` from one mapping; ``where`` (e.g. ``"file:line"``) prefixes error messages."""
    source = _required(record, source_field, where, str)
    if require_target or record.get(target_field) is not None:
        target = _required(record, target_field, where, str)
    else:
        target = ""
    record_id = record.get(id_field) if id_field else None
    record_language = record.get(language_field) if language_field else None
    return Example(
        source=source,
        target=target,
        id=default_id if record_id is None else str(record_id),
        language=language if record_language is None else str(record_language),
    )


def read_text_lines(path: Path, encoding: str = "utf-8") -> list[str]:
    """Lines of a text file split on ``\\n`` only (code may hold other line-break characters such as form feeds).

    Drops the final newline and ``\\r`` before each ``\\n``; raises on a missing or empty file. A line holding
    bytes that are not valid ``encoding`` is decoded with U+FFFD replacement characters, logged and counted
    (:func:`collect_replaced_lines`): one bad byte costs that line's text, never the file.
    """
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        if "\n".encode(encoding) != b"\n":  # not ASCII-compatible (e.g. UTF-16): lines cannot be cut as bytes
            raise DataFormatError(f"{path}: not valid {encoding} text (bad byte at offset {error.start}); pass the "
                                  "file's encoding (data.encoding, e.g. iso8859-1)") from error
        text = _decode_by_line(path, raw, encoding)
    if not text.strip():
        raise DataFormatError(f"{path}: file is empty")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


#: (file, 1-based line) of every line decoded with replacement characters inside :func:`collect_replaced_lines`
_REPLACED_LINES: ContextVar[list[tuple[str, int]] | None] = ContextVar("replaced_lines", default=None)


@contextmanager
def collect_replaced_lines() -> Iterator[list[tuple[str, int]]]:
    """Collect ``(file, line)`` of the lines the readers decode with replacement characters while inside."""
    collected: list[tuple[str, int]] = []
    token = _REPLACED_LINES.set(collected)
    try:
        yield collected
    finally:
        _REPLACED_LINES.reset(token)


def _decode_by_line(path: Path, raw: bytes, encoding: str) -> str:
    """``raw`` decoded line by line, bad lines with replacement characters (logged once per file, and counted)."""
    lines, bad = [], []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            lines.append(line.decode(encoding))
        except UnicodeDecodeError:
            lines.append(line.decode(encoding, errors="replace"))
            bad.append(number)
    shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
    logger.warning(f"{path}: {len(bad)} line(s) hold bytes that are not valid {encoding} (line {shown}); decoded "
                   "with U+FFFD replacement characters. Set data.encoding if the file has another encoding")
    collected = _REPLACED_LINES.get()
    if collected is not None:
        collected.extend((str(path), number) for number in bad)
    return "\n".join(lines)


def _json_array(path: Path, encoding: str) -> list[dict[str, Any]]:
    """The objects of a file holding one JSON array of objects."""
    try:
        data = json.loads("\n".join(read_text_lines(Path(path), encoding)))
    except json.JSONDecodeError as error:
        raise DataFormatError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from error
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise DataFormatError(f"{path}: expected a JSON array of objects")
    if not data:
        raise DataFormatError(f"{path}: holds no records")
    return data


def _json_records(path: Path, encoding: str) -> list[tuple[int, dict[str, Any]]]:
    """(1-based line number, object) for each non-blank line of a JSONL file."""
    records = []
    for line_number, line in enumerate(read_text_lines(path, encoding), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataFormatError(
                f"{path}:{line_number}: invalid JSON ({error.msg} at column {error.colno}); "
                "expected one JSON object per line"
            ) from error
        if not isinstance(record, dict):
            raise DataFormatError(
                f"{path}:{line_number}: expected a JSON object per line, got {type(record).__name__}"
            )
        records.append((line_number, record))
    return records


def _read_parallel(source_path: Path, target_path: Path, encoding: str) -> list[tuple[str, str]]:
    """Aligned, stripped (source, target) line pairs of two parallel files; both must have equal line counts."""
    sources = read_text_lines(source_path, encoding)
    targets = read_text_lines(target_path, encoding)
    if len(sources) != len(targets):
        raise DataFormatError(
            f"misaligned parallel files: {source_path} has {len(sources)} lines but {target_path} has "
            f"{len(targets)}; line i of one must pair with line i of the other"
        )
    pairs = []
    for line_number, (source, target) in enumerate(zip(sources, targets), start=1):
        for path, text in ((source_path, source), (target_path, target)):
            if not text.strip():
                raise DataFormatError(f"{path}:{line_number}: empty line; every line must hold one example")
        pairs.append((source.strip(), target.strip()))
    return pairs


@dataclass(frozen=True)
class _IdLines:
    """One TL-CodeSum file: ``id -> (1-based line, text)`` for the first line of each id, in file order."""

    path: Path
    lines: int
    texts: dict[str, tuple[int, str]]
    malformed: list[int]
    duplicates: list[int]
    replaced: int

    @classmethod
    def read(cls, path: Path, encoding: str) -> _IdLines:
        outer = _REPLACED_LINES.get()
        with collect_replaced_lines() as replaced:
            lines = read_text_lines(path, encoding)
        if outer is not None:  # an enclosing collect_replaced_lines counts them too
            outer.extend(replaced)
        texts: dict[str, tuple[int, str]] = {}
        malformed: list[int] = []
        duplicates: list[int] = []
        for number, line in enumerate(lines, start=1):
            id_, tab, text = line.partition("\t")
            id_, text = id_.strip(), text.strip()
            if not (tab and id_ and text):
                malformed.append(number)
            elif id_ in texts:
                duplicates.append(number)
            else:
                texts[id_] = (number, text)
        return cls(path, len(lines), texts, malformed, duplicates, len(replaced))

    def counts(self, unmatched_by: _IdLines) -> TlCodeSumFileCounts:
        """This file's counts, its ids missing from ``unmatched_by`` counted as unmatched (one warning if any skip)."""
        unmatched = [number for id_, (number, _) in self.texts.items() if id_ not in unmatched_by.texts]
        counts = TlCodeSumFileCounts(str(self.path), self.lines, len(self.malformed), len(self.duplicates),
                                     len(unmatched), self.replaced)
        if counts.skipped:
            numbers = sorted(self.malformed + self.duplicates + unmatched)
            shown = ", ".join(map(str, numbers[:10])) + (", ..." if len(numbers) > 10 else "")
            logger.warning(f"{self.path}: skipped {counts.skipped} of {self.lines} line(s) (line {shown}): "
                           f"{counts.malformed} without a tab or with an empty id or text, {counts.duplicates} "
                           f"repeating an earlier id, {counts.unmatched} with an id {unmatched_by.path.name} lacks")
        return counts


def _required(record: Mapping[str, Any], field: str, where: str, kind: type) -> Any:
    """``record[field]``, checked present and of ``kind`` (a list must hold strings only)."""
    if field not in record or record[field] is None:
        raise DataFormatError(f"{where}: missing field '{field}' (record has: {', '.join(sorted(record)) or 'none'})")
    value = record[field]
    if not isinstance(value, kind) or (kind is list and not all(isinstance(item, str) for item in value)):
        expected = "a list of strings" if kind is list else "a string"
        raise DataFormatError(f"{where}: field '{field}' must be {expected}, got {type(value).__name__}")
    return value


def _check_unique_ids(examples: list[Example], path: Path) -> None:
    seen: set[str] = set()
    for example in examples:
        if example.id in seen:
            raise DataFormatError(f"{path}: duplicate id {example.id!r}; ids must be unique within a file")
        seen.add(example.id)
