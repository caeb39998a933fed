"""The per-language extraction benchmark: samples are the functions cut from a package's files, bundles left out."""

from __future__ import annotations

from pathlib import Path

from benchmarks.cpg_languages import SOURCES, Source, measure, sample


def test_sample_cuts_functions_from_the_files_and_leaves_out_excluded_ones(tmp_path: Path) -> None:
    source = Source("javascript", "npm", "demo", "1.0.0", ("package/*.js",), ("bundle.js",))
    package = tmp_path / source.folder / "package"
    package.mkdir(parents=True)
    (package / "a.js").write_text("function a(x) { return x + 1; }\nfunction b(y) { if (y) { return 2; } return 3; }\n")
    (package / "c.js").write_text("const c = (z) => z * 2;\n")
    (package / "bundle.js").write_text("(function () { function hidden() {} })();\n")
    codes, origin = sample(source, tmp_path, tmp_path, limit=10, seed=0)
    assert sorted(codes) == ["(z) => z * 2", "function a(x) { return x + 1; }",
                             "function b(y) { if (y) { return 2; } return 3; }"]  # fmt: skip
    assert origin["files"] == origin["files_available"] == 2
    assert len(sample(source, tmp_path, tmp_path, limit=1, seed=0)[0]) == 1
    row = measure(codes, "javascript", repeat=1)
    assert row["methods"] == 3 and row["with_warnings"] == 0 and row["methods_per_s_wall"] > 0


def test_every_supported_language_but_tsx_has_a_pinned_sample() -> None:
    from cpg import SUPPORTED_LANGUAGES

    assert set(SOURCES) == set(SUPPORTED_LANGUAGES) - {"tsx"}
    assert all(s.sha256 for s in SOURCES.values() if s.kind != "lines")
