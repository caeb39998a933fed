"""A Javadoc comment's first sentence as plain text: the code-summarization target (CodeSearchNet's procedure)."""

from __future__ import annotations

import html
import re

_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
INHERIT_DOC = "{@inheritDoc}"


def description(comment: str) -> str:
    """The main description of a ``/** ... */`` comment: the text before its first block tag (``@param``, ...),
    with the comment markers and each line's leading ``*`` removed, lines joined by spaces."""
    body = comment.strip()
    body = body[3:] if body.startswith("/**") else body
    body = body[:-2] if body.endswith("*/") else body
    lines = []
    for line in body.splitlines():
        line = line.strip()
        line = line[1:].strip() if line.startswith("*") else line
        if line.startswith("@"):
            break
        lines.append(line)
    return " ".join(line for line in lines if line)


def replace_inline_tags(text: str) -> str:
    """``{@code x}``, ``{@literal x}`` -> ``x``; ``{@link Type#member(args) label}`` -> ``label``, else
    ``Type.member``; other inline tags -> their argument, HTML-escaped (it is text, decoded with the rest of the
    comment). Braces nested inside a tag are kept balanced."""
    out: list[str] = []
    position = 0
    while True:
        start = text.find("{@", position)
        if start < 0:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position:start])
        depth, end = 0, start
        while end < len(text):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
            end += 1
        inner = text[start + 2:end].strip()
        tag, _, argument = inner.partition(" ")
        argument = argument.strip()
        if tag in ("link", "linkplain", "see", "value"):
            reference, _, label = argument.partition(" ")
            argument = label.strip() or _reference_text(reference)
        out.append(html.escape(argument, quote=False))  # code such as Map<K, V> is text, not an HTML tag
        position = end + 1


def _reference_text(reference: str) -> str:
    reference = reference.split("(", 1)[0]
    return reference.lstrip("#").replace("#", ".")


def first_sentence(comment: str) -> str:
    """The first sentence of the comment's description as plain text (inline tags resolved, HTML tags removed,
    entities decoded, whitespace collapsed), without its final period; ``""`` when there is none."""
    text = replace_inline_tags(description(comment))
    text = html.unescape(_HTML_TAG.sub(" ", text))
    text = " ".join(text.split())
    end = _SENTENCE_END.search(text)
    sentence = text[: end.start()] if end else text
    return sentence.strip()


def is_english(text: str, min_ascii_share: float = 0.9) -> bool:
    """Whether at least ``min_ascii_share`` of the letters in ``text`` are ASCII (a cheap stand-in for
    CodeSearchNet's language filter: it drops Chinese, Japanese, Cyrillic... comments)."""
    letters = [c for c in text if c.isalpha()]
    return not letters or sum(c.isascii() for c in letters) / len(letters) >= min_ascii_share
