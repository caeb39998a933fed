"""Checks of the Docker image definition that need neither a Docker engine nor the network.

The Dockerfiles are parsed with ``dockerfile-parse``; ``docker/fetch-joern.sh`` (the build step that downloads
and verifies Joern) is run for real with ``curl`` and ``unzip`` replaced by local stand-ins, so its checksum
gating is exercised offline.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser
from packaging.requirements import InvalidRequirement, Requirement

from tasks.commands import LIGHTNING_SUBCOMMANDS

REPO = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO / "docker"
DOCKERFILES = sorted(DOCKER_DIR.glob("Dockerfile*"))
FETCH_SCRIPT = DOCKER_DIR / "fetch-joern.sh"
README = DOCKER_DIR / "README.md"
DOCKERIGNORE = REPO / ".dockerignore"

SUBCOMMANDS = frozenset({*LIGHTNING_SUBCOMMANDS, "cpg", "bench"})
TORCH_PIN = "2.13.0"
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
SHA256_RE = re.compile(r"[0-9a-f]{64}")
VERSION_RE = re.compile(r"\d+\.\d+\.\d+")
IMAGE_RE = re.compile(r"transducer-tuning(:[\w.-]+)?")
SHELL_OPERATOR_RE = re.compile(r"[;&|()<>]+")


# --------------------------------------------------------------------------------------------- parsing helpers


@dataclass
class Stage:
    """One ``FROM`` block: its base, alias, instructions and the ARG defaults in scope."""

    base: str
    alias: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)
    args: dict[str, str] = field(default_factory=dict)

    def values(self, name: str) -> list[str]:
        """The values of this stage's ``name`` instructions, in order."""
        return [value for instruction, value in self.instructions if instruction == name]


@dataclass
class Dockerfile:
    path: Path
    global_args: dict[str, str]
    stages: list[Stage]
    parser: DockerfileParser

    def variants(self) -> set[str]:
        """Build variants: the suffixes of the ``base-<variant>`` stages."""
        return {s.alias.removeprefix("base-") for s in self.stages if s.alias and s.alias.startswith("base-")}

    def stage(self, alias: str) -> Stage:
        matches = [s for s in self.stages if s.alias == alias]
        assert len(matches) == 1, f"{self.path.name}: expected one stage named {alias!r}"
        return matches[0]


def _arg_pairs(value: str) -> dict[str, str]:
    pairs = {}
    for token in shlex.split(value):
        name, _, default = token.partition("=")
        pairs[name] = default
    return pairs


def parse_dockerfile(path: Path) -> Dockerfile:
    """Split a Dockerfile into stages, resolving which ARG defaults each stage sees (Docker's scoping rules)."""
    parser = DockerfileParser(path=str(path))
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for item in parser.structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "FROM":
            words = value.split()
            alias = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], alias=alias))
            continue
        if not stages:
            if instruction == "ARG":
                global_args.update(_arg_pairs(value))
            continue
        stage = stages[-1]
        stage.instructions.append((instruction, value))
        if instruction == "ARG":
            for name, default in _arg_pairs(value).items():
                stage.args[name] = default or global_args.get(name, "")
    return Dockerfile(path=path, global_args=global_args, stages=stages, parser=parser)


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell line: argv lists split at operators (``&&``, ``;``, ``|``, ``)`` ...)."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if SHELL_OPERATOR_RE.fullmatch(token):
            commands.append([])
        else:
            commands[-1].append(token)
    return [argv for argv in commands if argv]


def copy_operands(value: str) -> tuple[list[str], list[str], str]:
    """(flags, sources, destination) of a COPY/ADD value, in shell or JSON form."""
    tokens = shlex.split(value)
    flags = [t for t in tokens if t.startswith("--")]
    operands = [t for t in tokens if not t.startswith("--")]
    if operands and operands[0].startswith("["):
        operands = json.loads(" ".join(operands))
    assert len(operands) >= 2, f"COPY/ADD needs a source and a destination: {value!r}"
    return flags, operands[:-1], operands[-1]


