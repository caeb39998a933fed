"""Statement-level control flow graphs over a :class:`~cpg.syntax.SyntaxTable`.

One CFG per *unit*: every function-like node with a body (method, constructor, lambda, local function) and the
module root when it holds top-level statements (a Python script). A unit's CFG nodes are:

- its **entry**: the function node itself (parameters are defined there);
- its **statements**: every statement node the flow passes through. Compound statements are one node for their
  header (an ``if``/``while``/``for``/``switch``/``try`` node stands for its condition, init and update);
  blocks are transparent (flow goes through their statements, a block is no CFG node);
- its **deferred calls** (Go): the call of each ``defer`` statement, a node of its own on the way out;
- its **exit**: one synthetic node per unit, reached from ``return``/``throw`` and from falling off the end.

Edges cover sequence, ``if``/``elif``/``else``, loops with back edges (and Python loop ``else``), ``do``,
``break``/``continue`` (labeled too), ``switch``/``match`` with fall-through where the language has it (Go:
only by ``fallthrough``; a ``select`` always runs one of its arms), loops without a condition (Go ``for {}``)
that only a jump leaves, calls that never return (Go ``panic``) as jumps to the exit,
``try``/``catch``/``else``/``finally`` (every statement of a try body may jump to each handler), ``goto`` to a
label, ``return``/``throw`` to the exit, C preprocessor conditionals (``#if``/``#elif`` are branch nodes,
each branch a path of its own), PHP ``break N``/``continue N``, and Ruby ``begin``/``rescue`` bodies (no node of
their own), ``retry``/``redo`` and blocks that ``next``/``break`` leave. A ``finally`` runs on every way out of
its ``try``: a ``return``/``throw``/``break``/``continue`` that leaves the try goes to the ``finally``, whose
end then goes on to that jump's target (and to the statement after the try when the try or a handler can end normally);
so does an exception that no handler takes (every one without handlers; with ``spec.handler_types``, Java, C#,
Python, PHP and Ruby, every one unless a handler takes every exception: ``catch (Throwable t)``, a bare
``except:``). Go ``defer``: every way out of the function goes through the calls registered so far, latest first
(:meth:`_Builder._run_deferred`).
Simplifications: ``throw`` always reaches the exit (through any enclosing ``finally``; through the try rule it
also reaches the handlers). Nodes are syntax nodes, so a ``finally`` is not duplicated per way in: the end of its
one copy links to every target of the ways that entered it, and the CFG has paths that enter it one way and leave
it toward another way's target (each edge is taken by some execution; the paths are not). Data flow does not take
those paths: :class:`Finally` records the ways apart (see :func:`cpg.dataflow.data_dependencies`); control
dependence is computed on the CFG as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cpg.syntax import SyntaxTable

_GOTO_CASE = re.compile(rb"goto\s+(default|case\s+(.+?))\s*;\s*$", re.DOTALL)
_YIELD_BREAK = re.compile(rb"yield\s+break\b")
_DEFAULT_CASE = re.compile(rb"\s*(default\b|case\s+_\s*:)")
_WORD = re.compile(rb"\w+")
_JUMP_LEVEL = re.compile(rb"\w+\s*\(?\s*(\d+)")
#: roles of the clauses that make a ``begin`` sequence a ``try``
_CLAUSES = frozenset({"catch", "else", "finally"})


@dataclass(frozen=True)
class Finally:
    """A ``finally`` clause as data flow sees it. The CFG has one copy of it, whose end goes on to the targets of
    every way into it; data flow keeps the ways apart, as a compiler's copies of the block would: a path that
    entered it one way leaves its end only through that way's *gate*, a placeholder node (a negative id) of
    :attr:`Unit.flow` that the end links to and that links to the way's targets.

    ``members``: the clause node and the nodes of its body; ``ways``: ``(sources, gate, raised)`` for normal
    completion, the jumps that leave the try grouped by target, and the exceptions that no handler takes
    (``raised``: such a source did not complete, what reaches it goes on)."""

    clause: int
    members: frozenset[int]
    ways: tuple[tuple[frozenset[int], int, bool], ...]


@dataclass
class Unit:
    """The CFG of one function (or module): node ids in creation order (entry first, exit last) and edges;
    ``exceptional``: the edges that only an exception takes into a ``finally`` (one that no handler takes);
    ``raising``: the edges from a statement into a handler, which an exception it raises takes (data flow: the
    statement did not complete); ``finallies`` and ``flow`` (the edges with the gates of the finally clauses; empty
    without finally clauses): see :class:`Finally`."""

    entry: int
    exit: int
    nodes: list[int]
    edges: list[tuple[int, int]]
    exceptional: frozenset[tuple[int, int]] = frozenset()
    raising: frozenset[tuple[int, int]] = frozenset()
    finallies: tuple[Finally, ...] = ()
    flow: list[tuple[int, int]] = field(default_factory=list)


#: where a jump goes: the unit's exit, or the break / continue target of a context
_Target = tuple[str, "_Context | None"]


@dataclass
class _FinallyFrame:
    """A ``try`` with ``finally`` being built: jumps that leave it (``return``, ``throw``, ``break``/``continue``
    to a context outside it) go to its ``finally`` first and continue from there."""

    depth: int  # contexts at or beyond this index are inside the try
    jumps: list[tuple[list[int], _Target]] = field(default_factory=list)


@dataclass
class _Context:
    """A jump target: loops take ``break``/``continue``, switches ``break``, labeled statements ``break label``."""

    label: bytes | None
    continue_to: int | None
    breakable: bool
    breaks: list[int] = field(default_factory=list)
    #: a switch's ``goto case X;`` / ``goto default;`` statements (C#) and the label they name
    case_gotos: list[tuple[int, bytes]] | None = None
    #: a switch's pending Go ``fallthrough`` statements, which go on into its next arm
    fallthroughs: list[int] = field(default_factory=list)
    #: a loop's pending Ruby ``redo`` statements, which go back to the first statement of its body
    redos: list[int] = field(default_factory=list)


def build_units(table: SyntaxTable) -> list[Unit]:
    """Build the CFG of every unit; exit node ids are ``len(table)``, ``len(table) + 1``, ... in unit order."""
    spec = table.spec
    bodies: list[tuple[int, list[int]]] = []
    if len(table) and table.parents[0] < 0 and table.kinds[0] in spec.module_kinds and not table.parsed.wrapped:
        excluded = spec.unit_kinds | spec.skip_kinds
        statements = [child for child in table.children[0] if table.kinds[child] not in excluded]
        if statements:
            bodies.append((0, statements))
    for function in table.functions:
        body = table.body_of(function)
        if body is not None:
            bodies.append((function, [body]))
    units = []
    for offset, (entry, statements) in enumerate(bodies):
        units.append(_Builder(table).build(entry, statements, len(table) + offset))
    return units


class _Builder:
    """Builds one unit's CFG; each ``_role`` method links ``preds`` into a statement and returns its exits."""

    def __init__(self, table: SyntaxTable) -> None:
        self.table = table
        self.kinds = table.kinds
        self.children = table.children
        self.roles = table.spec.roles
        self.skip = table.spec.skip_kinds
        self.nodes: list[int] = []
        self.edges: list[tuple[int, int]] = []
        self.exceptional: set[tuple[int, int]] = set()
        self.raising: set[tuple[int, int]] = set()
        self.finallies: list[Finally] = []
        self.gate_ends: dict[int, list[int]] = {}  # the gates of the finally clauses -> the ends they stand for
        self.contexts: list[_Context] = []
        self.finally_frames: list[_FinallyFrame] = []
        self.labels: dict[bytes, int] = {}
        self.gotos: list[tuple[int, bytes | None]] = []
        self.pending_label: bytes | None = None
        self.label_kinds = table.spec.identifier_kinds | table.spec.label_kinds
        self.retries: list[int | None] = []  # where a ``retry`` in the handlers being built goes
        self.deferred: list[tuple[int, int]] = []  # Go ``defer`` statements and their calls
        self.leaving: list[int] = []  # the nodes linked to the exit by a ``return``, a ``panic`` or the end
        self.exit = -1
        self.handlers: dict[str, Callable[[int, list[int], bytes | None], list[int]]] = {
            "block": self._block,
            "if": self._if,
            "elif": self._if,
            "else": self._else,
            "loop": self._loop,
            "do": self._do,
            "switch": self._switch,
            "case": self._case,
            "arm": self._case,
            "try": self._try,
            "catch": self._scoped,
            "finally": self._scoped,
            "scoped": self._scoped,
            "labeled": self._labeled,
            "return": self._return,
            "throw": self._return,
            "break": self._break,
            "continue": self._continue,
            "goto": self._goto,
            "yield": self._yield,
            "fallthrough": self._fallthrough,
            "variant": self._variant,
            "begin": self._begin,
            "retry": self._retry,
            "redo": self._redo,
            "defer": self._defer,
        }

    def build(self, entry: int, statements: list[int], exit_id: int) -> Unit:
        self.exit = exit_id
        self.nodes.append(entry)
        outer = None
        if self.kinds[entry] in self.table.spec.loop_body_kinds:  # a Ruby block: ``next``/``break`` leave it
            outer = _Context(None, continue_to=exit_id, breakable=True)
            self.contexts.append(outer)
        exits = [entry]
        for statement in statements:
            exits = self._build(statement, exits)
        if outer is not None:
            exits += outer.breaks
            self._restart(outer, 1)
        self._leave(exits)
        for node, name in self.gotos:
            self.edges.append((node, self.labels.get(name, exit_id) if name is not None else exit_id))
        self._run_deferred()
        self.nodes.append(exit_id)
        flow = self.edges if self.finallies else []
        return Unit(entry, exit_id, self.nodes, self._without_gates(), frozenset(self.exceptional),
                    frozenset(self.raising), tuple(self.finallies), flow)  # fmt: skip

    def _without_gates(self) -> list[tuple[int, int]]:
        """The CFG edges: the edges built, each gate replaced by the ends of its finally (see :class:`Finally`)."""
        if not self.gate_ends:
            return self.edges

        def real(node: int) -> list[int]:
            return [node] if node >= 0 else [end for gate_end in self.gate_ends[node] for end in real(gate_end)]

        return list(dict.fromkeys((source, dst) for src, dst in self.edges if dst >= 0 for source in real(src)))

    # -- helpers ---------------------------------------------------------------------------------------------
    def _build(self, index: int, preds: list[int]) -> list[int]:
        label, self.pending_label = self.pending_label, None
        role = statement_role(self.table, index)
        if role is None:
            self._node(index, preds)
            return [index]
        return self.handlers[role](index, preds, label)

    def _build_optional(self, index: int | None, preds: list[int]) -> list[int]:
        return preds if index is None else self._build(index, preds)

    def _node(self, index: int, preds: list[int]) -> None:
        self.nodes.append(index)
        self._link(preds, index)

    def _link(self, preds: list[int], target: int) -> None:
        self.edges.extend((pred, target) for pred in preds)

    def _label_of(self, index: int) -> bytes | None:
        """The identifier (or ``label_kinds``) child of a jump or labeled statement (``break outer;``), if any."""
        for child in self.children[index]:
            if self.kinds[child] in self.label_kinds:
                return self.table.source_bytes(child)
        return None

    def _body(self, index: int, preds: list[int]) -> list[int]:
        """A clause's body, or the statements it holds when it has none (a Ruby ``else``/``ensure``, the statement
        a JavaScript ``else`` wraps)."""
        body = self.table.body_of(index)
        if body is not None:
            return self._build(body, preds)
        exits = preds
        for child in self.children[index]:
            if self.kinds[child] not in self.skip:
                exits = self._build(child, exits)
        return exits

    def _level(self, jump: int) -> int:
        """How many loops/switches a PHP ``break 2;``/``continue 2;`` counts (``spec.numbered_jumps``), else 1."""
        if not self.table.spec.numbered_jumps:
            return 1
        number = _JUMP_LEVEL.match(self.table.source_bytes(jump))
        return max(int(number.group(1)), 1) if number else 1

    def _restart(self, context: _Context, start: int) -> None:
        """Link a loop's ``redo`` statements to the first node built from ``start`` on (its body's first statement)."""
        if context.redos:
            self._link(context.redos, self.nodes[start] if len(self.nodes) > start else context.continue_to)

    def _endless(self, loop: int) -> bool:
        """Whether a loop has no condition (see ``spec.condition_clauses``) or a constant true one (``while (true)``,
        ``while True:``, C ``while (1)``): it ends only by a jump."""
        table = self.table
        header = [c for c in self.children[loop] if table.fields[c] != "body" and self.kinds[c] not in self.skip]
        if not header:
            return True  # Go ``for { ... }``, Java ``for (;;)``
        condition = table.field_child(loop, "condition")
        if condition is not None and (self.kinds[condition] == "empty_statement"  # JavaScript ``for (;;)``
                                      or _ALWAYS_TRUE.fullmatch(table.source_bytes(condition))):
            return True
        clause = header[0]
        return (len(header) == 1 and self.kinds[clause] in table.spec.condition_clauses
                and table.field_child(clause, "condition") is None)  # fmt: skip

    # -- roles -----------------------------------------------------------------------------------------------
    def _block(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        exits = preds
        kinds, skip = self.kinds, self.skip
        for child in self.children[index]:
            if kinds[child] not in skip:
                exits = self._build(child, exits)
        return exits

    def _if(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """``if``/``elif``/``else``; Java/C# ``else if`` chains are followed in a loop, not by recursion."""
        table = self.table
        exits: list[int] = []
        current, node = preds, index
        while True:
            self._node(node, current)
            exits += self._build_optional(consequence_of(table, node), [node])
            current = [node]
            alternatives = table.field_children(node, "alternative")
            chained = None
            for alternative in alternatives:
                role = self.roles.get(self.kinds[alternative])
                if role == "elif":
                    self._node(alternative, current)
                    exits += self._build_optional(consequence_of(table, alternative), [alternative])
                    current = [alternative]
                elif role == "else":  # its body, or the statements it holds (JavaScript ``else if``, Ruby)
                    exits += self._body(alternative, current)
                    current = []
                elif role == "if" and len(alternatives) == 1:
                    chained = alternative
                else:
                    exits += self._build(alternative, current)
                    current = []
            if chained is None:
                return exits + current
            node = chained

    def _else(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        return self._body(index, preds)

    def _loop(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        context = _Context(label, continue_to=index, breakable=True)
        self.contexts.append(context)
        start = len(self.nodes)
        self._link(self._build_optional(self.table.body_of(index), [index]), index)
        self._restart(context, start)
        self.contexts.pop()
        exits = [] if self._endless(index) else [index]
        alternative = self.table.field_child(index, "alternative")  # Python ``while ... else``
        if alternative is not None:
            exits = self._build_optional(self.table.body_of(alternative), exits)
        return exits + context.breaks

    def _do(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        context = _Context(label, continue_to=index, breakable=True)
        self.contexts.append(context)
        start = len(self.nodes)
        body_exits = self._build_optional(self.table.body_of(index), preds + [index])
        self._restart(context, start)
        self.contexts.pop()
        self._node(index, body_exits)
        return [index] + context.breaks

    def _switch(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        context = _Context(label, continue_to=None, breakable=True, case_gotos=[])
        self.contexts.append(context)
        body = self.table.field_child(index, "body")
        exits: list[int] = []
        fall: list[int] = []
        has_default = False
        sections: list[tuple[set[bytes], int]] = []  # each case's labels and where its nodes start
        for case in self._cases(body if body is not None else index):
            role = self.roles.get(self.kinds[case])
            if role not in ("case", "arm", "else"):  # a Ruby ``case``'s ``else`` is its default arm
                continue
            is_default = role == "else" or _DEFAULT_CASE.match(self.table.source_bytes(case)[:32]) is not None
            has_default = has_default or is_default
            sections.append((self._case_labels(case, is_default), len(self.nodes)))
            ends = self._case(case, [index, *(node for node in fall if node != index)], None)
            if role != "case":
                exits += ends
                fall, context.fallthroughs = context.fallthroughs, []
            else:
                fall = ends
        self.contexts.pop()
        entries = {key: self.nodes[start] for keys, start in sections if start < len(self.nodes) for key in keys}
        for node, key in context.case_gotos or ():
            self.edges.append((node, entries.get(key, self.exit)))  # an unknown label: leave the method
        exits += fall
        if not has_default and self.kinds[index] not in self.table.spec.exhaustive_switches:
            exits.append(index)
        return exits + context.breaks

    def _cases(self, container: int) -> list[int]:
        """The children of a switch body, those inside preprocessor conditionals (``variant``) included."""
        found: list[int] = []
        for child in self.children[container]:
            if self.roles.get(self.kinds[child]) == "variant":
                found += self._cases(child)
            else:
                found.append(child)
        return found

    def _case_labels(self, case: int, is_default: bool) -> set[bytes]:
        """What ``goto case``/``goto default`` would name a case by: its label values, or ``default``."""
        labels = {b"default"} if is_default else set()
        for child in self.children[case]:
            if self.kinds[child] in self.table.spec.case_label_kinds:
                labels.add(b" ".join(self.table.source_bytes(child).split()))
        return labels

    def _case(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """The statements of one case; labels, patterns and ``value`` fields (``case 1:``, ``when ...``) are no
        statements."""
        table = self.table
        bodies = table.field_children(index, "consequence") or table.field_children(index, "body")
        if bodies:  # one body, or a statement list (JavaScript's switch_case has a body field per statement)
            exits = preds
            for body in bodies:
                exits = self._build(body, exits)
            return exits
        exits = preds
        excluded = table.spec.case_label_kinds | self.skip
        for child in self.children[index]:
            if self.kinds[child] not in excluded and table.fields[child] != "value":
                exits = self._build(child, exits)
        return exits

    def _try(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """Body, ``else``, handlers (reached from every statement of the body), then ``finally``, which every way
        out of the try passes through: falling off the end, an exception, and each ``return``/``throw``/
        ``break``/``continue`` that leaves it, which goes on from the end of the ``finally`` to its target. A
        ``begin`` has no node of its own: its body is its children that are no clauses."""
        table = self.table
        handlers: list[int] = []
        else_clause = finally_clause = None
        body: list[int] = []
        for child in self.children[index]:
            role = self.roles.get(self.kinds[child])
            if role == "catch":
                handlers.append(child)
            elif role == "else":
                else_clause = child
            elif role == "finally":
                finally_clause = child
            elif self.kinds[child] not in self.skip:
                body.append(child)
        frame = _FinallyFrame(depth=len(self.contexts)) if finally_clause is not None else None
        if frame is not None:
            self.finally_frames.append(frame)
        header = self.roles.get(self.kinds[index]) != "begin"
        if header:
            self._node(index, preds)
            preds = [index]
            body = [child for child in (table.body_of(index),) if child is not None]
        start = len(self.nodes)
        exits = preds
        for statement in body:
            exits = self._build(statement, exits)
        raising = ([index] if header else []) + self.nodes[start:]
        if else_clause is not None:
            exits = self._body(else_clause, exits)
        self.retries.append(self.nodes[start] if len(self.nodes) > start else None)
        for handler in handlers:
            self._node(handler, raising)
            self.raising.update((source, handler) for source in raising)
            exits = exits + self._body(handler, [handler])
        self.retries.pop()
        if frame is None:
            return exits
        self.finally_frames.pop()
        unhandled = [] if self._catch_all(handlers) else raising  # runs finally, then propagates
        return self._finally(finally_clause, exits, frame.jumps, unhandled)

    def _finally(self, clause: int, exits: list[int], jumps: list[tuple[list[int], _Target]], unhandled: list[int]
                 ) -> list[int]:  # fmt: skip
        """A ``finally`` entered by normal completion (``exits``), by ``jumps`` that leave its try and by the
        exceptions no handler takes (raised by ``unhandled``); its end goes on through one gate per way (see
        :class:`Finally`) to the way's target: the gate of normal completion is returned as the exits."""
        ordinary = set(exits).union(*(sources for sources, _ in jumps))
        self.exceptional.update((source, clause) for source in unhandled if source not in ordinary)
        ways = [(exits, None, False), *((sources, target, False) for sources, target in jumps)]
        ways += [(unhandled, ("exit", None), True)] if unhandled else []
        start = len(self.nodes)
        self._node(clause, list(dict.fromkeys(source for sources, _, _ in ways for source in sources)))
        ends = self._body(clause, [clause])
        groups: dict[tuple[str, int, bool] | None, tuple[_Target | None, bool, list[int]]] = {}  # ways by target
        for sources, target, raised in ways:
            if sources:
                key = (target[0], id(target[1]), raised) if target is not None else None
                groups.setdefault(key, (target, raised, []))[2].extend(sources)
        found = []
        for target, raised, sources in groups.values():
            gate = self._gate(ends)
            if target is not None:
                self._jump([gate], target)
            found.append((frozenset(sources), gate, raised))
        self.finallies.append(Finally(clause, frozenset(self.nodes[start:]), tuple(found)))
        return [found[0][1]] if exits else []  # normal completion is the first way

    def _catch_all(self, handlers: list[int]) -> bool:
        """Whether one of ``handlers`` takes every exception (see ``spec.handler_types``)."""
        spec, table = self.table.spec, self.table
        if spec.handler_types is None:
            return bool(handlers)
        for handler in handlers:
            types = spec.handler_types(table, handler)
            takes_all = spec.bare_handler_catches_all if types is None else not spec.catch_all_types.isdisjoint(types)
            if takes_all:
                return True
        return False

    def _gate(self, ends: list[int]) -> int:
        """A new gate (see :class:`Finally`) that the ``ends`` of a finally link to."""
        gate = -2 - len(self.gate_ends)
        self.gate_ends[gate] = ends
        self._link(ends, gate)
        return gate

    def _variant(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """A preprocessor conditional: a node for the directive when it has a condition (``#if``/``#ifdef``/
        ``#elif``, not ``#else``), then its statements (unfielded children) and, as another path, its
        ``alternative``; without an ``alternative`` the path past it is a third one."""
        table = self.table
        conditional = any(table.fields[child] is not None for child in self.children[index])
        if conditional:
            self._node(index, preds)
            preds = [index]
        exits = preds
        for child in self.children[index]:
            if table.fields[child] is None and self.kinds[child] not in self.skip:
                exits = self._build(child, exits)
        alternative = table.field_child(index, "alternative")
        if alternative is not None:
            others = self._build(alternative, preds)
        else:
            others = preds if conditional else []
        return list(dict.fromkeys(exits + others))

    def _begin(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """A statement sequence; with ``catch``/``else``/``finally`` clauses, a ``try`` without a node of its own."""
        if any(self.roles.get(self.kinds[child]) in _CLAUSES for child in self.children[index]):
            return self._try(index, preds, label)
        return self._block(index, preds, label)

    def _retry(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """Ruby ``retry`` in a ``rescue``: back to the first statement of the ``begin`` body."""
        self._node(index, preds)
        target = self.retries[-1] if self.retries else None
        if target is None:
            return [index]  # outside a handler (a cut-out snippet): fall through
        self._link([index], target)
        return []

    def _redo(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """Ruby ``redo``: back to the first statement of the enclosing loop's body (linked once it is built)."""
        self._node(index, preds)
        loop = next((c for c in reversed(self.contexts) if c.continue_to is not None), None)
        if loop is None:
            return [index]
        loop.redos.append(index)
        return []

    def _scoped(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        return self._build_optional(self.table.body_of(index), [index])

    def _labeled(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        name = self._label_of(index)
        statements = [child for child in self.children[index] if self.kinds[child] not in self.skip]
        last_is_statement = statements and self.kinds[statements[-1]] not in self.label_kinds
        inner = statements[-1] if last_is_statement else None
        context = _Context(name, continue_to=None, breakable=False)
        self.contexts.append(context)
        start = len(self.nodes)
        if inner is not None:
            self.pending_label = name
            exits = self._build(inner, preds)
        else:  # a bare label (PHP ``end:``) is a statement of its own
            self._node(index, preds)
            exits = [index]
        if name is not None and len(self.nodes) > start:
            self.labels[name] = self.nodes[start]
        self.contexts.pop()
        return exits + context.breaks

    def _jump(self, sources: list[int], target: _Target) -> None:
        """Link ``sources`` to ``target``, through the ``finally`` of every enclosing ``try`` that the jump leaves
        (the innermost one records it; its ``finally`` passes it on when built)."""
        kind, context = target
        frame = self.finally_frames[-1] if self.finally_frames else None
        if frame is not None and (kind == "exit" or self._depth(context) < frame.depth):
            frame.jumps.append((sources, target))
        elif kind == "exit":
            self._leave(sources)
        elif kind == "break":
            context.breaks.extend(sources)
        else:
            self._link(sources, context.continue_to)

    def _depth(self, context: _Context | None) -> int:
        return next(i for i, c in enumerate(self.contexts) if c is context)

    def _return(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        if self.table.spec.exit_calls and _sole_callee(self.table, index) in self.table.spec.exit_calls:
            self._link([index], self.exit)  # Go ``os.Exit(1)``: no deferred call runs
        else:
            self._jump([index], ("exit", None))
        return []

    def _leave(self, sources: list[int]) -> None:
        """Link ``sources`` to the exit, where :meth:`_run_deferred` may reroute them."""
        self._link(sources, self.exit)
        self.leaving += sources

    def _defer(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """Go ``defer f(x)``: a statement (it reads ``f`` and ``x``) that registers its call to run on the way out."""
        self._node(index, preds)
        call = next((child for child in self.children[index] if self.kinds[child] not in self.skip), None)
        if call is not None:
            self.deferred.append((index, call))
        return [index]

    def _run_deferred(self) -> None:
        """Reroute every way out of the unit (:attr:`leaving`) through the deferred calls registered so far, latest
        (in source order) first, each call then going on to the one registered before it, the last to the exit.

        A call may be registered at a node when its ``defer`` statement reaches the node in the CFG; it certainly
        is when the statement lies on every path from the entry to the node. Over-approximations: a call that may
        be registered is run next *and* may be skipped (toward the calls before it, or the exit), so a path that
        registered it also has an edge past it; a ``defer`` in a loop, which registers its call once per iteration,
        has one node that runs once, in source order with the others."""
        if not self.deferred:
            return
        succs: dict[int, list[int]] = {}
        for src, dst in self.edges:
            succs.setdefault(src, []).append(dst)
        order = sorted(self.deferred)
        reached = {statement: _reachable(succs, statement) for statement, _ in order}
        avoiding = {statement: _reachable(succs, self.nodes[0], statement) for statement, _ in order}

        def targets(point: int, registered: list[tuple[int, int]]) -> list[int]:
            found = []
            for statement, call in reversed(registered):
                if point in reached[statement]:
                    found.append(call)
                    if point not in avoiding[statement]:
                        return found
            return found + [self.exit]

        leaving = set(self.leaving)
        self.edges = [(src, dst) for src, dst in self.edges if dst != self.exit or src not in leaving]
        for source in dict.fromkeys(self.leaving):
            self.edges.extend((source, target) for target in targets(source, order))
        for k, (statement, call) in enumerate(order):
            self.nodes.append(call)
            self.edges.extend((call, target) for target in targets(statement, order[:k]))

    def _break(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        name = self._label_of(index)
        level = self._level(index)
        for context in reversed(self.contexts):
            if (context.label == name) if name is not None else context.breakable:
                if level > 1:  # PHP ``break 2;``: an outer one
                    level -= 1
                    continue
                self._jump([index], ("break", context))
                return []
        return [index]  # a break outside any loop (a cut-out snippet): fall through

    def _continue(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        name = self._label_of(index)
        numbered, level = self.table.spec.numbered_jumps, self._level(index)
        for context in reversed(self.contexts):
            if numbered and context.breakable:  # PHP: a switch counts, and ``continue`` leaves it like ``break``
                if level > 1:
                    level -= 1
                    continue
                self._jump([index], ("continue" if context.continue_to is not None else "break", context))
                return []
            if not numbered and context.continue_to is not None and (name is None or context.label == name):
                self._jump([index], ("continue", context))
                return []
        return [index]

    def _yield(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """C# ``yield break`` ends the iterator like ``return``; ``yield return x`` goes on."""
        if _YIELD_BREAK.match(self.table.source_bytes(index)):
            return self._return(index, preds, label)
        self._node(index, preds)
        return [index]

    def _goto(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """``goto label;`` (resolved at the end of the unit), and C# ``goto case X;``/``goto default;`` (resolved
        by the enclosing switch)."""
        self._node(index, preds)
        case = _GOTO_CASE.match(self.table.source_bytes(index))
        switch = next((c for c in reversed(self.contexts) if c.case_gotos is not None), None)
        if case is not None and switch is not None:
            key = b"default" if case.group(1) == b"default" else b" ".join(case.group(2).split())
            switch.case_gotos.append((index, key))
        else:
            self.gotos.append((index, self._label_of(index)))
        return []

    def _fallthrough(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """Go ``fallthrough``: on into the statements of the enclosing switch's next arm."""
        self._node(index, preds)
        switch = next((c for c in reversed(self.contexts) if c.case_gotos is not None), None)
        if switch is None:
            return [index]  # outside a switch (a cut-out snippet): fall through
        switch.fallthroughs.append(index)
        return []


def statement_role(table: SyntaxTable, index: int) -> str | None:
    """The CFG role of a statement: by its type, or its leading word (``spec.keyword_roles``: a PHP ``throw``
    statement), or ``throw`` for a call that never returns (``spec.noreturn_calls``)."""
    spec, kind = table.spec, table.kinds[index]
    role = spec.roles.get(kind)
    if spec.keyword_roles:
        start = table.starts_b[index]
        word = _WORD.match(table.parsed.source[start : min(start + 32, table.ends_b[index])])
        role = spec.keyword_roles.get((kind, word.group() if word else b""), role)
    if role is None and never_returns(table, index):
        role = "throw"
    return role


def consequence_of(table: SyntaxTable, index: int) -> int | None:
    """The branch an ``if``/``elif`` node takes when its condition holds: its ``consequence``, else its ``body``
    (PHP, Ruby modifiers)."""
    consequence = table.field_child(index, "consequence")
    return consequence if consequence is not None else table.field_child(index, "body")


def never_returns(table: SyntaxTable, index: int) -> bool:
    """Whether ``index`` is a statement that only calls one of ``spec.noreturn_calls`` (Go ``panic(err)``)."""
    calls = table.spec.noreturn_calls
    return bool(calls) and _sole_callee(table, index) in calls


def _sole_callee(table: SyntaxTable, index: int) -> bytes | None:
    """The callee's text when statement ``index`` is one call (``panic(err)``), else None."""
    kinds, skip = table.kinds, table.spec.skip_kinds
    statement = [child for child in table.children[index] if kinds[child] not in skip]
    callee = table.field_child(statement[0], "function") if len(statement) == 1 else None
    return table.source_bytes(callee) if callee is not None else None


def _reachable(succs: dict[int, list[int]], start: int, blocked: int | None = None) -> set[int]:
    """The nodes reachable from ``start`` (itself included) along ``succs`` without passing through ``blocked``."""
    seen, stack = {start}, [start]
    while stack:
        for node in succs.get(stack.pop(), ()):
            if node not in seen and node != blocked:
                seen.add(node)
                stack.append(node)
    return seen


def edge_labels(table: SyntaxTable, unit: Unit) -> list[str]:
    """The :data:`~cpg.graph.CFG_LABELS` label of each edge of ``unit`` (aligned with ``unit.edges``), read from
    the roles of its ends: ``exception`` into a handler, and into a ``finally`` where only an exception takes the
    edge (:attr:`Unit.exceptional`); a jump's own kind (``break``, ``continue``, ``return``, ``exception`` for
    ``throw``, ``goto``); ``true``/``false`` out of a condition (into the branch or loop body,
    or past it); ``back`` into a loop header from its body (and from a ``do`` condition into its body); ``case``
    from a switch into its body; else ``next``. Edges that leave a ``finally`` toward the target of the jump that
    entered it are ``next``. A ``retry`` is ``back``, a ``redo`` ``continue``; ``true``/``false`` are swapped out of
    a ``negated_kinds`` condition (Ruby ``unless``/``until``)."""
    kinds, negated = table.kinds, table.spec.negated_kinds
    starts_b, ends_b, size = table.starts_b, table.ends_b, len(table)

    def inside(node: int, container: int | None) -> bool:
        return (container is not None and node < size and starts_b[container] <= starts_b[node]
                and ends_b[node] <= ends_b[container])  # fmt: skip

    labels = []
    for src, dst in unit.edges:
        source_role = statement_role(table, src) if src < size and src != unit.entry else None  # Go ``panic``: throw
        target_role = statement_role(table, dst) if dst < size else None
        if target_role == "catch" or (src, dst) in unit.exceptional:  # a jump's own target is never a handler
            label = "exception"
        elif source_role in _JUMP_LABELS and not (source_role == "yield" and not _YIELD_BREAK.match(table.source_bytes(src))):
            label = _JUMP_LABELS[source_role]
        elif source_role in ("if", "elif"):
            label = "true" if inside(dst, consequence_of(table, src)) else "false"
        elif source_role == "loop":
            label = "true" if inside(dst, table.body_of(src)) else "false"
        elif source_role == "do":
            label = "back" if inside(dst, table.body_of(src)) else "false"
        elif target_role == "loop" and inside(src, dst):
            label = "back"
        elif source_role == "switch":
            label = "case" if inside(dst, src) else "false"
        elif source_role == "variant":  # ``#if``: into its statements, or to the ``#else`` / past it
            alternative = table.field_child(src, "alternative")
            label = "true" if inside(dst, src) and not inside(dst, alternative) else "false"
        else:
            label = "next"
        if label in ("true", "false") and src < size and kinds[src] in negated:
            label = "false" if label == "true" else "true"
        labels.append(label)
    return labels


#: a loop condition that is always true
_ALWAYS_TRUE = re.compile(rb"[(\s]*(?:true|True|TRUE|1)[)\s;]*")

#: the label of every edge out of a jump statement
_JUMP_LABELS = {"break": "break", "continue": "continue", "return": "return", "throw": "exception",
                "goto": "goto", "yield": "return", "retry": "back", "redo": "continue"}  # fmt: skip
