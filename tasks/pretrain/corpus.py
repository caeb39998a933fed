"""The pretraining corpus: code a fresh machine can get without the Hugging Face hub, deduplicated and counted.

Sources (each optional, all given by path):
- Java: the JDK's ``src.zip`` (Debian: ``apt-get install openjdk-17-source``), one document per ``.java`` file;
- Python: the interpreter's standard library (``sysconfig.get_paths()["stdlib"]``), one document per ``.py`` file;
- line files: files with one snippet per line, such as the CodeXGLUE Java→C# *train* files, one document per line.
  Files named like a validation or test split are refused, so held-out data cannot leak into the backbone.

Leading licence headers (a first comment block that mentions a copyright or licence) are removed, since the JDK
repeats the same 25-line GPL header in every file. Documents are deduplicated exactly after whitespace
normalisation; the corpus and its statistics are written as ``documents.jsonl`` and ``corpus_stats.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sysconfig
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

#: file-name parts that mark a held-out split (never pretrain on these)
HELD_OUT_SPLIT_NAMES = ("valid", "test", "dev")

_JAVA_HEADER = re.compile(r"\A\s*/\*.*?\*/\s*", re.DOTALL)
_PYTHON_HEADER = re.compile(r"\A(?:\s*#[^\n]*\n)+")
_LICENCE_WORDS = re.compile(r"copyright|licen[cs]e", re.IGNORECASE)


@dataclass
class Document:
    """One pretraining document: its ``source`` (corpus part), ``language`` and ``text``."""

    source: str
    language: str
    text: str


@dataclass
class SourceStats:
    """What one corpus part contributed: documents read, kept, dropped as duplicates or empty, and bytes kept."""

    documents_read: int = 0
    documents_kept: int = 0
    duplicates_dropped: int = 0
    empty_dropped: int = 0
    bytes_kept: int = 0


def strip_licence_header(text: str, language: str) -> str:
    """``text`` without a leading comment block that mentions a copyright or licence (other comments are kept)."""
    pattern = _JAVA_HEADER if language in ("java", "cs") else _PYTHON_HEADER if language == "python" else None
    match = pattern.match(text) if pattern else None
    if match and _LICENCE_WORDS.search(match.group(0)):
        return text[match.end() :]
    return text


#: JDK modules that are generated data tables rather than code (locale data, charset maps: 40 of the 187 MB)
JDK_DATA_MODULES = ("jdk.localedata", "jdk.charsets")


def java_src_zip(path: str | Path, skip_modules: tuple[str, ...] = JDK_DATA_MODULES) -> Iterator[Document]:
    """Every ``.java`` file of a JDK ``src.zip``, except those of ``skip_modules``."""
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            if name.endswith(".java") and name.split("/", 1)[0] not in skip_modules:
                text = archive.read(name).decode("utf-8", errors="replace")
                yield Document("jdk", "java", strip_licence_header(text, "java"))


def python_stdlib(root: str | Path | None = None) -> Iterator[Document]:
    """Every ``.py`` file of the Python standard library under ``root`` (default: this interpreter's), without
    installed packages (``site-packages``)."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts or "dist-packages" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        yield Document("python-stdlib", "python", strip_licence_header(text, "python"))


def line_file(path: str | Path, language: str) -> Iterator[Document]:
    """One document per line of ``path`` (CodeXGLUE style: one whitespace-normalised method per line)."""
    path = Path(path)
    check_not_held_out(path)
    with path.open(encoding="utf-8", errors="replace", newline="\n") as lines:
        for line in lines:
            yield Document(f"lines:{path.name}", language, line.rstrip("\n"))


def check_not_held_out(path: Path) -> None:
    """Refuse a file whose name marks a validation or test split."""
    parts = re.split(r"[^a-z]+", path.name.lower())
    if any(part in HELD_OUT_SPLIT_NAMES for part in parts):
        raise ValueError(
            f"{path} looks like a held-out split ({'/'.join(HELD_OUT_SPLIT_NAMES)} in its name): pretraining on it would "
            "leak evaluation data into the backbone; pass train files only"
        )


def _dedup_key(text: str) -> bytes:
    return hashlib.blake2b(" ".join(text.split()).encode("utf-8"), digest_size=16).digest()


def build_corpus(parts: Iterable[Iterable[Document]], output_dir: str | Path) -> dict[str, SourceStats]:
    """Deduplicate ``parts`` (exact match after whitespace normalisation, first occurrence kept, across all parts)
    into ``output_dir/documents.jsonl`` and return per-source statistics (also written to ``corpus_stats.json``)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    seen: set[bytes] = set()
    stats: dict[str, SourceStats] = {}
    temporary = output_dir / "documents.jsonl.tmp"
    with temporary.open("w", encoding="utf-8") as out:
        for part in parts:
            for document in part:
                entry = stats.setdefault(document.source, SourceStats())
                entry.documents_read += 1
                if not document.text.strip():
                    entry.empty_dropped += 1
                    continue
                key = _dedup_key(document.text)
                if key in seen:
                    entry.duplicates_dropped += 1
                    continue
                seen.add(key)
                entry.documents_kept += 1
                entry.bytes_kept += len(document.text.encode("utf-8"))
                out.write(json.dumps(asdict(document), ensure_ascii=False) + "\n")
    temporary.replace(output_dir / "documents.jsonl")
    (output_dir / "corpus_stats.json").write_text(json.dumps({k: asdict(v) for k, v in stats.items()}, indent=2))
    return stats


def read_documents(corpus_dir: str | Path) -> Iterator[Document]:
    """The documents written by :func:`build_corpus`, in order."""
    with (Path(corpus_dir) / "documents.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            yield Document(**json.loads(line))