def context_sources(dockerfile: Dockerfile) -> list[str]:
    sources = []
    for stage in dockerfile.stages:
        for instruction, value in stage.instructions:
            if instruction in ("COPY", "ADD"):
                flags, srcs, _ = copy_operands(value)
                if not any(f.startswith("--from=") for f in flags):
                    sources.extend(srcs)
    return sources


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether a context path (or a parent directory of it) is excluded: as Docker does, the last pattern that
    matches decides, and a ``!`` pattern re-includes.

    Covers the pattern forms ``.dockerignore`` uses here: root-anchored globs and ``**/`` prefixes."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern[1:] if negated else pattern
        if body.startswith("**/"):
            matched = any(fnmatch.fnmatchcase(part, body[3:]) for part in parts)
        else:
            matched = any(fnmatch.fnmatchcase(prefix, body.rstrip("/")) for prefix in prefixes)
        if matched:
            excluded = not negated
    return excluded


def pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def readme_commands() -> list[list[str]]:
    """argv of every shell command in docker/README.md's fenced ``bash`` blocks (continuations joined)."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            commands.extend(shell_commands(line))
    return commands


@pytest.fixture(scope="module", params=DOCKERFILES, ids=lambda p: p.name)
def dockerfile(request: pytest.FixtureRequest) -> Dockerfile:
    return parse_dockerfile(request.param)


@pytest.fixture(scope="module")
def main_dockerfile() -> Dockerfile:
    return parse_dockerfile(DOCKER_DIR / "Dockerfile")


def joern_stage(dockerfile: Dockerfile) -> tuple[Stage, list[str]]:
    """The stage that runs fetch-joern.sh, and the arguments passed to it."""
    calls = []
    for stage in dockerfile.stages:
        for run in stage.values("RUN"):
            for argv in shell_commands(run):
                script_at = next((i for i, word in enumerate(argv[:2]) if word.endswith("fetch-joern.sh")), None)
                if script_at is not None:
                    calls.append((stage, argv[script_at + 1 :]))
    assert len(calls) == 1, f"{dockerfile.path.name}: expected exactly one RUN of fetch-joern.sh"
    return calls[0]


# ------------------------------------------------------------------------------------------ Dockerfile structure


def test_docker_dir_has_a_dockerfile() -> None:
    assert DOCKER_DIR / "Dockerfile" in DOCKERFILES


def test_is_multi_stage(dockerfile: Dockerfile) -> None:
    assert dockerfile.parser.is_multistage
    assert len(dockerfile.stages) >= 2


def test_every_context_source_exists_and_is_not_dockerignored(dockerfile: Dockerfile) -> None:
    patterns = dockerignore_patterns()
    sources = context_sources(dockerfile)
    assert sources, "the image copies nothing from the build context"
    for source in sources:
        assert not source.startswith(("http://", "https://", "/")), f"{source}: not a build-context path"
        assert list(REPO.glob(source.rstrip("/"))), f"{source}: COPY/ADD source missing from the repo"
        assert not ignored(source, patterns), f"{source}: copied by the Dockerfile but excluded by .dockerignore"


def test_project_sources_copied_for_pip_install(main_dockerfile: Dockerfile) -> None:
    copied = {source.rstrip("/") for source in context_sources(main_dockerfile)}
    assert {"pyproject.toml", "README.md", "transducer", "cpg", "tasks", "configs"} <= copied


def test_joern_version_and_checksums_are_pinned(dockerfile: Dockerfile) -> None:
    stage, _ = joern_stage(dockerfile)
    assert VERSION_RE.fullmatch(stage.args.get("JOERN_VERSION", "")), "JOERN_VERSION is not a pinned X.Y.Z"
    checksums = {name: value for name, value in stage.args.items() if name.startswith("JOERN_SHA256")}
    assert set(checksums) == {"JOERN_SHA256_X86_64", "JOERN_SHA256_ARM64"}
    for name, value in checksums.items():
        assert SHA256_RE.fullmatch(value), f"{name} is not a 64-hex SHA-256: {value!r}"


def test_fetch_script_is_copied_and_run_with_the_pinned_args(dockerfile: Dockerfile) -> None:
    stage, args = joern_stage(dockerfile)
    copied = {src for value in stage.values("COPY") for src in copy_operands(value)[1]}
    assert "docker/fetch-joern.sh" in copied
    assert args[:3] == ["$JOERN_VERSION", "$JOERN_SHA256_X86_64", "$JOERN_SHA256_ARM64"]
    assert len(args) == 4, "fetch-joern.sh takes VERSION SHA256_X86_64 SHA256_ARM64 DEST_DIR"


def test_runtime_gets_joern_home_on_path(main_dockerfile: Dockerfile) -> None:
    _, args = joern_stage(main_dockerfile)
    installed = f"{args[3].rstrip('/')}/joern-cli"
    runtime = main_dockerfile.stages[-1]
    copies = [copy_operands(v) for v in runtime.values("COPY")]
    joern_copies = [(srcs, dest) for flags, srcs, dest in copies if "--from=joern" in flags]
    assert joern_copies == [([installed], installed)]
    envs = main_dockerfile.parser.envs
    assert envs["JOERN_HOME"] == installed
    assert installed in envs["PATH"].split(":")


def test_entrypoint_is_the_projects_console_script(dockerfile: Dockerfile) -> None:
    runtime = dockerfile.stages[-1]
    assert [json.loads(v) for v in runtime.values("ENTRYPOINT")] == [["transducer"]]
    assert [json.loads(v) for v in runtime.values("CMD")] == [["--help"]]
    scripts = pyproject()["project"]["scripts"]
    assert scripts["transducer"] == "tasks.commands:main"


def test_runs_as_a_non_root_user(dockerfile: Dockerfile) -> None:
    users = dockerfile.stages[-1].values("USER")
    assert users, "the runtime stage never leaves root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_volumes_for_data_cache_and_outputs(main_dockerfile: Dockerfile) -> None:
    volumes = [path for value in main_dockerfile.stages[-1].values("VOLUME") for path in json.loads(value)]
    assert sorted(volumes) == ["/cache", "/data", "/outputs"]
    envs = main_dockerfile.parser.envs
    assert envs["TRANSDUCER_CACHE_DIR"].startswith("/cache/")
    assert envs["HF_HOME"].startswith("/cache/")


def test_torch_is_installed_pinned(dockerfile: Dockerfile) -> None:
    torch_specs = []
    for stage in dockerfile.stages:
        for run in stage.values("RUN"):
            for argv in shell_commands(run):
                if "install" not in argv or not any(w == "pip" or w.endswith("/pip") for w in argv[:3]):
                    continue
                for word in argv[argv.index("install") + 1 :]:
                    try:
                        requirement = Requirement(word)
                    except InvalidRequirement:
                        continue
                    if requirement.name == "torch":
                        torch_specs.append(str(requirement.specifier))
    assert torch_specs, "torch is never pip-installed explicitly (the project would pull an unpinned build)"
    assert set(torch_specs) == {f"=={TORCH_PIN}"}
    declared = next(Requirement(d) for d in pyproject()["project"]["dependencies"] if Requirement(d).name == "torch")
    assert declared.specifier.contains(TORCH_PIN)
    assert any(CPU_TORCH_INDEX in run for stage in dockerfile.stages for run in stage.values("RUN"))


def test_every_variant_has_a_base_stage_and_a_torch_index(main_dockerfile: Dockerfile) -> None:
    variants = main_dockerfile.variants()
    assert variants == {"cpu", "cuda"}
    assert main_dockerfile.global_args["VARIANT"] in variants
    assert main_dockerfile.stages[-1].base == "base-${VARIANT}"
    torch_runs = [run for run in main_dockerfile.stage("builder").values("RUN") if "torch==" in run]
    assert len(torch_runs) == 1
    for variant in variants:
        assert f"{variant})" in torch_runs[0], f"the torch install step does not handle VARIANT={variant}"


def test_transducer_commands_run_by_the_image_exist(dockerfile: Dockerfile) -> None:
    invocations = [
        argv
        for stage in dockerfile.stages
        for instruction, value in stage.instructions
        if instruction in ("RUN", "HEALTHCHECK")
        for argv in shell_commands(value)
        if Path(argv[0]).name == "transducer"
    ]
    runtime = dockerfile.stages[-1]
    invocations.append(json.loads(runtime.values("ENTRYPOINT")[-1]) + json.loads(runtime.values("CMD")[-1]))
    for argv in invocations:
        assert len(argv) > 1 and (argv[1] in SUBCOMMANDS or argv[1].startswith("-")), f"unknown command {argv}"


# ---------------------------------------------------------------------------------------------- .dockerignore


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    patterns = dockerignore_patterns()
    for path in (".git", ".venv", "x/__pycache__", ".pytest_cache", ".cpg_cache", "outputs", "lightning_logs"):
        assert ignored(path, patterns), f"{path} is not excluded from the build context"
    for path in ("pyproject.toml", "README.md", "tasks/commands.py", "tasks/data/quickstart/train.jsonl",
                 "models/code-t5-mini/model.safetensors", "models/code-t5-mini/tokenizer.json"):
        assert not ignored(path, patterns), f"{path} is needed by the image but excluded"


# ----------------------------------------------------------------------------------------------- docker/README


def test_readme_docker_run_commands_use_real_subcommands_and_volumes(main_dockerfile: Dockerfile) -> None:
    runtime = main_dockerfile.stages[-1]
    volumes = {path for value in runtime.values("VOLUME") for path in json.loads(value)}
    workdir = runtime.values("WORKDIR")[-1]
    runs = [argv for argv in readme_commands() if argv[:2] == ["docker", "run"]]
    assert runs, "docker/README.md shows no docker run command"
    used = set()
    for argv in runs:
        image_at = next(i for i, word in enumerate(argv) if IMAGE_RE.fullmatch(word))
        if len(argv) > image_at + 1:
            used.add(argv[image_at + 1])
            assert argv[image_at + 1] in SUBCOMMANDS, f"unknown transducer command in: {shlex.join(argv)}"
        for flag, mount in zip(argv, argv[1:]):
            if flag == "-v":
                target = mount.split(":")[1]
                assert target in volumes or target.startswith(f"{workdir}/"), f"{target}: not an image volume"
    assert {"cpg", "fit"} <= used


def test_readme_build_commands_match_the_dockerfile(main_dockerfile: Dockerfile) -> None:
    builds = [argv for argv in readme_commands() if argv[:2] == ["docker", "build"]]
    assert builds
    built_variants = {main_dockerfile.global_args["VARIANT"]}
    for argv in builds:
        assert argv[argv.index("-f") + 1] == "docker/Dockerfile" and argv[-1] == ".", shlex.join(argv)
        for flag, value in zip(argv, argv[1:]):
            if flag == "--build-arg" and value.startswith("VARIANT="):
                built_variants.add(value.removeprefix("VARIANT="))
    assert built_variants == main_dockerfile.variants(), "docker/README.md must show how to build every variant"


def test_readme_documents_the_pin_and_the_environment(main_dockerfile: Dockerfile) -> None:
    stage, _ = joern_stage(main_dockerfile)
    text = README.read_text()
    for name in ("JOERN_VERSION", "JOERN_SHA256_X86_64", "JOERN_SHA256_ARM64"):
        assert f"`{stage.args[name]}`" in text, f"docker/README.md does not show the pinned {name}"
    assert f"releases/download/v{stage.args['JOERN_VERSION']}/joern-cli-linux-x86_64.zip" in text
    for word in ("JOERN_HOME", "TRANSDUCER_CACHE_DIR", "--gpus all", "/data", "/cache", "/outputs", "sha256sum"):
        assert word in text


# ------------------------------------------------------------------------------- fetch-joern.sh, run offline

JOERN_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower()
)
needs_posix = pytest.mark.skipif(
    JOERN_ARCH is None or not all(shutil.which(tool) for tool in ("sh", "sha256sum", "mktemp", "uname")),
    reason="needs a POSIX shell with coreutils on x86_64 or arm64",
)

FAKE_CURL = """\
import shutil, sys, os
argv = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write("curl " + argv[-1] + "\\n")
shutil.copyfile(os.environ["FAKE_ARCHIVE"], argv[argv.index("-o") + 1])
"""

FAKE_UNZIP = """\
import os, sys, zipfile
argv = sys.argv[1:]
archive, dest = [a for a in argv if not a.startswith("-")][0], argv[argv.index("-d") + 1]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write("unzip " + archive + "\\n")
with zipfile.ZipFile(archive) as zf:
    for info in zf.infolist():
        path = zf.extract(info, dest)
        if info.external_attr >> 16:
            os.chmod(path, info.external_attr >> 16)
