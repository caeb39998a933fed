"""The per-language table that drives the tree-sitter backend.

Everything language specific lives in a :class:`LanguageSpec`: which tree-sitter node types are functions,
blocks, branches, loops and jumps (their *CFG role*), and where an identifier is a definition, a use, or no
variable at all. The CFG and data-flow code in :mod:`cpg.cfg` and :mod:`cpg.dataflow` only reads this table,
so a new language is one small module that fills one in (see :mod:`cpg.languages.java`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cpg.syntax import SyntaxTable

#: CFG roles a node type can play (values of :attr:`LanguageSpec.roles`):
#:
#: - ``block``: a statement sequence; no CFG node of its own (flow passes through its children).
#: - ``if``: condition node, then ``consequence``; each ``alternative`` child is an ``else``, an ``elif`` or a
#:   plain statement (Java/C# ``else``). ``elif``/``else`` are the Python clauses.
#: - ``loop``: header node (``while``/``for``/``foreach``: condition, init and update live in it), then ``body``
#:   with a back edge to the header; an optional ``alternative`` else clause runs when the loop ends normally.
#: - ``do``: ``body`` first, then the condition node with a back edge to the body.
#: - ``switch``: selector node, then each ``case`` (falls through into the next one, as in Java and C#) or
#:   ``arm`` (no fall-through: a Java ``->`` rule, a Python ``case``, a Go ``case``) among the children of its
#:   ``body`` (or its own children when it has no ``body``: Go); ``fallthrough`` (Go) jumps into the next arm.
#: - ``try``: the try node, ``body``; every statement in the body may jump to each ``catch``; ``else`` runs after
#:   a body that did not raise; ``finally`` runs after the body and the handlers.
#: - ``scoped``: a header statement with a body (``with``, ``synchronized``, ``using``, ``lock``).
#: - ``labeled``: a label around a statement (target of ``break label`` / ``continue label`` / ``goto``).
#: - ``variant``: a preprocessor conditional (C ``#if``/``#ifdef``/``#elif``/``#else``): a branch node when it
#:   has a condition (``#else`` has none), then its unfielded children (the statements) and its ``alternative``
#:   as alternative paths, one per build configuration; with a condition and no ``alternative``, also the path
#:   past it. Cases inside it belong to the enclosing switch.
#: - ``begin``: a statement sequence like ``block``; one with ``catch``/``else``/``finally`` clauses among its
#:   children is a ``try`` without a node of its own, whose body is its other children (Ruby ``begin ... rescue
#:   ... ensure ... end``, a method or ``do`` body with ``rescue``).
#: - ``retry``: back to the first statement of the enclosing ``try`` body (Ruby ``retry`` in a ``rescue``);
#:   ``redo``: back to the first statement of the enclosing loop's body, without its condition (Ruby ``redo``).
#: - ``return``/``throw``: jump to the function exit; ``break``/``continue``/``goto``: jump as usual.
#: - ``defer``: a statement that registers its call (its first child) to run when the function returns or panics
#:   (Go ``defer``): the statement evaluates the call's operands where it stands, the call is a CFG node of its own
#:   on the way out (see :mod:`cpg.cfg`).
ROLES = frozenset(
    {
        "block", "if", "elif", "else", "loop", "do", "switch", "case", "arm", "try", "catch", "finally",
        "scoped", "labeled", "return", "throw", "break", "continue", "goto", "yield", "fallthrough",
        "variant", "begin", "retry", "redo", "defer",
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
#: - ``use``: a plain use, also inside a ``pattern_kinds`` container (the size ``n`` in C ``int a[n] = {0}``):
#:   a position listed for a pattern kind's own field wins over looking through the pattern.
#: - ``opaque``: the whole subtree at exactly this position names no variables (a C ``#if`` condition).
#: - ``def_unless_first``: a definition unless it is its parent's first child, a use then (PHP ``foreach ($xs as
#:   $k => $v)``, whose parts have no fields).
#: - ``address_of``: the operand of a C/C++ ``pointer_expression``: ``&x`` as a call argument (``scanf("%d", &x)``)
#:   uses ``x`` and may define it (a definition that kills none); ``*p`` and ``&x`` elsewhere only use it.
POSITION_KINDS = frozenset(
    {"def", "def_if_init", "assign", "update", "argument", "capture", "ignore", "use", "opaque", "def_unless_first",
     "address_of"}
)


def written_types(table: SyntaxTable, nodes: Iterable[int]) -> tuple[bytes, ...]:
    """The texts of the type nodes ``nodes`` (a handler's exception types), whitespace removed (``java.lang.X``)."""
    return tuple(b"".join(table.source_bytes(node).split()) for node in nodes if table.kinds[node] != "comment")


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
    #: use the ``wrapper`` only to repair a parse with errors, and keep it only when that makes it error-free
    #: (TypeScript: a bare class method needs the class, but a script's ``f();`` would also parse as a member)
    wrapper_repairs_only: bool = False
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
    #: call expression type -> (field of the callee, field of the argument list): ``CALL`` edges go from the call
    #: to the functions of the snippet with the callee's name (``this.f``/``a.f``/``f`` name ``f``), ``ARGUMENT``
    #: edges from the call to each argument
    calls: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: callee texts whose call statement never returns (Go ``panic``, ``os.Exit``): it jumps to the exit like
    #: ``throw`` (through any ``finally``, and to the handlers of an enclosing ``try``)
    noreturn_calls: frozenset[bytes] = frozenset()
    #: the ``noreturn_calls`` that end the program at once, running no deferred calls (Go ``os.Exit``)
    exit_calls: frozenset[bytes] = frozenset()
    #: where handlers take only the exceptions they name (Java, C#, Python, PHP, Ruby): the texts of the exception
    #: types a handler names, whitespace removed (``None``: a bare handler, C# ``catch``, Python ``except:``, Ruby
    #: ``rescue``; ``()``: a filtered one, C# ``catch (E) when (...)``); unset: every handler takes every exception
    handler_types: Callable[[SyntaxTable, int], tuple[bytes, ...] | None] | None = None
    #: the types (as ``handler_types`` gives them) whose handler takes every exception (Java ``Throwable``, Ruby
    #: ``Exception``): unless a handler of a try names one (or is bare and ``bare_handler_catches_all``), every
    #: statement of its body also goes straight to its ``finally``, then leaves
    catch_all_types: frozenset[bytes] = frozenset()
    #: a bare handler takes every exception (C# ``catch``, Python ``except:``; Ruby's bare ``rescue`` takes only
    #: ``StandardError``)
    bare_handler_catches_all: bool = False
    #: loop header clauses whose ``condition`` field is optional (Go ``for_clause``): a loop with such a clause
    #: and no condition, or with no header at all (Go ``for {}``), ends only by a jump (no edge past it)
    condition_clauses: frozenset[str] = frozenset()
    #: ``switch`` node types that always run one of their arms (Go ``select`` blocks until a case can go on): no
    #: edge past the arms when there is no ``default``
    exhaustive_switches: frozenset[str] = frozenset()
    #: a function's capture list (C++ ``[x, &y, n = e]``, a child of the lambda): its names and expressions are read
    #: by the statement that creates the function, except an init-capture's name (``n``), defined at the entry
    capture_kinds: frozenset[str] = frozenset()
    #: ``(node type, its first word) -> role`` for statements whose role shows in their leading word, not their
    #: type (PHP ``throw ...;`` is an expression statement, Ruby ``raise`` a call, ``begin ... end while c`` a ``do``)
    keyword_roles: Mapping[tuple[str, bytes], str] = field(default_factory=dict)
    #: ``break N``/``continue N`` leave N enclosing loops or switches, and ``continue`` counts a switch as a loop
    #: (leaving it like ``break``) (PHP)
    numbered_jumps: bool = False
    #: function types that are the loop body of the call they are passed to (Ruby blocks): a ``break``/
    #: ``continue`` (``next``) outside any loop in them leaves the function
    loop_body_kinds: frozenset[str] = frozenset()
    #: function type -> how it sees the variables of the unit around it, if not by reading them (the default):
    #: ``none`` (PHP functions and closures, whose ``use (...)`` list is a ``capture_kinds`` list; Ruby ``def``) or
    #: ``reference`` (Ruby blocks: it also writes them: a definition in it of a name it captures, or that the
    #: enclosing unit defines, is a conditional definition at the node that creates it)
    capture_modes: Mapping[str, str] = field(default_factory=dict)
    #: ``(function type, field)``: a function-kind child there is that function's body, not a function of its own
    #: (the ``{ ... }`` block of a Ruby ``->(x) { ... }``)
    inline_bodies: frozenset[tuple[str, str]] = frozenset()
    #: node types besides identifiers that name the label of a jump or labeled statement (PHP ``goto end;``)
    label_kinds: frozenset[str] = frozenset()
    #: ``if``/``loop`` node types whose body runs when their condition is false (Ruby ``unless``, ``until``): their
    #: ``true``/``false`` CFG labels are swapped
    negated_kinds: frozenset[str] = frozenset()
    #: the grammar for code that starts with markup (``<``: PHP files with ``<?php`` tags and inline HTML), parsed
    #: as it is; other code (a bare PHP function) is parsed with ``language`` (and the wrapper)
    markup_language: Callable[[], Any] | None = None
    #: node type -> its part in reference bindings (:mod:`cpg.aliases`, PHP): ``bind`` (``$y = &$x``: ``left``
    #: becomes an alias of what ``right`` names), ``by_ref`` (``&$v`` as a foreach or destructuring target: an alias
    #: of an element of the value iterated or destructured), ``element`` (an element access ``$xs[0]``: a reference
    #: to it refers to its base variable), ``unbind`` (``unset($v)`` ends its operands' bindings)
    references: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad_roles = (set(self.roles.values()) | set(self.keyword_roles.values())) - ROLES
        bad_positions = set(self.positions.values()) - POSITION_KINDS
        if bad_roles or bad_positions:
            raise ValueError(f"{self.name}: unknown roles {sorted(bad_roles)} / positions {sorted(bad_positions)}")
        if set(self.references.values()) - {"bind", "by_ref", "element", "unbind"}:
            raise ValueError(f"{self.name}: reference parts are 'bind', 'by_ref', 'element' or 'unbind'")
        if set(self.capture_modes.values()) - {"none", "reference"}:
            raise ValueError(f"{self.name}: capture modes are 'none' or 'reference'")
        prefix = self.wrapper[0] if self.wrapper is not None else b"\n"
        if prefix.count(b"\n") != 1 or not prefix.endswith(b"\n"):
            raise ValueError(f"{self.name}: the wrapper prefix must end with its only newline")
