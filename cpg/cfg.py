"""Statement-level control flow graphs over a :class:`~cpg.syntax.SyntaxTable`.

One CFG per *unit*: every function-like node with a body (method, constructor, lambda, local function) and the
module root when it holds top-level statements (a Python script). A unit's CFG nodes are:

- its **entry**: the function node itself (parameters are defined there);
- its **statements**: every statement node the flow passes through. Compound statements are one node for their
  header (an ``if``/``while``/``for``/``switch``/``try`` node stands for its condition, init and update);
  blocks are transparent (flow goes through their statements, a block is no CFG node);
- its **exit**: one synthetic node per unit, reached from ``return``/``throw`` and from falling off the end.

Edges cover sequence, ``if``/``elif``/``else``, loops with back edges (and Python loop ``else``), ``do``,
``break``/``continue`` (labeled too), ``switch``/``match`` with fall-through where the language has it,
``try``/``catch``/``else``/``finally`` (every statement of a try body may jump to each handler), ``goto`` to a
label, and ``return``/``throw`` to the exit. A ``finally`` runs on every way out of its ``try``: a
``return``/``throw``/``break``/``continue`` that leaves the try goes to the ``finally``, whose end then goes on
to that jump's target (and to the statement after the try when the try or a handler can end normally).
Simplifications: ``throw`` always reaches the exit (through any enclosing ``finally``; through the try rule it
also reaches the handlers); the end of a ``finally`` links to every target of the jumps that entered it (no
path-sensitive duplication of the block).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cpg.syntax import SyntaxTable

_GOTO_CASE = re.compile(rb"goto\s+(default|case\s+(.+?))\s*;\s*$", re.DOTALL)
_YIELD_BREAK = re.compile(rb"yield\s+break\b")
_DEFAULT_CASE = re.compile(rb"\s*(default\b|case\s+_\s*:)")


@dataclass
class Unit:
    """The CFG of one function (or module): node ids in creation order (entry first, exit last) and edges."""

    entry: int
    exit: int
    nodes: list[int]
    edges: list[tuple[int, int]]


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
        self.contexts: list[_Context] = []
        self.finally_frames: list[_FinallyFrame] = []
        self.labels: dict[bytes, int] = {}
        self.gotos: list[tuple[int, bytes | None]] = []
        self.pending_label: bytes | None = None
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
        }

    def build(self, entry: int, statements: list[int], exit_id: int) -> Unit:
        self.exit = exit_id
        self.nodes.append(entry)
        exits = [entry]
        for statement in statements:
            exits = self._build(statement, exits)
        self._link(exits, exit_id)
        for node, name in self.gotos:
            self.edges.append((node, self.labels.get(name, exit_id) if name is not None else exit_id))
        self.nodes.append(exit_id)
        return Unit(entry, exit_id, self.nodes, self.edges)

    # -- helpers ---------------------------------------------------------------------------------------------
    def _build(self, index: int, preds: list[int]) -> list[int]:
        label, self.pending_label = self.pending_label, None
        role = self.roles.get(self.kinds[index])
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
        """The identifier child of a jump or labeled statement (``break outer;``), if any."""
        for child in self.children[index]:
            if self.kinds[child] in self.table.spec.identifier_kinds:
                return self.table.source_bytes(child)
        return None

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
            exits += self._build_optional(table.field_child(node, "consequence"), [node])
            current = [node]
            alternatives = table.field_children(node, "alternative")
            chained = None
            for alternative in alternatives:
                role = self.roles.get(self.kinds[alternative])
                if role == "elif":
                    self._node(alternative, current)
                    exits += self._build_optional(table.field_child(alternative, "consequence"), [alternative])
                    current = [alternative]
                elif role == "else":  # its body, or the statement it wraps (JavaScript ``else if``)
                    body = table.body_of(alternative)
                    if body is None:
                        body = next((c for c in self.children[alternative] if self.kinds[c] not in self.skip), None)
                    exits += self._build_optional(body, current)
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
        return self._build_optional(self.table.body_of(index), preds)

    def _loop(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        context = _Context(label, continue_to=index, breakable=True)
        self.contexts.append(context)
        self._link(self._build_optional(self.table.body_of(index), [index]), index)
        self.contexts.pop()
        exits = [index]
        alternative = self.table.field_child(index, "alternative")  # Python ``while ... else``
        if alternative is not None:
            exits = self._build_optional(self.table.body_of(alternative), exits)
        return exits + context.breaks

    def _do(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        context = _Context(label, continue_to=index, breakable=True)
        self.contexts.append(context)
        body_exits = self._build_optional(self.table.body_of(index), preds + [index])
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
        for case in self.children[body] if body is not None else ():
            role = self.roles.get(self.kinds[case])
            if role not in ("case", "arm"):
                continue
            is_default = _DEFAULT_CASE.match(self.table.source_bytes(case)[:32]) is not None
            has_default = has_default or is_default
            sections.append((self._case_labels(case, is_default), len(self.nodes)))
            ends = self._case(case, [index, *(node for node in fall if node != index)], None)
            if role == "arm":
                exits += ends
            else:
                fall = ends
        self.contexts.pop()
        entries = {key: self.nodes[start] for keys, start in sections if start < len(self.nodes) for key in keys}
        for node, key in context.case_gotos or ():
            self.edges.append((node, entries.get(key, self.exit)))  # an unknown label: leave the method
        exits += fall
        if not has_default:
            exits.append(index)
        return exits + context.breaks

    def _case_labels(self, case: int, is_default: bool) -> set[bytes]:
        """What ``goto case``/``goto default`` would name a case by: its label values, or ``default``."""
        labels = {b"default"} if is_default else set()
        for child in self.children[case]:
            if self.kinds[child] in self.table.spec.case_label_kinds:
                labels.add(b" ".join(self.table.source_bytes(child).split()))
        return labels

    def _case(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """The statements of one case; labels and patterns (``case 1:``, ``when ...``) are no statements."""
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
            if self.kinds[child] not in excluded:
                exits = self._build(child, exits)
        return exits

    def _try(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        """Body, ``else``, handlers (reached from every statement of the body), then ``finally``, which every way
        out of the try passes through: falling off the end, an exception, and each ``return``/``throw``/
        ``break``/``continue`` that leaves it, which goes on from the end of the ``finally`` to its target."""
        table = self.table
        handlers: list[int] = []
        else_clause = finally_clause = None
        for child in self.children[index]:
            role = self.roles.get(self.kinds[child])
            if role == "catch":
                handlers.append(child)
            elif role == "else":
                else_clause = child
            elif role == "finally":
                finally_clause = child
        frame = _FinallyFrame(depth=len(self.contexts)) if finally_clause is not None else None
        if frame is not None:
            self.finally_frames.append(frame)
        self._node(index, preds)
        start = len(self.nodes)
        exits = self._build_optional(table.body_of(index), [index])
        raising = [index, *self.nodes[start:]]
        if else_clause is not None:
            exits = self._build_optional(table.body_of(else_clause), exits)
        for handler in handlers:
            self._node(handler, raising)
            exits = exits + self._build_optional(table.body_of(handler), [handler])
        if frame is None:
            return exits
        self.finally_frames.pop()
        unhandled = [] if handlers else raising  # an exception no handler takes runs finally, then propagates
        jumps = frame.jumps + ([(unhandled, ("exit", None))] if unhandled else [])
        self._node(finally_clause, list(dict.fromkeys(exits + [s for sources, _ in jumps for s in sources])))
        finally_exits = self._build_optional(table.body_of(finally_clause), [finally_clause])
        seen: set[tuple[str, int]] = set()
        for _, target in jumps:
            key = (target[0], id(target[1]))
            if key not in seen:
                seen.add(key)
                self._jump(finally_exits, target)
        return finally_exits if exits else []

    def _scoped(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        return self._build_optional(self.table.body_of(index), [index])

    def _labeled(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        name = self._label_of(index)
        statements = [child for child in self.children[index] if self.kinds[child] not in self.skip]
        last_is_statement = statements and self.kinds[statements[-1]] not in self.table.spec.identifier_kinds
        inner = statements[-1] if last_is_statement else None
        context = _Context(name, continue_to=None, breakable=False)
        self.contexts.append(context)
        start = len(self.nodes)
        if inner is not None:
            self.pending_label = name
            exits = self._build(inner, preds)
        else:
            exits = preds
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
            self._link(sources, self.exit)
        elif kind == "break":
            context.breaks.extend(sources)
        else:
            self._link(sources, context.continue_to)

    def _depth(self, context: _Context | None) -> int:
        return next(i for i, c in enumerate(self.contexts) if c is context)

    def _return(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        self._jump([index], ("exit", None))
        return []

    def _break(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        name = self._label_of(index)
        for context in reversed(self.contexts):
            if (context.label == name) if name is not None else context.breakable:
                self._jump([index], ("break", context))
                return []
        return [index]  # a break outside any loop (a cut-out snippet): fall through

    def _continue(self, index: int, preds: list[int], label: bytes | None) -> list[int]:
        self._node(index, preds)
        name = self._label_of(index)
        for context in reversed(self.contexts):
            if context.continue_to is not None and (name is None or context.label == name):
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
