"""The real-data builders: Javadoc summaries, ATLAS pairs, deduplication, project-disjoint splits, the manifest."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from tasks.data.build.assertion import FocalIndex, assert_pairs, class_tested_by
from tasks.data.build.build import build
from tasks.data.build.dedup import DuplicateIndex
from tasks.data.build.fetch import ChecksumError, fetch_sources
from tasks.data.build.java import lexical_tokens
from tasks.data.build.javadoc import first_sentence
from tasks.data.build.manifest import PROJECTS, MavenProject, check_manifest
from tasks.data.build.summarization import summary_pairs
from tasks.data.readers import read_atlas, read_jsonl

REPO_ROOT = Path(__file__).resolve().parents[3]

MAIN = '''package p;
public class Stack {
    /**
     * Pushes an {@code Item} onto the {@link Stack#items top} of this <b>stack</b>. Later text.
     * @param item the item
     */
    public void push(Object item) {
        items.add(item);
        size++;
    }

    /** Creates an empty stack. */
    public Stack() {
        items = new ArrayList<>();
    }

    /** {@inheritDoc} */
    public String toString() {
        return "stack of " + size;
    }

    /** Returns the number of items. */
    public int size() { return size; }

    /** Pops it. */
    public Object pop() {
        size--;
        return items.remove(size);
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Counts the items equal to the given one, by equals. */
    abstract int count(Object item);
}
'''

TEST = '''package p;
public class StackTest {
    @Test
    public void pushGrowsTheStack() {
        Stack stack = new Stack();
        stack.push("a");
        assertEquals(1, stack.size());
        stack.push("b");
        assertFalse(stack.isEmpty());
    }

    @Test
    public void anEmptyStackSaysSo() {
        boolean empty = new Stack().isEmpty();
        assertTrue(empty);
    }

    @Test
    public void noAssert() {
        new Stack().push(1);
    }

    @Test
    public void noKnownCall() {
        assertTrue(Math.abs(-1) > 0);
    }

    private void helper() {
        assertTrue(true);
    }
}
'''


def test_the_first_sentence_of_a_javadoc_is_plain_text() -> None:
    comment = """/**
     * Returns the {@code Map<String, {x}>} of <b>all</b> entries, as {@link Foo#bar(int)} and
     * {@link Foo#baz the baz} say &amp; more. Second sentence.
     * @return the map
     */"""
    assert first_sentence(comment) == "Returns the Map<String, {x}> of all entries, as Foo.bar and the baz say & more"
    assert first_sentence("/** Version 1.2 is e.g. fine\n * @param x y */") == "Version 1.2 is e.g"
    assert first_sentence("/** @return nothing */") == ""


def test_summarization_keeps_documented_methods_and_counts_every_filter() -> None:
    drops: Counter[str] = Counter()
    pairs = list(summary_pairs(MAIN, "stack", "p/Stack.java", drops))
    assert [(p.method, p.target) for p in pairs] == [("push", "Pushes an Item onto the top of this stack")]
    assert pairs[0].source == "public void push(Object item) {\n    items.add(item);\n    size++;\n}"
    assert drops == Counter({
        "methods seen": 7, "constructor": 1, "standard override": 1, "method under 3 lines": 1,
        "summary under 3 tokens": 1, "no javadoc": 1, "no body": 1,
    })


def test_assert_pairs_mask_the_last_assert_and_append_the_focal_method() -> None:
    focal = FocalIndex()
    focal.add_file("class Other { boolean isEmpty() { return other == 0; } }")  # same name, not the class under test
    focal.add_file(MAIN)
    drops: Counter[str] = Counter()
    pairs = list(assert_pairs(TEST, "stack", "p/StackTest.java", focal, drops))
    assert [(p.method, p.focal_method, p.target) for p in pairs] == [
        ("pushGrowsTheStack", "push", "assertFalse ( stack . isEmpty ( ) )"),
        ("anEmptyStackSaysSo", "isEmpty", "assertTrue ( empty )"),
    ]
    assert pairs[1].source.endswith('"<FocalMethod>" public boolean isEmpty ( ) { return size == 0 ; }')  # StackTest: Stack's
    assert pairs[0].source == (
        '@ Test public void pushGrowsTheStack ( ) { Stack stack = new Stack ( ) ; stack . push ( "a" ) ; '
        'assertEquals ( 1 , stack . size ( ) ) ; stack . push ( "b" ) ; "<AssertPlaceHolder>" ; } '
        '"<FocalMethod>" public void push ( Object item ) { items . add ( item ) ; size ++ ; }'
    )  # isEmpty() is called inside the masked assert itself, so the last call before it is push("b")
    assert drops == Counter({"test methods seen": 4, "no assert statement": 1, "no focal method found": 1})


def test_the_class_under_test_follows_the_naming_conventions() -> None:
    assert [class_tested_by(n) for n in ("StackTest", "StackTests", "TestStack", "Test", "Helper", None)] == [
        "Stack", "Stack", "Stack", None, None, None]


def test_duplicates_are_found_exactly_and_nearly_but_not_otherwise() -> None:
    index = DuplicateIndex()
    index.add("a", lexical_tokens("int f(int a) { int b = a * 2; return b + 1; }"))
    assert index.find(lexical_tokens("int  f( int a ){ int b = a*2; return b+1; }")) == ("exact", "a")
    assert index.find(lexical_tokens("int f(int a) { int b = a * 2; return b + 7; }")) == ("near", "a")
    assert index.find(lexical_tokens("String name() { return this.name; }")) is None
    index.add("z", lexical_tokens("int f(int a) { int b = a * 2; return b + 3; }"))  # near both "a" and the query
    assert index.find(lexical_tokens("int f(int a) { int b = a * 2; return b + 9; }")) == ("near", "a")  # the earliest


def _jar(path: Path, files: dict[str, str]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as jar:
        for name, text in files.items():
            jar.writestr(name, text)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _project(cache: Path, name: str, split: str, main: dict[str, str], tests: dict[str, str] | None) -> MavenProject:
    draft = MavenProject("org.example", name, "1.0", split, "", None)
    sources = _jar(cache / "archives" / draft.jar_name("sources"), main)
    test_sources = _jar(cache / "archives" / draft.jar_name("test-sources"), tests) if tests is not None else None
    return MavenProject("org.example", name, "1.0", split, sources, test_sources)


QUEUE = """class Queue {
    /** Offers the item to the tail of this queue. */
    public boolean offer(Object item) {
        if (item == null) throw new NullPointerException();
        return tail.append(item, count++) != null;
    }
}
"""


def test_a_build_writes_project_disjoint_splits_that_the_readers_read(tmp_path: Path) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"
    shared = MAIN.replace("class Stack", "class Shared")  # the same documented method in a train and a test project
    projects = [
        _project(cache, "alpha", "train", {"p/Stack.java": shared}, {"p/StackTest.java": TEST}),
        _project(cache, "beta", "validation", {"q/Queue.java": QUEUE}, None),
        _project(cache, "gamma", "test", {"r/Stack.java": MAIN}, {"r/StackTest.java": TEST.replace('"b"', '"c"')}),
    ]
    report = build("code_summarization", out, cache, projects=projects, log=lambda _: None)
    assert report.counts == {"train": 0, "validation": 1, "test": 1}
    assert report.drops["exact duplicate of a test pair"] == 1  # train lost its copy of the test method
    assert report.projects == {"train": ["alpha"], "validation": ["beta"], "test": ["gamma"]}
    for split in ("validation", "test"):
        records = [json.loads(line) for line in (out / "code_summarization" / f"{split}.jsonl").read_text().splitlines()]
        assert {r["project"] for r in records} == set(report.projects[split])
    assert [e.target for e in read_jsonl(out / "code_summarization" / "validation.jsonl")] == [
        "Offers the item to the tail of this queue"]
    assert [e.target for e in read_jsonl(out / "code_summarization" / "test.jsonl")] == [
        "Pushes an Item onto the top of this stack"]

    report = build("assert_generation", out, cache, projects=projects, log=lambda _: None)
    assert report.projects == {"train": ["alpha"], "validation": [], "test": ["gamma"]}  # beta has no tests
    # alpha's anEmptyStackSaysSo duplicates gamma's exactly; its push test differs by one string ("b" vs "c")
    assert report.counts == {"train": 0, "validation": 0, "test": 2}
    assert report.drops["exact duplicate of a test pair"] == 1 and report.drops["near duplicate of a test pair"] == 1
    testing = out / "assert_generation" / "Testing"
    examples = read_atlas(testing / "testMethods.txt", testing / "assertLines.txt")
    assert [e.target for e in examples] == ["assertFalse ( stack . isEmpty ( ) )", "assertTrue ( empty )"]
    assert '"<AssertPlaceHolder>"' in examples[0].source and '"c"' in examples[0].source
    assert json.loads((out / "assert_generation" / "report.json").read_text())["counts"] == report.counts


def test_a_tampered_archive_is_refused_with_the_reason(tmp_path: Path) -> None:
    project = _project(tmp_path, "alpha", "train", {"A.java": "class A {}"}, None)
    (tmp_path / "archives" / project.jar_name("sources")).write_bytes(b"not the pinned jar")
    with pytest.raises(ChecksumError, match="not the pinned"):
        fetch_sources(project, "sources", tmp_path)


def test_the_manifest_pins_enough_projects_in_disjoint_splits() -> None:
    check_manifest()
    assert len(PROJECTS) >= 15 and sum(p.test_sources_sha256 is not None for p in PROJECTS) >= 15
    assert all(len(p.sources_sha256) == 64 for p in PROJECTS)
    assert {p.split for p in PROJECTS} == {"train", "validation", "test"}
    with pytest.raises(ValueError, match="more than once"):
        check_manifest((PROJECTS[0], PROJECTS[0]))


BUILT = REPO_ROOT / "data" / "built" / "assert_generation"


@pytest.mark.skipif(not (BUILT / "report.json").is_file(), reason="run `transducer data build all` first")
def test_read_atlas_reads_the_built_assert_data() -> None:
    report = json.loads((BUILT / "report.json").read_text())
    for split, folder in (("train", "Training"), ("validation", "Eval"), ("test", "Testing")):
        examples = read_atlas(BUILT / folder / "testMethods.txt", BUILT / folder / "assertLines.txt")
        assert len(examples) == report["counts"][split]
        assert all('"<AssertPlaceHolder>"' in e.source and '"<FocalMethod>"' in e.source for e in examples)