"""


def _fake_joern_archive(path: Path, version: str) -> str:
    """A tiny stand-in for a Joern release zip; returns its SHA-256."""
    with zipfile.ZipFile(path, "w") as zf:
        for name in ("joern-parse", "joern-export"):
            info = zipfile.ZipInfo(f"joern-cli/{name}")
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            zf.writestr(info, "#!/bin/sh\necho joern\n")
        zf.writestr(zipfile.ZipInfo(f"joern-cli/lib/io.joern.joern-cli-{version}.jar"), "jar")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_fetch(tmp_path: Path, archive: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run fetch-joern.sh with ``curl`` serving ``archive``; returns the result and the curl/unzip calls made."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, source in (("curl", FAKE_CURL), ("unzip", FAKE_UNZIP)):
        tool = bin_dir / name
        tool.write_text(f"#!{sys.executable}\n{source}")
        tool.chmod(0o755)
    log = tmp_path / "calls.log"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.update(FAKE_ARCHIVE=str(archive), FAKE_LOG=str(log))
    result = subprocess.run(["sh", str(FETCH_SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)
    return result, log.read_text().splitlines() if log.exists() else []


def _shas_for_this_arch(sha: str) -> tuple[str, str]:
    other = "0" * 64
    return (sha, other) if JOERN_ARCH == "x86_64" else (other, sha)


@needs_posix
def test_fetch_joern_installs_a_matching_archive(tmp_path: Path) -> None:
    archive = tmp_path / "release.zip"
    sha = _fake_joern_archive(archive, "4.0.1")
    dest = tmp_path / "opt"
    result, calls = _run_fetch(tmp_path, archive, "4.0.1", *_shas_for_this_arch(sha), str(dest))
    assert result.returncode == 0, result.stderr
    url = f"https://github.com/joernio/joern/releases/download/v4.0.1/joern-cli-linux-{JOERN_ARCH}.zip"
    assert [call.split()[0] for call in calls] == ["curl", "unzip"]
    assert calls[0] == f"curl {url}"
    assert os.access(dest / "joern-cli" / "joern-parse", os.X_OK)
    assert (dest / "joern-cli" / "lib" / "io.joern.joern-cli-4.0.1.jar").is_file()


@needs_posix
def test_fetch_joern_refuses_a_checksum_mismatch(tmp_path: Path) -> None:
    archive = tmp_path / "release.zip"
    _fake_joern_archive(archive, "4.0.1")
    wrong = hashlib.sha256(b"something else").hexdigest()
    dest = tmp_path / "opt"
    result, calls = _run_fetch(tmp_path, archive, "4.0.1", *_shas_for_this_arch(wrong), str(dest))
    assert result.returncode != 0
    assert "checksum mismatch" in result.stderr
    assert [c.split()[0] for c in calls] == ["curl"], "unpacked an archive that failed verification"
    assert not (dest / "joern-cli").exists()


@needs_posix
@pytest.mark.parametrize(
    ("sha", "message"),
    [("", f"JOERN_SHA256_{(JOERN_ARCH or '').upper()} is empty"), ("abc123", "is not a SHA-256")],
    ids=["empty", "malformed"],
)
def test_fetch_joern_fails_clearly_without_a_valid_checksum(tmp_path: Path, sha: str, message: str) -> None:
    archive = tmp_path / "release.zip"
    _fake_joern_archive(archive, "4.0.1")
    result, calls = _run_fetch(tmp_path, archive, "4.0.1", *_shas_for_this_arch(sha), str(tmp_path / "opt"))
    assert result.returncode != 0
    assert message in result.stderr
    assert calls == [], "downloaded although no valid checksum was pinned"


@needs_posix
def test_fetch_joern_rejects_an_archive_of_another_version(tmp_path: Path) -> None:
    archive = tmp_path / "release.zip"
    sha = _fake_joern_archive(archive, "4.0.2")
    dest = tmp_path / "opt"
    result, _ = _run_fetch(tmp_path, archive, "4.0.1", *_shas_for_this_arch(sha), str(dest))
    assert result.returncode != 0
    assert "is not Joern 4.0.1" in result.stderr
    assert not (dest / "joern-cli").exists()
