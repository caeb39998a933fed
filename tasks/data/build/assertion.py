"""Assert generation pairs from a project's JUnit tests, by ATLAS's procedure (Watson et al., ICSE 2020).

For each test method (``@Test``, or a JUnit 3 ``test*`` method) that holds an assert statement: the *last* assert
is the target; the source is the test method with that assert replaced by ``"<AssertPlaceHolder>" ;``, then
``"<FocalMethod>"``, then the focal method. The focal method is found as ATLAS does, by name: the last method
called before the assert (calls inside earlier asserts count; ``assert*`` calls do not) that the project's main
sources declare, preferring the class under test (``FooTest``, ``TestFoo`` test ``Foo``) and an overload with the
call's argument count. Source and target are
space-separated tokens on one line, the ATLAS file format that :func:`tasks.data.readers.read_atlas` reads.

Filters, each counted when it drops a test method: no assert statement; no focal method found; a source over
:data:`MAX_SOURCE_TOKENS` tokens (ATLAS's limit on a test and its focal method); an assert over
:data:`MAX_ASSERT_TOKENS` tokens (our choice, stated: ATLAS bounds asserts by its vocabulary, which a
subword tokenizer does not need).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from tasks.data.build.java import JavaMethod, descendants, methods, parse_java, tokens

ASSERT_PLACEHOLDER = '"<AssertPlaceHolder>"'
FOCAL_SEPARATOR = '"<FocalMethod>"'
MAX_SOURCE_TOKENS = 1000
MAX_ASSERT_TOKENS = 100


@dataclass(frozen=True)
class FocalCandidate:
    """A main-source method that a test may call: its class, parameter count and tokens."""

    class_name: str | None
    parameter_count: int
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class AssertPair:
    """A test method with its last assert masked plus its focal method (``source``), and the assert (``target``)."""

    source: str
    target: str
    project: str
    path: str
    method: str
    focal_method: str


class FocalIndex:
    """The methods a project's main sources declare, by name."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[FocalCandidate]] = defaultdict(list)

    def add_file(self, text: str) -> None:
        root, source = parse_java(text)
        for method in methods(root, source):
            if method.has_body and not method.is_constructor:
                self._by_name[method.name].append(
                    FocalCandidate(method.class_name, method.parameter_count, tuple(tokens(method.node))))

    def find(self, name: str, argument_count: int, class_under_test: str | None) -> FocalCandidate | None:
        """The declaration a call ``name(<argument_count> args)`` most likely reaches, or ``None``."""
        candidates = self._by_name.get(name)
        if not candidates:
            return None
        return max(candidates, key=lambda c: (c.class_name == class_under_test, c.parameter_count == argument_count))


def is_test_method(method: JavaMethod) -> bool:
    """JUnit 4/5 ``@Test`` (and ``@ParameterizedTest``...), or a JUnit 3 ``test*`` method."""
    return any(a.endswith("Test") for a in method.annotations) or (
        method.name.startswith("test") and method.parameter_count == 0 and method.has_body)


def class_tested_by(test_class: str | None) -> str | None:
    """The class a test class tests by naming convention: ``FooTest``, ``FooTests``, ``TestFoo`` -> ``Foo``."""
    if test_class is None:
        return None
    for suffix in ("Tests", "Test"):
        if test_class.endswith(suffix) and len(test_class) > len(suffix):
            return test_class[: -len(suffix)]
    return test_class[4:] if test_class.startswith("Test") and len(test_class) > 4 else None


def assert_pairs(text: str, project: str, path: str, focal: FocalIndex, drops: Counter[str]) -> Iterator[AssertPair]:
    """The pairs of one test file; every test method dropped is counted in ``drops`` under its filter's name."""
    root, _ = parse_java(text)
    for method in methods(root, text.encode("utf-8")):
        if not is_test_method(method):
            continue
        drops["test methods seen"] += 1
        statement = _last_assert(method.node)
        if statement is None:
            drops["no assert statement"] += 1
            continue
        class_under_test = class_tested_by(method.class_name)
        candidate, focal_name = _focal_method(method.node, statement, focal, class_under_test)
        if candidate is None:
            drops["no focal method found"] += 1
            continue
        target = tokens(statement)
        if target and target[-1] == ";":
            target = target[:-1]
        masked = tokens(method.node, replace={statement.id: [ASSERT_PLACEHOLDER, ";"]})
        source = [*masked, FOCAL_SEPARATOR, *candidate.tokens]
        if len(source) > MAX_SOURCE_TOKENS:
            drops[f"source over {MAX_SOURCE_TOKENS} tokens"] += 1
            continue
        if len(target) > MAX_ASSERT_TOKENS:
            drops[f"assert over {MAX_ASSERT_TOKENS} tokens"] += 1
            continue
        yield AssertPair(" ".join(source), " ".join(target), project, path, method.name, focal_name)


def _invocation_name(node: Node) -> str:
    name = node.child_by_field_name("name")
    return name.text.decode("utf-8", "replace") if name is not None else ""


def _last_assert(method: Node) -> Node | None:
    """The last expression statement of ``method`` that calls ``assert*`` (``Assert.assertEquals`` included)."""
    last = None
    for statement in descendants(method, "expression_statement"):
        call = statement.named_children[0] if statement.named_children else None
        if call is not None and call.type == "method_invocation" and _invocation_name(call).startswith("assert"):
            last = statement
    return last


def _focal_method(method: Node, statement: Node, focal: FocalIndex,
                  class_under_test: str | None) -> tuple[FocalCandidate | None, str]:
    """The last call before ``statement`` (not an ``assert*`` call itself) that resolves in ``focal``."""
    calls = [call for call in descendants(method, "method_invocation") if call.end_byte <= statement.start_byte]
    for call in reversed(calls):
        name = _invocation_name(call)
        if name.startswith("assert"):
            continue
        arguments = call.child_by_field_name("arguments")
        count = len(arguments.named_children) if arguments is not None else 0
        candidate = focal.find(name, count, class_under_test)
        if candidate is not None:
            return candidate, name
    return None, ""
