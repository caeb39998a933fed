"""C++: tree-sitter-cpp node types mapped onto CPG roles (C's table, see :mod:`cpg.languages.c`, plus C++'s own).

A bare function, an out-of-line method (``int A::f() {...}``) and a class with inline methods all parse as a
translation unit, so nothing is wrapped; every function definition and every lambda is a unit of its own.
``try``/``catch`` (no ``finally`` in C++): every statement of the body may jump to each handler, whose parameter
it defines; ``throw`` leaves the function. Range-``for`` and structured bindings (``auto [a, b] = p;``,
``for (auto& [k, v] : m)``) define every name they bind; ``int& r = x`` defines ``r``. A lambda's capture list is
read by the statement that creates the lambda (``[x, &y]`` use ``x`` and ``y`` there, an init-capture ``[n = e]``
uses ``e`` there and defines ``n`` at the lambda's entry), and so is every name the body reads before defining it
(what ``[&]``/``[=]`` capture; :mod:`cpg.dataflow` does this for every nested function). Qualified names
(``std::cout``, ``A::count``), member, template and destructor names are no variables; ``new``/``delete`` use
their operands.

Simplifications (besides C's): a reference is a variable of its own (assigning through ``r`` does not define
``x``), and a lambda that assigns a variable captured by reference does not define it in the enclosing function;
``T x;`` defines nothing even when a constructor initializes ``x``; a member initializer list
(``A(int x) : m(x)``) is read at the constructor's entry; ``co_yield`` is an ordinary statement.
"""

from __future__ import annotations

import tree_sitter_cpp

from cpg.languages.c import DECLARATOR_KINDS, NORETURN_CALLS, POSITIONS, SKIP_KINDS, STATEMENT_ROLES
from cpg.languages.spec import LanguageSpec

CPP = LanguageSpec(
    name="cpp",
    aliases=("c++", "cxx"),
    extensions=(".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++"),
    language=tree_sitter_cpp.language,
    roles={
        **STATEMENT_ROLES,
        "for_range_loop": "loop",
        "try_statement": "try",
        "catch_clause": "catch",
        "throw_statement": "throw",
        "co_return_statement": "return",
    },
    function_kinds=frozenset({"function_definition", "lambda_expression"}),
    module_kinds=frozenset(),
    skip_kinds=SKIP_KINDS,
    case_label_kinds=frozenset(),
    identifier_kinds=frozenset({"identifier"}),
    positions={
        **POSITIONS,
        ("for_range_loop", "declarator"): "def",
        ("qualified_identifier", "name"): "ignore",
        ("template_function", "name"): "ignore",
        ("destructor_name", None): "ignore",
        ("using_declaration", None): "ignore",
    },
    pattern_kinds=DECLARATOR_KINDS | {"reference_declarator", "structured_binding_declarator"},
    conditional_kinds={"binary_expression": "short_circuit", "conditional_expression": "branches"},
    calls={"call_expression": ("function", "arguments")},
    noreturn_calls=NORETURN_CALLS | {b"std::exit", b"std::abort", b"std::terminate", b"std::quick_exit"},
    capture_kinds=frozenset({"lambda_capture_specifier"}),
    label_kinds=frozenset({"statement_identifier"}),
)
