"""Checks of the Docker image definition that need neither a Docker engine nor the network.

The Dockerfiles are parsed with ``dockerfile-parse``. The image installs Joern with the recipe CI uses
(``cpg/joern_maven/pom.xml`` through ``cpg/joern_install.py``): the tests check that the ``joern`` stage runs
exactly that recipe, that the README names the pom's Joern version, and (with Maven and ``java`` replaced by
stand-ins) that the installer runs Maven with checksums enforced and writes launchers that need only bash and java.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest
from dockerfile_parse import DockerfileParser
from packaging.requirements import InvalidRequirement, Requirement

from cpg import joern_install
from tasks.commands import LIGHTNING_SUBCOMMANDS

REPO = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO / "docker"
DOCKERFILES = sorted(DOCKER_DIR.glob("Dockerfile*"))
README = DOCKER_DIR / "README.md"
DOCKERIGNORE = REPO / ".dockerignore"
#: the Joern recipe CI and `transducer joern install` use; the image's joern stage copies exactly these files
INSTALLER = "cpg/joern_install.py"
POM = "cpg/joern_maven/pom.xml"
POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
#: each Joern frontend artifact of the pom -> the language the build's self-check runs it on
FRONTEND_LANGUAGE = {"javasrc2cpg": "java", "c2cpg": "c", "pysrc2cpg": "python"}

SUBCOMMANDS = frozenset({*LIGHTNING_SUBCOMMANDS, "cpg", "bench"})
TORCH_PIN = "2.13.0"
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
VERSION_RE = re.compile(r"\d+\.\d+\.\d+")
JDK_RE = re.compile(r"(?:openjdk-(\d+)|default)-jdk(?:-headless)?")
JRE_RE = re.compile(r"(?:openjdk-(\d+)|default)-jre(?:-headless)?")
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
    """The stage that runs the Joern installer, and the command that runs it (interpreter, script, arguments)."""
    calls = []
    for stage in dockerfile.stages:
        for run in stage.values("RUN"):
            for argv in shell_commands(run):
                if any(PurePosixPath(word).name == Path(INSTALLER).name for word in argv[:2]):
                    calls.append((stage, argv))
    assert len(calls) == 1, f"{dockerfile.path.name}: expected exactly one RUN of {Path(INSTALLER).name}"
    return calls[0]


def installer_home(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ``--home`` that the installer's own command line parser reads from the Dockerfile's arguments."""
    homes: list[Path] = []
    with monkeypatch.context() as patch:
        patch.setattr(joern_install, "install", lambda home, log=print: homes.append(home) or home)
        joern_install.main(argv[2:])
    assert len(homes) == 1
    return homes[0]


def apt_packages(stage: Stage) -> set[str]:
    """The packages a stage installs with ``apt-get install``."""
    packages = set()
    for run in stage.values("RUN"):
        for argv in shell_commands(run):
            if argv[:2] == ["apt-get", "install"]:
                packages.update(word for word in argv[2:] if not word.startswith("-"))
    return packages


def pom() -> ET.Element:
    return ET.parse(REPO / POM).getroot()


def pom_joern_version() -> str:
    version = pom().findtext("m:properties/m:joern.version", namespaces=POM_NS)
    assert version and VERSION_RE.fullmatch(version), f"{POM}: no X.Y.Z joern.version property"
    return version


def pom_frontends() -> set[str]:
    """The Joern frontend artifacts the pom depends on (``javasrc2cpg_3`` -> ``javasrc2cpg``)."""
    artifacts = {d.findtext("m:artifactId", namespaces=POM_NS) for d in pom().iterfind("m:dependencies/m:dependency",
                                                                                          POM_NS)}
    return {a.rsplit("_", 1)[0] for a in artifacts if a and a.rsplit("_", 1)[0].endswith("2cpg")}


