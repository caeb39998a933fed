"""Reference bindings (aliases) within a unit: PHP ``$y = &$x``, ``foreach ($xs as &$v)``, ``[$a, &$b] = $xs``.

A binding makes a name an alias: of a variable (``$y = &$x``: both names are one variable) or of an element of an
array variable (``$v`` in ``foreach ($xs as &$v)``, ``$w = &$xs[0]``). While it holds, a write to the alias may
define the variable it refers to, and a write to a variable may define the names bound to it with ``=&``: *may*
definitions, which kill no earlier definition. Bindings flow forward along the CFG: one holds at a node when it is
made on some path to the node and not ended since, by binding either name anew (``$y = &$z``, another
by-reference ``foreach``) or by ``unset``. Binding a reference writes neither name.

Simplifications: bindings do not compose (after ``$y = &$x; $z = &$y;`` a write to ``$z`` may define ``$y``, not
``$x``); a plain assignment to an array does not end a reference to one of its elements; references to fields or
call results (``$r = &$this->x``) bind nothing (they still end the alias's earlier bindings).
"""

from __future__ import annotations

from dataclasses import dataclass

from cpg.cfg import Unit
from cpg.syntax import SyntaxTable


@dataclass(frozen=True)
class Alias:
    """``name`` refers to ``target``: the same variable when ``mutual``, else an element of it."""

    name: bytes
    target: bytes
    mutual: bool


@dataclass
class Bindings:
    """Per CFG node: the aliases it makes, and the names whose bindings it ends (bound anew, or unset)."""

    made: dict[int, set[Alias]]
    ended: dict[int, set[bytes]]


def add_reference_writes(
    table: SyntaxTable,
    units: list[Unit],
    owner: list[int],
    defs: dict[int, set[bytes]],
    conditional: dict[int, set[bytes]],
) -> None:
    """Add to ``defs`` (and to ``conditional``: they kill nothing) the may-definitions made by writes through the
    references that hold at each node; ``owner`` maps each syntax node to its CFG node (-1: none)."""
    if not table.spec.references:
        return
    bindings = find_bindings(table, owner)
    if not bindings.made:
        return
    entries = {unit.entry for unit in units}
    for unit in units:
        for node, aliases in holding(unit, bindings).items():
            if node in entries:  # an entry defines parameters only (a nested function's: its own unit's)
                continue
            written = defs.get(node, set()) - bindings.ended.get(node, set())
            for alias in aliases:
                writes = [(alias.name, alias.target)] + ([(alias.target, alias.name)] if alias.mutual else [])
                for source, other in writes:
                    if source in written and other not in defs[node]:
                        defs[node].add(other)
                        conditional.setdefault(node, set()).add(other)


def find_bindings(table: SyntaxTable, owner: list[int]) -> Bindings:
    """The reference bindings made and ended at each CFG node (see ``LanguageSpec.references``)."""
    parts, kinds, children = table.spec.references, table.kinds, table.children
    identifiers = table.spec.identifier_kinds
    bindings = Bindings({}, {})
    for index, kind in enumerate(kinds):
        part, node = parts.get(kind), owner[index]
        if part is None or part == "element" or node < 0:
            continue
        if part == "unbind":
            names = {table.source_bytes(child) for child in children[index] if kinds[child] in identifiers}
            bindings.ended.setdefault(node, set()).update(names)
            continue
        if part == "bind":
            alias, referent = table.field_child(index, "left"), _referent(table, table.field_child(index, "right"))
        else:  # by_ref: an element of the value it is bound from
            alias = next((child for child in children[index] if kinds[child] in identifiers), None)
            referent = _referent(table, _bound_from(table, index))
            referent = (referent[0], False) if referent is not None else None
        if alias is None or kinds[alias] not in identifiers:
            continue
        name = table.source_bytes(alias)
        bindings.ended.setdefault(node, set()).add(name)
        if referent is not None and referent[0] != name:
            bindings.made.setdefault(node, set()).add(Alias(name, *referent))
    return bindings


def holding(unit: Unit, bindings: Bindings) -> dict[int, set[Alias]]:
    """The aliases that hold on entry to the nodes of ``unit`` (made on some path to them, not ended since); nodes
    that none reaches are left out."""
    made, ended = bindings.made, bindings.ended
    if not any(node in made for node in unit.nodes):
        return {}
    preds: dict[int, list[int]] = {}
    for src, dst in unit.edges:
        preds.setdefault(dst, []).append(src)
    reach_in: dict[int, set[Alias]] = {node: set() for node in unit.nodes}
    reach_out = {node: set(made.get(node, ())) for node in unit.nodes}
    changed = True
    while changed:
        changed = False
        for node in unit.nodes:
            incoming = set().union(*(reach_out[pred] for pred in preds.get(node, ())))
            if incoming == reach_in[node]:
                continue
            reach_in[node] = incoming
            stop = ended.get(node, set())
            out = {a for a in incoming if a.name not in stop and a.target not in stop} | made.get(node, set())
            if out != reach_out[node]:
                reach_out[node], changed = out, True
    return {node: aliases for node, aliases in reach_in.items() if aliases}


def _bound_from(table: SyntaxTable, by_ref: int) -> int | None:
    """The value a by-reference target is bound from: a ``foreach``'s iterated value, a destructuring's right
    side; None when ``by_ref`` is no such target (``[&$x]`` on a right side, a closure's ``use`` list)."""
    kinds, parents, fields, children = table.kinds, table.parents, table.fields, table.children
    positions, pattern_kinds = table.spec.positions, table.spec.pattern_kinds
    top, parent = by_ref, parents[by_ref]
    while parent >= 0 and kinds[parent] in pattern_kinds:
        top, parent = parent, parents[parent]
    if parent < 0:
        return None
    position = positions.get((kinds[parent], fields[top])) or positions.get((kinds[parent], None))
    if position == "assign" and fields[top] == "left":
        return table.field_child(parent, "right")
    if position == "def_unless_first" and children[parent][0] != top:
        return children[parent][0]
    return None


def _referent(table: SyntaxTable, index: int | None) -> tuple[bytes, bool] | None:
    """The variable that ``index`` names (``(name, True)``) or whose element it accesses (``$xs[1][2]``:
    ``(b"$xs", False)``); None for anything else (a field, a call)."""
    kinds, parts, identifiers = table.kinds, table.spec.references, table.spec.identifier_kinds
    direct = True
    while index is not None and kinds[index] not in identifiers:
        if parts.get(kinds[index]) != "element" or not table.children[index]:
            return None
        index, direct = table.children[index][0], False
    return (table.source_bytes(index), direct) if index is not None else None
