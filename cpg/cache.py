"""Content-addressed on-disk cache of code property graphs.

Key: SHA-256 of (extractor version, language, backend, options such as ``max_nodes``/``max_text_chars``, code),
so any change to the input or to what the extractor would produce selects a different entry. Entries live at
``<dir>/<key[:2]>/<key>.cpg``.

Entry format (little-endian): a 20-byte header ``b"CPG\\x01"``, CRC-32 of the body, and the byte lengths of the
body's three parts; then the body: a small JSON object (language, backend, truncated, warnings, kind names,
counts), an int32 array (per node: kind id, text length; then 4 span ints per node; then src, dst, type per
edge), and the node texts concatenated as UTF-8. A read checks the lengths and the checksum, so a truncated or
corrupt entry is a miss (and is rewritten by the next extraction), never a wrong graph. Hits come back as lazy
graphs (:meth:`CodePropertyGraph.from_columns`): no per-node objects are built until someone asks for them.

Writes go to a temporary file in the same folder, then ``os.replace``: atomic, so processes and machines
sharing a cache folder never see a half-written entry (the last writer of identical content wins).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import zlib
from array import array
from pathlib import Path
from struct import Struct

from cpg.graph import CodePropertyGraph, GraphColumns

#: bump when extraction output changes for the same input (invalidates every cache entry)
EXTRACTOR_VERSION = "1"

_MAGIC = b"CPG\x01"
_HEADER = Struct("<4sIIII")  # magic, crc32(body), len(meta), len(ints) in bytes, len(texts)
_SWAP = sys.byteorder == "big"
_READ_SIZE = 1 << 16


def cache_key(code: str, language: str, backend: str, options: dict[str, object]) -> str:
    """Hex SHA-256 of everything that determines the extracted graph."""
    head = json.dumps([EXTRACTOR_VERSION, language, backend, sorted(options.items())], separators=(",", ":"))
    return hashlib.sha256(f"{head}\0{code}".encode("utf-8", "surrogatepass")).hexdigest()


def encode(graph: CodePropertyGraph) -> bytes:
    """The cache entry bytes of ``graph``."""
    columns = graph.columns()
    texts = columns.texts
    meta = json.dumps(
        {
            "language": graph.language,
            "backend": graph.backend,
            "truncated": graph.truncated,
            "warnings": graph.warnings,
            "kinds": columns.kinds,
            "nodes": len(texts),
        },
        separators=(",", ":"),
    ).encode()
    ints = array("i", columns.node_kinds)
    ints.extend(map(len, texts))
    ints.extend(columns.spans)
    ints.extend(columns.edges)
    if _SWAP:
        ints.byteswap()
    body = meta + ints.tobytes() + "".join(texts).encode("utf-8", "surrogatepass")
    ints_size = len(ints) * ints.itemsize
    return _HEADER.pack(_MAGIC, zlib.crc32(body), len(meta), ints_size, len(body) - len(meta) - ints_size) + body


def decode(data: bytes) -> CodePropertyGraph | None:
    """The graph in an entry, or None when the entry is truncated, corrupt or of another format."""
    if len(data) < _HEADER.size:
        return None
    magic, crc, meta_size, ints_size, text_size = _HEADER.unpack_from(data)
    body = memoryview(data)[_HEADER.size :]
    if magic != _MAGIC or len(body) != meta_size + ints_size + text_size or zlib.crc32(body) != crc:
        return None
    meta = json.loads(bytes(body[:meta_size]))
    ints = array("i")
    ints.frombytes(body[meta_size : meta_size + ints_size])
    if _SWAP:
        ints.byteswap()
    values = ints.tolist()
    count = meta["nodes"]
    text = str(body[meta_size + ints_size :], "utf-8", "surrogatepass")
    texts = []
    position = 0
    for length in values[count : 2 * count]:
        texts.append(text[position : position + length])
        position += length
    columns = GraphColumns(meta["kinds"], values[:count], texts, values[2 * count : 6 * count], values[6 * count :])
    return CodePropertyGraph.from_columns(meta["language"], meta["backend"], columns, meta["warnings"], meta["truncated"])


class GraphCache:
    """A cache folder: :meth:`get` a graph by key (None on a miss), :meth:`put` one (atomically)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._root = str(self.directory)

    def path(self, key: str) -> str:
        return f"{self._root}/{key[:2]}/{key}.cpg"

    def get(self, key: str) -> CodePropertyGraph | None:
        try:
            descriptor = os.open(self.path(key), os.O_RDONLY)
        except OSError:
            return None
        try:
            data = os.read(descriptor, _READ_SIZE)
            if len(data) == _READ_SIZE:  # a large entry: read the rest
                data += b"".join(iter(lambda: os.read(descriptor, _READ_SIZE), b""))
        finally:
            os.close(descriptor)
        return decode(data)

    def put(self, key: str, graph: CodePropertyGraph) -> None:
        self.put_bytes(key, encode(graph))

    def put_bytes(self, key: str, data: bytes) -> None:
        path = self.path(key)
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".cpg")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