def fake_maven_install(home: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Run :func:`cpg.joern_install.install` into ``home`` with ``mvn``/``java`` stood in; returns the commands run."""
    commands: list[list[str]] = []

    def fake_run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        commands.append(list(command))
        out = next(a.removeprefix("-DoutputDirectory=") for a in command if a.startswith("-DoutputDirectory="))
        Path(out).mkdir(parents=True)
        (Path(out) / "joern-cli_3-0.jar").write_bytes(b"jar")
        return subprocess.CompletedProcess(command, 0, "", "")

    with monkeypatch.context() as patch:
        patch.setattr(joern_install.shutil, "which", lambda tool: f"/usr/bin/{tool}")
        patch.setattr(joern_install.subprocess, "run", fake_run)
        assert joern_install.install(home, log=lambda line: None) == home
    return commands


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


def test_joern_stage_copies_exactly_the_recipe_in_its_repo_layout(dockerfile: Dockerfile) -> None:
    stage, argv = joern_stage(dockerfile)
    assert not stage.values("ADD")
    copies = [copy_operands(value) for value in stage.values("COPY")]
    assert all(not flags for flags, _, _ in copies), "the joern stage copies from another stage"
    destinations = {}
    for _, sources, destination in copies:
        for source in sources:
            target = PurePosixPath(destination)
            destinations[source] = str(target / PurePosixPath(source).name if destination.endswith("/") else target)
    assert set(destinations) == {INSTALLER, POM}, "the joern stage must copy the recipe and nothing else"
    installer = PurePosixPath(destinations[INSTALLER])
    # joern_install.RECIPE is Path(__file__).parent / "joern_maven" / "pom.xml"
    assert joern_install.RECIPE == (REPO / INSTALLER).resolve().parent / "joern_maven" / "pom.xml" == REPO / POM
    assert PurePosixPath(destinations[POM]) == installer.parent / "joern_maven" / "pom.xml"
    assert argv[1] == str(installer), f"the joern stage runs {argv[1]}, not the copied {installer}"


def test_joern_stage_runs_the_installer_as_ci_does(dockerfile: Dockerfile, monkeypatch: pytest.MonkeyPatch) -> None:
    stage, argv = joern_stage(dockerfile)
    assert argv[0] == "python3" and "python3" in apt_packages(stage)
    assert argv[2] == "install", "the installer's command is `joern_install.py install --home DIR` (as in .ci/run)"
    home = installer_home(argv, monkeypatch)
    assert home.is_absolute()
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"python3 cpg/joern_install\.py install\b", ci), ".ci/run no longer installs Joern this way"


def test_joern_stage_installs_a_jdk_and_maven_and_runtime_a_jre(dockerfile: Dockerfile) -> None:
    stage, _ = joern_stage(dockerfile)
    build = apt_packages(stage)
    runtime = apt_packages(dockerfile.stages[-1])
    assert "maven" in build, "the recipe runs `mvn`"
    jdks = [m for m in map(JDK_RE.fullmatch, build) if m]
    assert len(jdks) == 1, f"the joern stage must install one JDK, got {sorted(build)}"
    jres = [m for m in map(JRE_RE.fullmatch, runtime) if m]
    assert len(jres) == 1, f"the runtime must install one JRE, got {sorted(runtime)}"
    assert not any(JDK_RE.fullmatch(p) for p in runtime) and "maven" not in runtime, "build tools in the runtime"
    assert jdks[0].group(1) == jres[0].group(1), "Joern is installed and run with different Java versions"
    assert jres[0].group(1) is None or int(jres[0].group(1)) >= 11, "the recipe needs Java 11 or newer"


def test_no_joern_pin_outside_the_pom(dockerfile: Dockerfile) -> None:
    names = set(dockerfile.global_args) | {name for stage in dockerfile.stages for name in stage.args}
    assert not {name for name in names if name.startswith("JOERN")}, "the Joern pin lives in the pom alone"
    text = dockerfile.path.read_text()
    assert pom_joern_version() not in text and "fetch-joern" not in text


def test_runtime_gets_joern_home_on_path(main_dockerfile: Dockerfile, monkeypatch: pytest.MonkeyPatch) -> None:
    _, argv = joern_stage(main_dockerfile)
    installed = str(installer_home(argv, monkeypatch))
    runtime = main_dockerfile.stages[-1]
    copies = [copy_operands(v) for v in runtime.values("COPY")]
    joern_copies = [(srcs, dest) for flags, srcs, dest in copies if "--from=joern" in flags]
    assert [(s, d.rstrip("/")) for s, d in joern_copies] == [([installed], installed)]
    envs = main_dockerfile.parser.envs
    assert envs["JOERN_HOME"] == installed  # cpg.joern.find_joern looks for joern-parse/joern-export here first
    assert installed in envs["PATH"].split(":")


def test_installer_runs_maven_with_checksums_enforced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = fake_maven_install(tmp_path / "joern-cli", monkeypatch)
    assert len(commands) == 1
    mvn = commands[0]
    assert mvn[0] == "mvn"
    assert "--strict-checksums" in mvn or "-C" in mvn, "Maven must fail on a checksum mismatch"
    assert not {"--lax-checksums", "-c"} & set(mvn)
    assert mvn[mvn.index("-f") + 1] == str(joern_install.RECIPE)
    assert "dependency:copy-dependencies" in mvn


def test_installed_launchers_need_only_bash_and_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "joern-cli"
    fake_maven_install(home, monkeypatch)
    assert (home / ".installation_root").is_file() and (home / "recipe.sha256").is_file()
    assert {"joern-parse", "joern-export"} <= set(joern_install.LAUNCHERS)
    for name in joern_install.LAUNCHERS:
        launcher = home / name
        assert os.access(launcher, os.X_OK), f"{name} is not executable"
        lines = launcher.read_text().splitlines()
        assert lines[0] == "#!/usr/bin/env bash"
        assert [line.split()[:2] for line in lines if line.startswith("exec ")] == [["exec", "java"]]
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("running a launcher needs bash")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    (bin_dir / "java").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "JAVA_OPTS": "-Xmx8g -Dx=1"}
    result = subprocess.run([str(home / "joern-parse"), "-J-Xmx3g", "src", "--language", "javasrc"], env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    # the default heap, then $JAVA_OPTS, then -J options: the last -Xmx wins
    assert json.loads(result.stdout) == ["-Xmx2g", "-Xmx8g", "-Dx=1", "-Xmx3g", "-cp", f"{home}/lib/*",
                                         joern_install.LAUNCHERS["joern-parse"], "src", "--language", "javasrc"]


def test_build_self_check_runs_every_shipped_joern_frontend(main_dockerfile: Dockerfile) -> None:
    assert pom_frontends() == set(FRONTEND_LANGUAGE), f"{POM} changed its frontends: update FRONTEND_LANGUAGE"
    check = main_dockerfile.stages[-1].values("RUN")[-1]
    commands = shell_commands(check)
    for expected in (["java", "-version"], ["joern-parse", "--help"], ["joern-export", "--help"],
                     ["transducer", "--help"]):
        assert expected in commands, f"the build's self-check no longer runs {shlex.join(expected)}"
    checked = set()
    for argv in commands:
        if argv[:3] == ["transducer", "cpg", "-"] and argv[argv.index("--backend") + 1] == "joern":
            checked.add(argv[argv.index("--language") + 1])
    assert checked == set(FRONTEND_LANGUAGE.values()), "the self-check must run each frontend the image ships"


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_every_run_is_valid_shell(dockerfile: Dockerfile) -> None:
    for stage in dockerfile.stages:
        for run in stage.values("RUN"):
            result = subprocess.run(["sh", "-n", "-c", run], capture_output=True, text=True, timeout=30, check=False)
            assert result.returncode == 0, f"{run}\n{result.stderr}"


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
                 "models/code-t5-mini/model.safetensors", "models/code-t5-mini/tokenizer.json", INSTALLER, POM):
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


def test_readme_documents_the_pin_and_the_environment() -> None:
    text = README.read_text()
    for word in ("JOERN_HOME", "TRANSDUCER_CACHE_DIR", "--gpus all", "/data", "/cache", "/outputs", POM, INSTALLER,
                 "--strict-checksums", "Bumping Joern"):
        assert word in text, f"docker/README.md does not mention {word}"
    assert "fetch-joern" not in text and "JOERN_SHA256" not in text


def test_readme_names_the_poms_joern_version() -> None:
    text = README.read_text()
    named = set(re.findall(r"(?:Joern|version) (\d+\.\d+\.\d+)", text))
    pinned = pom_joern_version()
    assert named == {pinned}, f"docker/README.md names Joern {sorted(named)}; {POM} pins {pinned}"


def test_readme_lists_the_frontends_the_pom_includes_and_leaves_out() -> None:
    text = README.read_text()
    comment = " ".join(re.findall(r"<!--(.*?)-->", (REPO / POM).read_text(), flags=re.DOTALL))
    assert "Left out:" in comment, f"{POM}'s comment no longer says which frontends it leaves out"
    left_out = set(re.findall(r"\b(\w+2cpg)\b", comment.split("Left out:", 1)[1])) - pom_frontends()
    assert left_out, f"{POM}'s comment no longer names the frontends it leaves out"
    for frontend in pom_frontends() | left_out:
        assert f"`{frontend}`" in text, f"docker/README.md does not say whether the image has {frontend}"
