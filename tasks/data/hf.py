"""Reader for anything ``datasets`` can load: a hub name, a local data file or folder, or a ``save_to_disk`` folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.data.example import DataFormatError, Example
from tasks.data.readers import StrPath, example_from_record

#: data file extension -> ``datasets`` packaged builder
_FILE_BUILDERS = {".json": "json", ".jsonl": "json", ".csv": "csv", ".parquet": "parquet"}


def read_hf_dataset(
    name_or_path: StrPath,
    split: str = "train",
    source_field: str = "source",
    target_field: str = "target",
    id_field: str | None = "id",
    language_field: str | None = "language",
    *,
    require_target: bool = True,
    language: str | None = None,
    **load_kwargs: Any,
) -> list[Example]:
    """Read one split through ``datasets``.

    ``name_or_path`` may be a local ``.json``/``.jsonl``/``.csv``/``.parquet`` file (read as split ``split``),
    a folder written by ``Dataset.save_to_disk``/``DatasetDict.save_to_disk``, or anything
    ``datasets.load_dataset`` accepts (a data folder, or a hub name, which needs network). ``load_kwargs`` go
    to ``load_dataset`` (e.g. ``name``, ``cache_dir``, ``revision``). Field handling is as in
    :func:`tasks.data.readers.read_jsonl`; rows without ``id_field`` get their 0-based row number as id.
    """
    dataset = _load_split(name_or_path, split, load_kwargs)
    where_prefix = f"{name_or_path} [{split}] row"
    return [
        example_from_record(
            row,
            where=f"{where_prefix} {index}",
            default_id=str(index),
            source_field=source_field,
            target_field=target_field,
            id_field=id_field,
            language_field=language_field,
            require_target=require_target,
            language=language,
        )
        for index, row in enumerate(dataset)
    ]


def _load_split(name_or_path: StrPath, split: str, load_kwargs: dict[str, Any]) -> Any:
    import datasets

    path = Path(name_or_path)
    if path.is_dir() and ((path / "dataset_dict.json").is_file() or (path / "state.json").is_file()):
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise DataFormatError(f"{path}: no split {split!r}; it has: {', '.join(loaded)}")
            return loaded[split]
        return loaded
    if path.is_file():
        builder = _FILE_BUILDERS.get(path.suffix)
        if builder is None:
            raise DataFormatError(
                f"{path}: cannot tell the file type from its extension; use one of {', '.join(_FILE_BUILDERS)}"
            )
        return datasets.load_dataset(builder, data_files={split: str(path)}, split=split, **load_kwargs)
    if not path.exists() and (str(name_or_path).startswith((".", "/")) or path.suffix in _FILE_BUILDERS):
        raise FileNotFoundError(f"data file not found: {path}")
    return datasets.load_dataset(str(name_or_path), split=split, **load_kwargs)
