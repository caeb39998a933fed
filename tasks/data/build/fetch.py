"""Download a pinned source jar from Maven Central, check its sha256, and unpack its ``.java`` files (once)."""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from tasks.data.build.manifest import MavenProject


class ChecksumError(RuntimeError):
    """A downloaded archive is not the pinned one."""


def fetch_sources(project: MavenProject, classifier: str, cache_dir: Path) -> Path:
    """The folder holding the unpacked ``.java`` files of ``project``'s ``classifier`` jar (``sources`` or
    ``test-sources``), downloading and unpacking it under ``cache_dir`` unless already there."""
    expected = project.sources_sha256 if classifier == "sources" else project.test_sources_sha256
    if expected is None:
        raise ValueError(f"{project.name} {project.version} publishes no {classifier} jar")
    folder = cache_dir / "unpacked" / f"{project.artifact}-{project.version}-{classifier}"
    if folder.is_dir():
        return folder
    archive = cache_dir / "archives" / project.jar_name(classifier)
    if not archive.is_file():
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_suffix(".partial")
        with urllib.request.urlopen(project.jar_url(classifier), timeout=120) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
        partial.rename(archive)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != expected:
        raise ChecksumError(
            f"{archive} has sha256 {digest}, not the pinned {expected}: delete it to download again, or, if Maven "
            "Central now serves another file under this version, pin the new hash in tasks/data/build/manifest.py"
        )
    partial_folder = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial_folder, ignore_errors=True)
    with zipfile.ZipFile(archive) as jar:
        for member in jar.namelist():
            path = PurePosixPath(member)
            if member.endswith(".java") and not path.is_absolute() and ".." not in path.parts:
                target = partial_folder / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(member))
    partial_folder.mkdir(parents=True, exist_ok=True)  # a jar without Java files still counts as unpacked
    partial_folder.rename(folder)
    return folder


def java_files(folder: Path) -> Iterator[tuple[str, str]]:
    """``(path relative to folder, text)`` of every ``.java`` file under ``folder``, in path order; undecodable
    bytes become U+FFFD (the file is kept)."""
    for path in sorted(folder.rglob("*.java")):
        yield path.relative_to(folder).as_posix(), path.read_bytes().decode("utf-8", errors="replace")
