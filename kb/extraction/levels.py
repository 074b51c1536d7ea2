"""Spinal levels: vertebra mentions such as "C4/5", "C6 through T1" or "the fifth lumbar"."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kb.extraction import rules
from kb.extraction.text import Token, fold
from kb.vocabulary import VERTEBRAE

_ORDER = {v: i for i, v in enumerate(VERTEBRAE)}
_VERTEBRA = re.compile(r"^([CTLS])([1-9]|1[0-2])$")
_REGION_WORDS = {"cervical": "C", "thoracic": "T", "dorsal": "T", "lumbar": "L", "sacral": "S"}
_NAMED = {
    fold(word): vertebrae
    for word, vertebrae in (
        ("odontoid", ("C2",)),
        ("dens", ("C2",)),
        ("atlantoaxial", ("C1", "C2")),
        ("atlas", ("C1",)),
    )
}
# "axis" names C2 only beside the atlas ("the atlas and axis"), not "the long axis".
_AXIS, _ATLAS = fold("axis"), fold("atlas")
_RANGE = frozenset({"to", "through", "thru", "until"})
_LIST = frozenset({"and", "or", "both"})
_BEFORE_LEVEL = frozenset({"at", "from", "of", "level", "between"})
_AFTER_LEVEL = frozenset({"vertebra", "vertebral", "level", "body", "pedicle", "lamina", "segment"})
# "T1" and "T2" are MRI sequences unless the text shows they are vertebrae.
_SEQUENCE_AFTER = frozenset(
    {*rules.SEQUENCE_SUFFIXES, *rules.SIGNAL_WORDS, *rules.SIGNAL_NOUNS, "images", "hypo"}
)


_STARTERS = frozenset({*rules.ORDINALS, *_NAMED, "atlanto", _AXIS})


@dataclass(frozen=True, slots=True)
class LevelMention:
    """Vertebrae named by tokens [start, end) of a sentence."""

    vertebrae: tuple[str, ...]
    start: int
    end: int


def spine_order(levels: Iterable[str]) -> tuple[str, ...]:
    """Sort vertebra labels from the skull down, without repeats.

    >>> spine_order(["L1", "C7", "T12", "C7"])
    ('C7', 'T12', 'L1')
    """
    return tuple(sorted(set(levels), key=_ORDER.__getitem__))


def vertebra_range(first: str, last: str) -> tuple[str, ...]:
    """Every vertebra from first to last inclusive, across regions ("C6" to "T2").

    >>> vertebra_range("C6", "T2")
    ('C6', 'C7', 'T1', 'T2')
    """
    a, b = sorted((_ORDER[first], _ORDER[last]))
    return VERTEBRAE[a : b + 1]


def _vertebra(text: str) -> str | None:
    m = _VERTEBRA.match(text)
    return text if m and text in _ORDER else None


def _is_ambiguous(v: str) -> bool:
    return v in ("T1", "T2")


def _items(tokens: Sequence[Token], i: int) -> tuple[tuple[str, ...], int, bool] | None:
    """One level item at token i: (vertebrae, next index, ambiguous), or None."""
    tok = tokens[i]
    v = _vertebra(tok.text)
    if v is None:
        return None
    j = i + 1
    if j < len(tokens) and tokens[j].gap in ("-", "/") and tokens[j].text.isdigit():
        number = int(tokens[j].text)
        other = f"{v[0]}{number}"
        if other in _ORDER and _ORDER[other] > _ORDER[v]:
            return vertebra_range(v, other), j + 1, False
    if j < len(tokens) and tokens[j].gap in ("-", "/") and _vertebra(tokens[j].text):
        last = tokens[j].text
        return vertebra_range(v, last), j + 1, _is_ambiguous(v) and _is_ambiguous(last)
    return (v,), j, _is_ambiguous(v)


def _sure_vertebra(tokens: Sequence[Token], start: int, end: int) -> bool:
    """Tell whether an ambiguous T1/T2 mention reads as a vertebra from its neighbours."""
    before = tokens[start - 1].key if start else ""
    after = tokens[end].key if end < len(tokens) else ""
    if after in _SEQUENCE_AFTER or tokens[end - 1].hyphen_after:
        return False
    return before in _BEFORE_LEVEL or after in _AFTER_LEVEL


def _chain(tokens: Sequence[Token], i: int) -> LevelMention | None:
    """Read a chain of level items joined by ranges and lists, starting at token i."""
    first = _items(tokens, i)
    if first is None:
        return None
    found = list(first[0])
    end = first[1]
    ambiguous = first[2]
    while end < len(tokens):
        j = end
        joiner = "list" if "," in tokens[j].gap else None
        while j < len(tokens) and tokens[j].key in (_RANGE | _LIST):
            joiner = "range" if tokens[j].key in _RANGE else "list"
            j += 1
        if joiner is None or j >= len(tokens):
            break
        nxt = _items(tokens, j)
        if nxt is None:
            break
        if joiner == "range":
            found.extend(vertebra_range(found[-1], nxt[0][0]))
        found.extend(nxt[0])
        ambiguous = ambiguous and nxt[2]
        end = nxt[1]
    if ambiguous and not _sure_vertebra(tokens, i, end):
        return None
    return LevelMention(spine_order(found), i, end)


def _ordinals(tokens: Sequence[Token], i: int) -> LevelMention | None:
    """Read "the fourth and fifth lumbar (vertebrae)" starting at token i."""
    numbers: list[int] = []
    ranges: list[bool] = []
    j = i
    while j < len(tokens) and tokens[j].key in rules.ORDINALS:
        numbers.append(rules.ORDINALS[tokens[j].key])
        j += 1
        joined = False
        while j < len(tokens) and tokens[j].key in (_RANGE | _LIST):
            joined = joined or tokens[j].key in _RANGE
            j += 1
        ranges.append(joined)
    if not numbers:
        return None
    while j > i and tokens[j - 1].key in (_RANGE | _LIST):
        j -= 1
    if j >= len(tokens) or tokens[j].key not in _REGION_WORDS:
        return None
    letter = _REGION_WORDS[tokens[j].key]
    names = [f"{letter}{n}" for n in numbers]
    if any(n not in _ORDER for n in names):
        return None
    found: list[str] = []
    for k, name in enumerate(names):
        if k and ranges[k - 1]:
            found.extend(vertebra_range(found[-1], name))
        found.append(name)
    return LevelMention(spine_order(found), i, j + 1)


def _next_key(tokens: Sequence[Token], i: int) -> str:
    return tokens[i + 1].key if i + 1 < len(tokens) else ""


def parse_levels(tokens: Sequence[Token]) -> list[LevelMention]:
    """Find every level mention of a sentence, left to right.

    >>> from kb.extraction.text import tokenize
    >>> [m.vertebrae for m in parse_levels(tokenize("Masses at C4/5 and C6 through T1."))]
    [('C4', 'C5', 'C6', 'C7', 'T1')]
    """
    found: list[LevelMention] = []
    starts = [
        i
        for i, t in enumerate(tokens)
        if t.key in _STARTERS or (t.text[:1] in "CTLS" and _VERTEBRA.match(t.text))
    ]
    done = 0
    for i in starts:
        if i < done:
            continue
        key = tokens[i].key
        mention = _chain(tokens, i) or _ordinals(tokens, i)
        if mention is None and key in _NAMED:
            mention = LevelMention(_NAMED[key], i, i + 1)
        if mention is None and key == "atlanto" and _next_key(tokens, i) == "axial":
            mention = LevelMention(("C1", "C2"), i, i + 2)
        if mention is None and key == _AXIS and any(t.key == _ATLAS for t in tokens):
            mention = LevelMention(("C2",), i, i + 1)
        if mention is not None:
            found.append(mention)
            done = mention.end
    return found
