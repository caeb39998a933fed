"""Data dependencies (reaching definitions) and control dependencies over statement CFGs.

Granularity: DDG and CDG edges connect **CFG nodes** — a unit's entry (the function node, where parameters are
defined) and its statement nodes (for a compound statement, the ``if``/``while``/``for``/``catch`` node itself,
which holds its condition, init, update, for-each variable or catch parameter). An identifier belongs to the
nearest enclosing CFG node of its own unit.

- **DDG** ``def -> use``: a definition of variable ``v`` at node ``d`` reaches a use of ``v`` at node ``u`` along
  the CFG with no redefinition of ``v`` in between (classic reaching definitions; a redefinition kills the
  earlier ones unless it is conditional within its statement: in the right operand of ``&&``/``||``/``??``/
  ``and``/``or`` or a branch of a conditional expression, it generates a definition and kills none).
  Definitions: parameters, declarations with an initializer, assignments (compound ones also use),
  ``++``/``--``, C# ``out``/``ref`` arguments, C/C++ ``&x`` call arguments (``scanf("%d", &x)``: a definition
  that kills none, since the callee may not write), for-each variables, catch parameters, ``with ... as``/
  ``except ... as`` targets, walrus; a write through a PHP reference (``$y = &$x``, ``foreach ($xs as &$v)``)
  may define what it refers to (:mod:`cpg.aliases`).
  Each edge names its variable (two variables between the same two nodes are two edges).
  Variables are matched by name within one unit (no flow into nested functions or lambdas: a nested function's
  free variables, read before any definition of its own, are uses at the statement that creates it; a C++ capture list
  ``[x, &y, n = e]`` is read by the statement that creates its lambda; a PHP closure reads only its
  ``use (...)`` list; a Ruby block's assignments to the method's variables, not its parameters, which shadow them,
  are conditional definitions at the statement that creates it and reach the block's next run; a deferred Go
  function literal reads its free variables when its call runs); writing ``a.b``, ``a[i]`` or C ``*a``
  only uses ``a`` (no field or pointer sensitivity); Python
  comprehension variables define nothing. A use that follows, in evaluation order, a definition of the same
  variable in its own node (``i < n`` after ``int i = 0``) is only linked to that node's definition, around a
  loop. A statement that raises into a handler (or, unhandled, into a ``finally``) defines nothing on that way
  (a statement with several definitions loses them all); the paths through a ``finally`` go on only to the target
  of the way they entered it by (:func:`_flow_graph`), unlike the CFG's.
- **CDG** ``branch -> statement``: Ferrante-Ottenstein-Warren control dependence from post-dominators: ``s``
  depends on ``b`` when one successor of ``b`` always leads to ``s`` and another may avoid it (the statements of
  an ``if`` branch, a loop body, a case, code after an early ``return`` inside an ``if``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from cpg.aliases import add_reference_writes
from cpg.cfg import Unit
from cpg.syntax import SyntaxTable

#: operator characters before ``=`` that make an assignment compound (``+=``, ``>>=``, ``??=``, ``//=``...)
_COMPOUND = frozenset(b"+-*/%&|^<>?@.")  # PHP ``.=``
_NOT_INITIALIZERS = frozenset({"bracketed_argument_list"})


@dataclass
class NodeVariables:
    """Per CFG node (keys are node ids; names are source bytes): variables ``defs`` defined and ``uses`` used;
    ``conditional``: defined names whose every definition at the node is evaluated on some paths only (after
    ``&&``, in a branch of ``?:``...), which must not kill earlier definitions; ``covered``: used names whose
    every use at the node comes after a (certain) definition of it at the same node, in evaluation order (the
    condition of ``for (int i = 0; i < n; i++)`` reads the ``i`` its initializer just defined), so no definition
    from outside the node reaches them on its first evaluation; ``reentered``: the covered names of a ``for``
    header that it reads again when the loop comes back to it, where only the update and condition run (``i++``
    reads the ``i`` the body left); ``captures``: names that the nested units created at a node (a lambda in it, a
    local function it declares) read from the enclosing unit, used there; ``carried``: per entry of a ``reference``
    unit (a Ruby block), the variables it shares with the unit around it, whose values one run leaves to the next."""

    defs: dict[int, set[bytes]]
    uses: dict[int, set[bytes]]
    conditional: dict[int, set[bytes]]
    covered: dict[int, set[bytes]]
    reentered: dict[int, set[bytes]] = field(default_factory=dict)
    captures: dict[int, set[bytes]] = field(default_factory=dict)
    carried: dict[int, set[bytes]] = field(default_factory=dict)


def definitions_and_uses(table: SyntaxTable, units: list[Unit]) -> NodeVariables:
    """The variables each CFG node defines and uses (:class:`NodeVariables`). A definition takes effect at the
    end of its declarator, assignment or update (``x = x + 1`` reads the old ``x``); a use at its position."""
    kinds, parents, fields, children = table.kinds, table.parents, table.fields, table.children
    spec = table.spec
    positions = spec.positions
    source = table.parsed.source
    starts_b, ends_b = table.starts_b, table.ends_b
    owner = _owners(table, {node for unit in units for node in unit.nodes})

    scopes_of = _enclosing_scopes(table, owner)
    bound = _scope_bindings(table, scopes_of)

    defs: dict[int, set[bytes]] = {}
    uses: dict[int, set[bytes]] = {}
    certain: dict[int, set[bytes]] = {}
    effective: dict[tuple[int, bytes], list[int]] = {}  # (node, name) -> where its certain definitions take effect
    read_at: dict[tuple[int, bytes], list[int]] = {}  # (node, name) -> where it is read
    tops: dict[int, int] = {}
    conditional_at: dict[tuple[int, int], bool] = {}
    for ident in table.identifiers:
        node = owner[ident]
        if node < 0:
            continue
        top = _pattern_top(table, ident, tops)
        parent, field_name = parents[top], fields[top]
        position = None
        if parent >= 0:
            position = positions.get((kinds[parent], field_name))
            if position is None and field_name is not None:
                position = positions.get((kinds[parent], None))
        if position == "ignore" or position == "opaque":
            continue
        name = source[starts_b[ident] : ends_b[ident]]
        is_def = is_use = maybe = False
        takes_effect = ends_b[parent] if parent >= 0 else ends_b[ident]
        if position is None or position == "use":
            is_use = True
        elif position == "def":
            is_def = True
        elif position == "def_unless_first":  # PHP ``foreach ($xs as $v)``: ``$xs`` is read, ``$v`` defined
            is_def = children[parent][0] != top
            is_use = not is_def
        elif position == "def_if_init":
            is_def = any(
                child > top and fields[child] in (None, "value") and kinds[child] not in _NOT_INITIALIZERS
                for child in children[parent]
            )
        elif position == "assign":
            right = table.field_child(parent, "right")
            if right is not None:  # ``x: int`` alone is an annotation, no definition
                operator = source[ends_b[top] : starts_b[right]].strip()
                is_def = True
                is_use = len(operator) >= 2 and operator[-2] in _COMPOUND
        elif position == "capture":  # Python match patterns
            is_def, is_use = _capture(table, parent, ident)
            if not (is_def or is_use):
                continue
        elif position == "argument":  # C#: ``out x`` defines x, ``ref x`` defines and uses it
            modifier = source[starts_b[parent] : starts_b[top]].strip()
            if modifier in (b"out", b"ref"):
                is_def, is_use = True, modifier == b"ref"
            elif (assignment := _deconstruction_target(table, parent)) is not None:  # (a, b) = (b, a)
                is_def = True
                takes_effect = ends_b[assignment]  # after the right side is read
            else:
                is_use = True
        elif position == "address_of":  # C/C++ ``f(&x)``: the callee may write ``x`` (a definition that kills none)
            is_use = True
            operator = source[starts_b[parent] : starts_b[top]].strip()
            above = parents[parent]
            is_def = maybe = operator == b"&" and above >= 0 and kinds[above] == "argument_list"
        else:  # "update": ``x++``/``--x`` define and use ``x``; ``-x``/``!x`` only use it
            around = source[starts_b[parent] : starts_b[top]] + source[ends_b[top] : ends_b[parent]]
            is_use = True
            is_def = b"++" in around or b"--" in around
        scopes = scopes_of.get(ident)
        if scopes and (is_def or is_use):
            if any(bound[scope] is None or name in bound[scope] for scope in scopes):
                continue  # a name of the nested scope, not a variable of this method
            is_def, is_use = False, True  # a variable of this method, captured: read where the scope is built
        if is_def:
            defs.setdefault(node, set()).add(name)
            if not (maybe or _is_conditional(table, top, node, conditional_at)):
                certain.setdefault(node, set()).add(name)
                effective.setdefault((node, name), []).append(takes_effect)
        if is_use:
            uses.setdefault(node, set()).add(name)
            read_at.setdefault((node, name), []).append(starts_b[ident])
    for unit in units:  # names a function defines without declaring them (C# setters' value)
        head = table.source_bytes(unit.entry).split(b"{", 1)[0].split(b"=>", 1)[0].split()  # ``private set``
        for name in {n for word in head for n in spec.implicit_definitions.get((kinds[unit.entry], word), ())}:
            defs.setdefault(unit.entry, set()).add(name)
            certain.setdefault(unit.entry, set()).add(name)
            effective.setdefault((unit.entry, name), []).append(starts_b[unit.entry])
    conditional = {node: names - certain.get(node, set()) for node, names in defs.items()}
    covered: dict[int, set[bytes]] = {}
    for (node, name), reads in read_at.items():
        first_definition = min(effective.get((node, name), [len(source) + 1]))
        if all(first_definition <= read for read in reads):
            covered.setdefault(node, set()).add(name)
    reentered = _reentered(table, covered, read_at, effective)
    variables = NodeVariables(defs, uses, {n: names for n, names in conditional.items() if names}, covered, reentered)
    add_reference_writes(table, units, owner, variables.defs, variables.conditional)
    variables.captures = _captures(table, units, owner, variables)
    return variables


#: fields of a ``for`` header's update clause (Go: of its ``for_clause``)
_UPDATE_FIELDS = ("update", "increment")


def _reentered(
    table: SyntaxTable,
    covered: dict[int, set[bytes]],
    read_at: dict[tuple[int, bytes], list[int]],
    effective: dict[tuple[int, bytes], list[int]],
) -> dict[int, set[bytes]]:
    """The covered names of each ``for`` header that a later iteration reads before redefining them: read in the
    update clause, or read in the condition and not (certainly) defined in the update clause, which runs first."""
    kinds, starts_b, ends_b = table.kinds, table.starts_b, table.ends_b
    found: dict[int, set[bytes]] = {}
    for node, names in covered.items():
        clauses = node
        if table.field_child(node, "condition") is None:
            clauses = next((c for c in table.children[node] if kinds[c] == "for_clause"), node)
        update = next((u for f in _UPDATE_FIELDS if (u := table.field_child(clauses, f)) is not None), None)
        if update is None:
            continue
        condition = table.field_child(clauses, "condition")

        def within(position: int, clause: int | None) -> bool:
            return clause is not None and starts_b[clause] <= position <= ends_b[clause]

        for name in names:
            reads = read_at[(node, name)]
            redefined = any(within(at, update) for at in effective.get((node, name), ()))
            if any(within(at, update) for at in reads) or (not redefined and any(within(at, condition) for at in reads)):
                found.setdefault(node, set()).add(name)
    return found


def _captures(
    table: SyntaxTable, units: list[Unit], owner: list[int], variables: NodeVariables
) -> dict[int, set[bytes]]:
    """The names each nested unit reads from the units around it, as uses at the node that creates it (its own
    node when it is a statement, a local function; else the statement it sits in, a lambda's): the names live at
    its entry (read on some path before a definition of its own), the units nested in it included (innermost
    units first). Writes to captured variables do not flow back out, except from a ``reference`` unit
    (``spec.capture_modes``: Ruby blocks); a ``none`` unit (PHP closures, Ruby ``def``) captures nothing."""
    statements = {node for unit in units for node in unit.nodes[1:-1]}
    entries = {unit.entry for unit in units}
    modes = table.spec.capture_modes
    unit_of: dict[int, Unit] = {}  # the unit of each node, for ``reference`` units' sites (statements win)
    if "reference" in modes.values():
        unit_of = {u.entry: u for u in units} | {node: u for u in units for node in u.nodes[1:-1]}
    captures: dict[int, set[bytes]] = {}
    for unit in sorted(units, key=lambda u: u.entry, reverse=True):
        entry, parent = unit.entry, table.parents[unit.entry]
        site = entry if entry in statements else (owner[parent] if parent >= 0 else -1)
        mode = modes.get(table.kinds[entry])
        if site >= 0 and mode != "none":
            live = _live_at_entry(unit, variables, entries, captures)
            if live:
                captures.setdefault(site, set()).update(live)
            if mode == "reference":
                _write_back(unit, site, live, unit_of[site], variables, entries)
    return captures


def _write_back(
    unit: Unit, site: int, live: set[bytes], outer: Unit, variables: NodeVariables, entries: set[int]
) -> None:
    """A ``reference`` unit (a Ruby block) assigns the variables it shares with the unit ``outer`` around it: each
    name it defines that it reads from outside (``live``) or that ``outer`` defines, and that is not one of its
    parameters (which shadow the outer names), becomes a conditional definition at ``site``, the node that creates
    it (the block may run any number of times, or not at all), and is carried from one run to the next."""
    defs, empty = variables.defs, set()
    written = set().union(*(defs.get(node, empty) for node in unit.nodes[1:-1] if node not in entries))
    written -= defs.get(unit.entry, empty)
    shared = written & (live | set().union(*(defs.get(node, empty) for node in outer.nodes)))
    if shared:
        variables.carried[unit.entry] = shared
        variables.conditional.setdefault(site, set()).update(shared - defs.get(site, empty))
        defs.setdefault(site, set()).update(shared)


def _live_at_entry(
    unit: Unit, variables: NodeVariables, entries: set[int], captures: dict[int, set[bytes]]
) -> set[bytes]:
    """Names read in ``unit`` on some path from its entry before any (certain) definition of them in it."""
    _, _, succs = _positions(unit)
    empty: set[bytes] = set()
    used, killed = [], []
    for node in unit.nodes:
        read = set(captures.get(node, empty))
        if node == unit.entry or node not in entries:
            read |= variables.uses.get(node, empty) - variables.covered.get(node, empty)
            killed.append(variables.defs.get(node, empty) - variables.conditional.get(node, empty))
        else:
            killed.append(empty)
        used.append(read)
    live = [set(names) for names in used]
    changed = True
    while changed:
        changed = False
        for k in range(len(live) - 1, -1, -1):
            out = set().union(*(live[s] for s in succs[k]))
            value = used[k] | (out - killed[k])
            if value != live[k]:
                live[k], changed = value, True
    return live[0] - variables.defs.get(unit.entry, empty)


def _owners(table: SyntaxTable, cfg_nodes: set[int]) -> list[int]:
    """The CFG node each syntax node belongs to (-1: none): its nearest enclosing CFG node, except that a capture
    list (``spec.capture_kinds``) belongs to the node enclosing its function (the statement that creates it), an
    init-capture's name (``n`` in ``[n = e]``) to the function itself, an ``opaque`` position to none, and the
    operands of a deferred call (Go ``defer f(x)``, evaluated where it is registered) to its ``defer`` statement."""
    kinds, parents, fields, roles = table.kinds, table.parents, table.fields, table.spec.roles
    captures = table.spec.capture_kinds
    opaque = {key for key, kind in table.spec.positions.items() if kind == "opaque"}
    deferred = {n for n in cfg_nodes if n < len(kinds) and parents[n] >= 0 and roles.get(kinds[parents[n]]) == "defer"}
    owner = [-1] * len(kinds)
    for index, parent in enumerate(parents):
        if index in cfg_nodes:
            owner[index] = index
        elif parent < 0 or (opaque and (kinds[parent], fields[index]) in opaque):
            owner[index] = -1
        elif parent in deferred:
            owner[index] = parents[parent]
        elif captures and kinds[index] in captures:
            owner[index] = owner[parents[parent]] if parents[parent] >= 0 else -1
        elif captures and fields[index] == "left" and parents[parent] >= 0 and kinds[parents[parent]] in captures:
            owner[index] = parents[parents[parent]]
        else:
            owner[index] = owner[parent]
    return owner


def _enclosing_scopes(table: SyntaxTable, owner: list[int]) -> dict[int, list[int]]:
    """For each identifier inside nested scopes of its CFG node (``spec.scopes``), those scope nodes, innermost
    first (all of them for an identifier that is its own CFG node)."""
    kinds, parents, scope_kinds = table.kinds, table.parents, table.spec.scopes
    result: dict[int, list[int]] = {}
    if not scope_kinds:
        return result
    nearest = [-1] * len(kinds)  # each node's nearest enclosing scope (parents come first: ids are in pre-order)
    for index, parent in enumerate(parents):
        if parent >= 0:
            nearest[index] = parent if kinds[parent] in scope_kinds else nearest[parent]
    for ident in table.identifiers:
        node = owner[ident]
        if node < 0:
            continue
        limit = -1 if node == ident else node  # an owner is its identifier or an ancestor: a smaller id
        found, scope = [], nearest[ident]
        while scope > limit:
            found.append(scope)
            scope = nearest[scope]
        if found:
            result[ident] = found
    return result


def _scope_bindings(table: SyntaxTable, scopes_of: dict[int, list[int]]) -> dict[int, set[bytes] | None]:
    """The names each scope binds (``None``: every name in it)."""
    kinds, parents, fields = table.kinds, table.parents, table.fields
    pattern_kinds, source = table.spec.pattern_kinds, table.parsed.source
    bound: dict[int, set[bytes] | None] = {}
    for ident, scopes in scopes_of.items():
        top, parent, field_name = ident, parents[ident], fields[ident]
        while parent >= 0 and kinds[parent] in pattern_kinds:
            top, field_name, parent = parent, fields[parent], parents[parent]
        for scope in scopes:
            binders = table.spec.scopes[kinds[scope]]
            if binders is None:
                bound[scope] = None
                continue
            names = bound.setdefault(scope, set())
            if parent >= 0 and ((kinds[parent], field_name) in binders or (kinds[parent], None) in binders):
                names.add(source[table.starts_b[ident] : table.ends_b[ident]])
    return bound


def _capture(table: SyntaxTable, parent: int, ident: int) -> tuple[bool, bool]:
    """``(defines, uses)`` of an identifier under a Python ``dotted_name`` or ``as_pattern`` (see ``capture``)."""
    kinds, parents, children = table.kinds, table.parents, table.children
    above = parents[parent]
    in_pattern = above >= 0 and kinds[above] in ("case_pattern", "keyword_pattern")
    if kinds[parent] == "as_pattern":
        binds = in_pattern and children[parent][0] != ident  # ``Q() as q``
        return binds, not binds
    if in_pattern and len(children[parent]) == 1:  # a bare name: a capture pattern
        return True, False
    return False, False  # a class name in a class pattern, a value pattern's dotted name, an import


def _deconstruction_target(table: SyntaxTable, argument: int) -> int | None:
    """The assignment whose left tuple a C# ``argument`` is an element of (``(a, b) = (b, a)``), tuples nested
    inside such a tuple included; None when it is not such an element."""
    kinds, parents = table.kinds, table.parents
    tuple_node = parents[argument]
    while tuple_node >= 0 and kinds[tuple_node] == "tuple_expression":
        above = parents[tuple_node]
        if above >= 0 and kinds[above] == "assignment_expression":
            return above if table.field_child(above, "left") == tuple_node else None
        if above < 0 or kinds[above] != "argument":
            return None
        tuple_node = parents[above]
    return None


#: operators after which the right operand is evaluated on some paths only
_SHORT_CIRCUIT = frozenset({b"&&", b"||", b"??", b"and", b"or"})
#: assignments that assign only on some paths (``x ??= y`` leaves a non-null ``x`` alone; Ruby ``x ||= y``)
_LOGICAL_ASSIGNMENTS = frozenset({b"&&=", b"||=", b"??="})


def _is_conditional(table: SyntaxTable, node: int, owner: int, known: dict[tuple[int, int], bool]) -> bool:
    """Whether ``node`` is evaluated on some paths only within its CFG node ``owner``: it lies in the right operand
    of a short-circuit operator (``owner`` itself too: a Ruby statement ``x ||= 1``) or in a branch of a
    conditional expression. ``known`` keeps the answer of every ``(node, owner)`` passed on the way up, so that
    nested expressions cost linear time."""
    parents = table.parents
    passed = []
    child, ancestor, answer = node, parents[node], False
    while ancestor >= 0:
        if (child, owner) in known:
            answer = known[(child, owner)]
            break
        passed.append(child)
        if _conditional_step(table, child, ancestor, owner):
            answer = True
            break
        if ancestor == owner:
            break
        child, ancestor = ancestor, parents[ancestor]
    for link in passed:
        known[(link, owner)] = answer
    return answer


def _conditional_step(table: SyntaxTable, child: int, ancestor: int, owner: int) -> bool:
    """Whether ``ancestor`` evaluates its child ``child`` on some paths only (see :func:`_is_conditional`)."""
    mode = table.spec.conditional_kinds.get(table.kinds[ancestor])
    if mode == "short_circuit":
        source, starts_b, ends_b = table.parsed.source, table.starts_b, table.ends_b
        left, right = table.field_child(ancestor, "left"), table.field_child(ancestor, "right")
        operator = source[ends_b[left] : starts_b[right]].strip() if left is not None and right is not None else b""
        return (child == right and operator in _SHORT_CIRCUIT) or operator in _LOGICAL_ASSIGNMENTS
    if mode == "branches" and ancestor != owner:
        condition = table.field_child(ancestor, "condition")
        if condition is None and len(table.children[ancestor]) == 3:  # Python: ``a if c else b`` has no fields
            condition = table.children[ancestor][1]
        return child != condition
    return False


def _pattern_top(table: SyntaxTable, node: int, tops: dict[int, int]) -> int:
    """The outermost of the patterns (``spec.pattern_kinds``) that ``node`` sits in, looked through up to one whose
    own position lists ``node``'s field (``a`` in ``[a, [b]] = ...``: the outer list); ``node`` itself when its
    parent is no such pattern. ``tops`` keeps every node's answer, so that nested patterns cost linear time."""
    kinds, parents, fields = table.kinds, table.parents, table.fields
    pattern_kinds, positions = table.spec.pattern_kinds, table.spec.positions
    passed = []
    while node not in tops:
        parent = parents[node]
        if parent < 0 or kinds[parent] not in pattern_kinds or (kinds[parent], fields[node]) in positions:
            tops[node] = node
            break
        passed.append(node)
        node = parent
    for link in passed:
        tops[link] = tops[node]
    return tops[node]


def _positions(unit: Unit) -> tuple[dict[int, int], list[list[int]], list[list[int]]]:
    """Position of each node in ``unit.nodes``, and predecessor/successor position lists."""
    position = {node: k for k, node in enumerate(unit.nodes)}
    preds: list[list[int]] = [[] for _ in unit.nodes]
    succs: list[list[int]] = [[] for _ in unit.nodes]
    for src, dst in unit.edges:
        s, d = position[src], position[dst]
        preds[d].append(s)
        succs[s].append(d)
    return position, preds, succs


#: states per CFG node beyond which data flow merges the ways into ``finally`` clauses (deeply nested ones)
_MAX_STATES_PER_NODE = 8
#: the ways a path took into the ``finally`` clauses around a node: ``(clause, the gate of the way taken in)``
_Ways = tuple[tuple[int, int], ...]
#: a data-flow state: a CFG node and its ways
_State = tuple[int, _Ways]
#: each state's node (its position in ``unit.nodes``) and its predecessors (see :func:`_flow_graph`)
_FlowGraph = tuple[list[int], list[list[tuple[int, bool]]]]


def _flow_graph(unit: Unit) -> _FlowGraph:
    """The graph reaching definitions run on: each state's node (its position in ``unit.nodes``) and its
    predecessors, each flagged when the edge carries what reaches the predecessor rather than what leaves it (an
    exception the predecessor raised: ``unit.raising``, a ``raised`` way into a finally). A state is a node and the
    ways by which its paths entered the ``finally`` clauses around it (:class:`~cpg.cfg.Finally`): each finally is
    analysed once per way in and left only through that way's gate, as if each way had its own copy. Without
    finally clauses the states are the nodes, in order; beyond ``_MAX_STATES_PER_NODE`` states per node the ways
    are merged (one state per node, the CFG's over-approximation)."""
    if not unit.finallies:
        position = {node: k for k, node in enumerate(unit.nodes)}
        preds: list[list[tuple[int, bool]]] = [[] for _ in unit.nodes]
        for src, dst in unit.edges:
            preds[position[dst]].append((position[src], (src, dst) in unit.raising))
        return list(range(len(unit.nodes))), preds
    graph = _explore(unit, merge=False, limit=_MAX_STATES_PER_NODE * len(unit.nodes))
    return graph if graph is not None else _explore(unit, merge=True, limit=len(unit.nodes))


def _explore(unit: Unit, merge: bool, limit: int) -> _FlowGraph | None:
    """:func:`_flow_graph`'s states, reached from the entry and then from the nodes no path reaches (dead code,
    kept as the CFG has it); ``merge``: ignore the ways taken into finally clauses; None past ``limit`` states."""
    position = {node: k for k, node in enumerate(unit.nodes)}
    succs: dict[int, list[int]] = {}
    for src, dst in unit.flow:
        succs.setdefault(src, []).append(dst)
    finallies = {f.clause: f for f in unit.finallies}
    gates = {gate: f.clause for f in unit.finallies for _, gate, _ in f.ways}
    keys: list[_State] = [(node, ()) for node in unit.nodes]
    states = {key: k for k, key in enumerate(keys)}
    preds: list[list[tuple[int, bool]]] = [[] for _ in keys]
    reached: set[int] = set()
    reached_nodes: set[int] = set()
    stack: list[int] = []

    def state(key: _State) -> int:
        k = states.get(key)
        if k is None:
            k = states[key] = len(keys)
            keys.append(key)
            preds.append([])
        if k not in reached:
            reached.add(k)
            reached_nodes.add(key[0])
            stack.append(k)
        return k

    def steps(source: int, target: int, ways: _Ways) -> Iterator[tuple[int, _Ways, bool]]:
        """``(node, ways, raised)`` where an edge from a state with these ``ways`` leads, through any gates."""
        if target in gates:
            clause = gates[target]
            if dict(ways).get(clause, target) == target:  # the gate of the way taken in (any, when merged)
                rest = tuple(way for way in ways if way[0] != clause)
                for after in succs.get(target, ()):
                    yield from steps(target, after, rest)
            return
        ways = tuple(way for way in ways if target in finallies[way[0]].members)  # a jump out of a finally body
        entered = [(gate, raised) for sources, gate, raised in finallies[target].ways if source in sources] \
            if target in finallies else []  # fmt: skip
        if not entered:
            yield target, ways, (source, target) in unit.raising
        for gate, raised in entered:
            yield target, ways if merge else ways + ((target, gate),), raised

    for start in unit.nodes:
        if start in reached_nodes:
            continue
        state((start, ()))
        while stack:
            k = stack.pop()
            node, ways = keys[k]
            for succ in succs.get(node, ()):
                for target, after, raised in steps(node, succ, ways):
                    preds[state((target, after))].append((k, raised))
            if len(keys) > limit:
                return None
    return [position[node] for node, _ in keys], preds


def data_dependencies(unit: Unit, variables: NodeVariables, entries: set[int]) -> list[tuple[int, int, bytes]]:
    """Reaching-definition edges ``(def node, use node, variable name)`` of one unit (bitsets over its
    definitions); one edge per variable, so two statements can be linked by several edges.

    A node that is the entry of *another* unit (a nested function statement) has no definitions or uses here:
    its parameters belong to its own unit. A conditional definition generates a definition but kills none; a
    covered use is reached by no definition from outside its node, except where the node is re-entered (a ``for``
    header's update reads what comes back around the loop: the definitions reaching its back edges). Reaching
    definitions run on :func:`_flow_graph`: a statement that raises defines nothing on the way to its handler, and
    the paths through a ``finally`` go on only to where they were going.
    """
    defs, uses, conditional, covered = variables.defs, variables.uses, variables.conditional, variables.covered
    reentered = variables.reentered
    nodes = unit.nodes
    count = len(nodes)
    own = [node == unit.entry or node not in entries for node in nodes]
    def_node: list[int] = []
    var_mask: dict[bytes, int] = {}
    gen = [0] * count
    defined: list[set[bytes] | None] = [None] * count
    for k, node in enumerate(nodes):
        names = defs.get(node) if own[k] else None
        if names:
            bits = 0
            for name in names:
                bit = 1 << len(def_node)
                def_node.append(node)
                var_mask[name] = var_mask.get(name, 0) | bit
                bits |= bit
            gen[k] = bits
            defined[k] = names
    if not def_node:
        return []
    keep = [-1] * count
    for k, names in enumerate(defined):
        if names:
            killed = 0
            maybe = conditional.get(nodes[k], ())
            for name in names:
                if name not in maybe:
                    killed |= var_mask[name]
            keep[k] = ~(killed & ~gen[k])
    of, preds = _flow_graph(unit)
    gen, keep, count = [gen[i] for i in of], [keep[i] for i in of], len(of)
    carried = 0  # a Ruby block's next run (its entry, state 0) reads what the last one left (at the exit)
    for name in variables.carried.get(unit.entry, ()):
        carried |= var_mask.get(name, 0)
    exit_k = len(unit.nodes) - 1  # the states start with the nodes, in order
    reach_in = [0] * count
    reach_out = gen[:]
    changed = True
    while changed:
        changed = False
        for k in range(count):
            incoming = reach_out[exit_k] & carried if k == 0 else 0
            for p, raised in preds[k]:
                incoming |= reach_in[p] if raised else reach_out[p]
            if incoming != reach_in[k]:
                reach_in[k] = incoming
                changed = True
                reach_out[k] = gen[k] | (incoming & keep[k])
    edges: dict[tuple[int, int, bytes], None] = {}
    for k, i in enumerate(of):
        node, incoming = nodes[i], reach_in[k]
        names = uses.get(node) if own[i] and incoming else None
        captured = variables.captures.get(node) if incoming and node != unit.entry else None
        if captured:
            names = captured | names if names else captured
        if not names:
            continue
        for name in sorted(names):  # sorted: the same edge order in every process (sets of bytes are not)
            bits = incoming & var_mask.get(name, 0)
            if name in covered.get(node, ()):
                back = 0
                if name in reentered.get(node, ()):
                    for p, raised in preds[k]:
                        if nodes[of[p]] > node:  # an edge back from the loop body (node ids are in source order)
                            back |= reach_in[p] if raised else reach_out[p]
                bits &= back
            while bits:
                low = bits & -bits
                edges[(def_node[low.bit_length() - 1], node, name)] = None
                bits ^= low
    return list(edges)


def control_dependencies(unit: Unit) -> list[tuple[int, int]]:
    """Control-dependence edges ``(branch node, dependent node)`` of one unit, from post-dominators
    (Ferrante-Ottenstein-Warren), with two choices: no edges from the entry, and none from a node to itself (the
    textbook makes a loop header control dependent on itself)."""
    nodes = unit.nodes
    count = len(nodes)
    position, _, succs = _positions(unit)
    _connect_dead_ends(succs, position[unit.exit])
    if not any(len(s) > 1 for s in succs):
        return []
    exit_k = position[unit.exit]
    full = (1 << count) - 1
    postdom = [full] * count
    postdom[exit_k] = 1 << exit_k
    changed = True
    while changed:
        changed = False
        for k in range(count - 1, -1, -1):
            if k == exit_k:
                continue
            meet = full
            for s in succs[k]:
                meet &= postdom[s]
            value = (meet if succs[k] else 0) | (1 << k)
            if value != postdom[k]:
                postdom[k] = value
                changed = True
    immediate = [-1] * count
    for k in range(count):
        strict = postdom[k] & ~(1 << k)
        bits = strict
        while bits:
            low = bits & -bits
            d = low.bit_length() - 1
            if postdom[d] == strict:
                immediate[k] = d
                break
            bits ^= low
    edges: list[tuple[int, int]] = []
    for a in range(count):
        if len(succs[a]) < 2:
            continue
        stop = immediate[a]
        for b in succs[a]:
            if postdom[a] >> b & 1:
                continue
            y, steps = b, 0
            while y != -1 and y != stop and steps < count:
                if y != a:
                    edges.append((nodes[a], nodes[y]))
                y = immediate[y]
                steps += 1
    return edges


def _connect_dead_ends(succs: list[list[int]], exit_k: int) -> None:
    """Give the nodes that never reach the exit virtual edges to it, as post-dominator trees do: each node without
    successors (Go ``select {}``) and the first node of each endless loop (Go ``for {}`` without ``break``), so
    that statements there still depend on their branches."""
    count = len(succs)
    preds: list[list[int]] = [[] for _ in succs]
    for k, targets in enumerate(succs):
        for target in targets:
            preds[target].append(k)
    reaches = [False] * count

    def mark(start: int) -> None:
        reaches[start] = True
        stack = [start]
        while stack:
            for pred in preds[stack.pop()]:
                if not reaches[pred]:
                    reaches[pred] = True
                    stack.append(pred)

    mark(exit_k)
    if all(reaches):
        return
    for k in range(count):
        if not reaches[k] and not succs[k]:
            succs[k].append(exit_k)
            mark(k)
    for k in range(count):
        if not reaches[k] and _on_cycle(succs, k):
            succs[k].append(exit_k)
            mark(k)


def _on_cycle(succs: list[list[int]], start: int) -> bool:
    """Whether ``start`` can reach itself."""
    seen, stack = set(), list(succs[start])
    while stack:
        node = stack.pop()
        if node == start:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(succs[node])
    return False
