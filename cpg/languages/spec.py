"""The per-language table that drives the tree-sitter backend.

Everything language specific lives in a :class:`LanguageSpec`: which tree-sitter node types are functions,
blocks, branches, loops and jumps (their *CFG role*), and where an identifier is a definition, a use, or no
variable at all. The CFG and data-flow code in :mod:`cpg.cfg` and :mod:`cpg.dataflow` only reads this table,
so a new language is one small module that fills one in (see :mod:`cpg.languages.java`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: CFG roles a node type can play (values of :attr:`LanguageSpec.roles`):
#:
#: - ``block``: a statement sequence; no CFG node of its own (flow passes through its children).
#: - ``if``: condition node, then ``consequence``; each ``alternative`` child is an ``else``, an ``elif`` or a
#:   plain statement (Java/C# ``else``). ``elif``/``else`` are the Python clauses.
#: - ``loop``: header node (``while``/``for``/``foreach``: condition, init and update live in it), then ``body``
#:   with a back edge to the header; an optional ``alternative`` else clause runs when the loop ends normally.
#: - ``do``: ``body`` first, then the condition node with a back edge to the body.
#: - ``switch``: selector node, then each ``case`` (falls through into the next one, as in Java and C#) or
#:   ``arm`` (no fall-through: a Java ``->`` rule, a Python ``case``).
#: - ``try``: the try node, ``body``; every statement in the body may jump to each ``catch``; ``else`` runs after
#:   a body that did not raise; ``finally`` runs after the body and the handlers.
#: - ``scoped``: a header statement with a body (``with``, ``synchronized``, ``using``, ``lock``).
#: - ``labeled``: a label around a statement (target of ``break label`` / ``continue label`` / ``goto``).
#: - ``return``/``throw``: jump to the function exit; ``break``/``continue``/``goto``: jump as usual.
ROLES = frozenset(
    {
        "block", "if", "elif", "else", "loop", "do", "switch", "case", "arm", "try", "catch", "finally",
        "scoped", "labeled", "return", "throw", "break", "continue", "goto", "yield",
    }
)  # fmt: skip

#: How an identifier at a given (parent type, field) position is classified; see :attr:`LanguageSpec.positions`.
#:
#: - ``def``: a definition (parameter, assignment target, for-each variable, catch parameter).
#: - ``def_if_init``: a declarator name; a definition only when the declarator has an initializer.
#: - ``assign``: an assignment target; ``x = ...`` defines, ``x += ...`` defines and uses.
#: - ``update``: the operand of a unary operator; ``x++``/``--x`` define and use, ``-x``/``!x`` only use.
#: - ``argument``: a call argument; ``out x`` defines, ``ref x`` defines and uses, a plain ``x`` uses (C#).
#: - ``capture``: a name in a Python ``match`` pattern: a bare name or ``as`` target binds it (a definition), a
#:   class name in ``Point(...)`` is ignored; outside patterns a dotted name is ignored and an ``as`` left side used.
#: - ``ignore``: not a variable (method or field names, labels, keyword-argument names, type names).
POSITION_KINDS = frozenset({"def", "def_if_init", "assign", "update", "argument", "capture", "ignore"})


@dataclass(frozen=True)
class LanguageSpec:
    """How one language's tree-sitter grammar maps onto CPG concepts.

    Positions are keyed ``(parent node type, field name or None)``; a ``None`` field also matches any child
    of that parent that has no field of its own listed.
    """

    name: str
    aliases: tuple[str, ...]
    extensions: tuple[str, ...]
    #: returns the tree-sitter language pointer (``tree_sitter_java.language``)
    language: Callable[[], Any]
    roles: Mapping[str, str]
    #: node types that start their own CFG (methods, constructors, lambdas, local functions); body in ``body``
    function_kinds: frozenset[str]
    #: root node types whose direct statements form a CFG of their own (a Python module, Java top-level code)
    module_kinds: frozenset[str]
    #: named node types that never are statements (comments)
    skip_kinds: frozenset[str]
    #: named children of a ``case`` node that are labels or patterns, not statements
    case_label_kinds: frozenset[str]
    identifier_kinds: frozenset[str]
    positions: Mapping[tuple[str, str | None], str]
    #: containers an identifier can sit in on the left of an assignment (``a, b = ...``): look through them
    pattern_kinds: frozenset[str] = frozenset()
    #: wrap code in ``prefix`` + code + ``suffix`` when it is a bare method (Java/C# snippets); the prefix must
    #: end with exactly one newline so that spans map back by subtracting one line
    wrapper: tuple[bytes, bytes] | None = None
    #: top-level node types that show code is already a whole compilation unit (so it is not wrapped)
    unit_kinds: frozenset[str] = field(default_factory=frozenset)
    #: expressions that evaluate some operands only on some paths: ``short_circuit`` (the ``right`` operand of
    #: ``&&``/``||``/``??``/``and``/``or``) or ``branches`` (every operand but the ``condition`` of a ``?:``);
    #: a definition there does not kill earlier ones
    conditional_kinds: Mapping[str, str] = field(default_factory=dict)
    #: expressions with a scope of their own inside a statement (comprehensions, Python lambdas, LINQ queries,
    #: anonymous class bodies) -> the ``(parent type, field)`` positions whose identifiers it binds; ``None``: it
    #: binds every name in it. Bound names are not the enclosing method's; other names read there are captured
    #: uses of its variables
    scopes: Mapping[str, tuple[tuple[str, str | None], ...] | None] = field(default_factory=dict)
    #: ``(function type, a word of its head) -> names`` the function defines at its entry without declaring them
    #: (C# ``private set { ... value ... }``)
    implicit_definitions: Mapping[tuple[str, bytes], tuple[bytes, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad_roles = set(self.roles.values()) - ROLES
        bad_positions = set(self.positions.values()) - POSITION_KINDS
        if bad_roles or bad_positions:
            raise ValueError(f"{self.name}: unknown roles {sorted(bad_roles)} / positions {sorted(bad_positions)}")
        prefix = self.wrapper[0] if self.wrapper is not None else b"\n"
        if prefix.count(b"\n") != 1 or not prefix.endswith(b"\n"):
            raise ValueError(f"{self.name}: the wrapper prefix must end with its only newline")
