"""``CALL`` and ``ARGUMENT`` edges of a :class:`~cpg.syntax.SyntaxTable`.

A call (a node type in :attr:`LanguageSpec.calls`) gets an ``ARGUMENT`` edge to each of its arguments and a
``CALL`` edge to every function of the same snippet whose name is the callee's last name (``f(x)``,
``this.f(x)``, ``a.b.f(x)`` all call ``f``). Resolution is by name only: overloads and methods of other classes
with that name are all linked (no types, no arity); calls of functions defined elsewhere get no ``CALL`` edge.
"""

from __future__ import annotations

from cpg.syntax import SyntaxTable

#: fields that lead from a callee expression or a function node to the name (``a.f`` -> ``f``; C declarators)
_NAME_FIELDS = ("name", "attribute", "property", "field", "declarator")
#: leaf node types that are names (``identifier``, ``field_identifier``..., PHP ``name``)
_NAME_KINDS = ("identifier", "name")


def call_edges(table: SyntaxTable) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``(call, function)`` CALL pairs and ``(call, argument)`` ARGUMENT pairs, in node order."""
    calls = table.spec.calls
    if not calls:
        return [], []
    by_name: dict[bytes, list[int]] = {}
    for function in table.functions:
        name = function_name(table, function, fallback=False)
        if name is not None:
            by_name.setdefault(name, []).append(function)
    call_pairs: list[tuple[int, int]] = []
    argument_pairs: list[tuple[int, int]] = []
    skip = table.spec.skip_kinds
    for index, kind in enumerate(table.kinds):
        fields = calls.get(kind)
        if fields is None:
            continue
        callee = table.field_child(index, fields[0])
        name = function_name(table, callee, fallback=True) if callee is not None else None
        call_pairs += [(index, function) for function in by_name.get(name, ())] if name is not None else []
        arguments = table.field_child(index, fields[1])
        if arguments is not None:
            argument_pairs += [(index, a) for a in table.children[arguments] if table.kinds[a] not in skip]
    return call_pairs, argument_pairs


def function_name(table: SyntaxTable, node: int, fallback: bool = False) -> bytes | None:
    """The name a callee expression or a function declaration ends in, or None (an anonymous function, a call of
    a call's result). ``fallback``: without a name field, take the first identifier child (a generic name
    ``F<T>``); not for functions, where that would be a lambda's parameter."""
    identifier_kinds = table.spec.identifier_kinds
    for _ in range(8):  # a name is a few fields deep at most (C: function_definition > declarator > declarator)
        if table.kinds[node] in identifier_kinds or not table.children[node]:
            return table.source_bytes(node) if table.kinds[node].endswith(_NAME_KINDS) else None
        inner = next((c for f in _NAME_FIELDS if (c := table.field_child(node, f)) is not None), None)
        if inner is None and fallback:
            inner = next((c for c in table.children[node] if table.kinds[c] in identifier_kinds), None)
        if inner is None:
            return None
        node = inner
    return None
