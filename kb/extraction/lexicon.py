"""The concept lexicon: every SKOS label of the ontology, folded into a token trie for matching."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kb.extraction import rules
from kb.extraction.text import Token, fold, tokenize
from kb.vocabulary import Concept, get_concepts

_END = ""  # the trie key under which a node keeps the labels that end there
_DETERMINERS = frozenset(rules.DETERMINERS)
_SKIPPED = frozenset((*rules.DETERMINERS, *rules.LABEL_GAP_WORDS))


@dataclass(frozen=True, slots=True)
class Entry:
    """What a label names: its concepts (none for a look-alike phrase), and if it is an acronym."""

    concepts: tuple[str, ...]
    label: str
    acronym: bool


@dataclass(frozen=True, slots=True)
class Definition:
    """A short form the text defines: what it names, and the folded words of its long form."""

    concepts: tuple[str, ...]
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """A label found in a sentence, as token offsets [start, end)."""

    start: int
    end: int
    concepts: tuple[str, ...]
    label: str
    acronym: bool


def is_acronym(label: str) -> bool:
    """Tell whether a label is an acronym ("TC", "CPPD", "SSc", "NSAIDs")."""
    return " " not in label and "-" not in label and sum(c.isupper() for c in label) >= 2


def label_keys(label: str) -> list[tuple[str, ...]]:
    """Fold a label into the key sequences it can appear as: split at hyphens, and fused.

    >>> label_keys("retro-odontoid")
    [('retro', 'odontoid'), ('retroodontoid',)]
    """
    tokens = tokenize(label)
    split = tuple(t.key for i, t in enumerate(tokens) if not (i and t.key in _DETERMINERS))
    variants = [split]
    if any(t.hyphen_after for t in tokens):
        fused: list[str] = []
        word = ""
        for i, t in enumerate(tokens):
            if i and t.key in _DETERMINERS and not word:
                continue
            word += t.lower
            if not t.hyphen_after:
                fused.append(fold(word))
                word = ""
        if word:
            fused.append(fold(word))
        if tuple(fused) != split:
            variants.append(tuple(fused))
    return [v for v in variants if v]


class Lexicon:
    """A trie of folded labels with longest-match search over a sentence's tokens."""

    def __init__(self, labels: Iterable[tuple[str | None, str]]) -> None:
        """Build the trie from (concept id or None, label) pairs; None marks a look-alike phrase."""
        self._root: dict[str, Any] = {}
        for concept, label in labels:
            for keys in label_keys(label):
                self._add(keys, concept, label)

    def _add(self, keys: tuple[str, ...], concept: str | None, label: str) -> None:
        node = self._root
        for key in keys:
            node = node.setdefault(key, {})
        entries: list[Entry] = node.setdefault(_END, [])
        acronym = is_acronym(label)
        for i, e in enumerate(entries):
            if e.acronym == acronym:
                if concept and concept not in e.concepts:
                    entries[i] = Entry((*e.concepts, concept), e.label, acronym)
                return
        entries.append(Entry((concept,) if concept else (), label, acronym))

    def lookup(self, keys: Sequence[str]) -> list[Entry]:
        """Return the entries of an exact key sequence (empty when none)."""
        node = self._root
        for key in keys:
            if key not in node:
                return []
            node = node[key]
        return list(node.get(_END, []))

    def _walk(
        self, tokens: Sequence[Token], i: int, shorts: Mapping[str, Definition] | None = None
    ) -> tuple[int, list[Entry]]:
        """The longest label starting at token i: (end, entries), or (i, []).

        A short form in ``shorts`` may stand for its long form inside a label ("ossification
        of the LF" once "ligamentum flavum (LF)" is defined).
        """
        best: tuple[int, list[Entry]] = (i, [])
        stack = [(self._root, i, False)]
        while stack:
            node, j, skipped = stack.pop()
            if j > i and not skipped and _END in node and j > best[0]:
                usable = [e for e in node[_END] if not e.acronym or _shouted(tokens[i])]
                if usable:
                    best = (j, usable)
            if j >= len(tokens):
                continue
            tok = tokens[j]
            if tok.key in node:
                stack.append((node[tok.key], j + 1, False))
            if tok.hyphen_after and j + 1 < len(tokens):
                fused = fold(tok.lower + tokens[j + 1].lower)
                if fused in node:
                    stack.append((node[fused], j + 2, False))
            if j > i and tok.key in _SKIPPED:
                stack.append((node, j + 1, True))
            long = shorts.get(tok.text) if shorts else None
            if long is not None and long.keys:
                inner: dict[str, Any] | None = node
                for key in long.keys:
                    inner = inner.get(key) if inner is not None else None
                if inner is not None:
                    stack.append((inner, j + 1, False))
        return best

    def match(
        self, tokens: Sequence[Token], defined: Mapping[str, Definition] | None = None
    ) -> list[Match]:
        """Find labels left to right, longest first, without overlaps.

        ``defined`` maps abbreviations the text defines to what they name; an abbreviation
        defined as something outside the vocabulary names nothing and so hides the label.
        A label glued to "-like" ("tumor-like") names nothing.
        """
        found: list[Match] = []
        root = self._root
        shorts = _plurals(defined) if defined else {}
        starts = [
            i for i, t in enumerate(tokens) if t.key in root or t.hyphen_after or t.text in shorts
        ]  # most words start no label: only these are tried
        done = 0
        for i in starts:
            if i < done:
                continue
            short = shorts.get(tokens[i].text)
            end, entries = self._walk(tokens, i, shorts)
            if short is not None and end <= i + 1:
                concepts = short.concepts
                known = self.lookup((tokens[i].key,))
                if known and concepts and set(concepts) <= set(known[0].concepts):
                    concepts = known[0].concepts
                found.append(Match(i, i + 1, concepts, tokens[i].text, True))
                done = i + 1
                continue
            if not entries:
                continue
            done = end
            if not _glued_like(tokens, end):
                entry = entries[0]
                found.append(Match(i, end, entry.concepts, entry.label, entry.acronym))
        return found


def _shouted(token: Token) -> bool:
    return sum(c.isupper() for c in token.text) >= 2


def _glued_like(tokens: Sequence[Token], end: int) -> bool:
    return (
        end < len(tokens) and tokens[end - 1].hyphen_after and tokens[end].key == rules.LIKE_SUFFIX
    )


def _plurals(defined: Mapping[str, Definition]) -> dict[str, Definition]:
    """The defined short forms with their plurals ("NSAID" and "NSAIDs")."""
    return {**{k + "s": v for k, v in defined.items()}, **defined}


def find_abbreviations(tokens: Sequence[Token], lexicon: Lexicon) -> dict[str, Definition]:
    """Find "long form (SF)" definitions in a sentence and what each short form names.

    The long form is the shortest run of words before the parenthesis that starts with the
    short form's first letter and holds its letters in order (after Schwartz and Hearst), and
    that the lexicon reads as one label. A definition of something outside the vocabulary maps
    the short form to () so that a same-looking label is not read.
    """
    found: dict[str, Definition] = {}
    if not any(t.gap.endswith("(") for t in tokens):
        return found
    for k, tok in enumerate(tokens):
        if not (tok.gap.endswith("(") and 2 <= len(tok.text) <= 10 and _shouted_or_mixed(tok)):
            continue
        if k + 1 < len(tokens) and not tokens[k + 1].gap.startswith(")"):
            continue
        short = tok.text[:-1] if tok.text.endswith("s") and tok.text[:-1].isupper() else tok.text
        letters = [c for c in short.lower() if c.isalnum()]
        longest = min(len(letters) + 5, 2 * len(letters))
        meaning: Definition | None = None
        for width in range(1, min(longest, k) + 1):
            window = tokens[k - width : k]
            if not _spells(letters, [t.lower for t in window]):
                continue
            end, entries = lexicon._walk(window, 0)
            if end == width and entries and entries[0].concepts:
                keys = tuple(t.key for t in window if t.key not in _DETERMINERS)
                meaning = Definition(entries[0].concepts, keys)
                break
            if meaning is None:
                meaning = Definition(())
        if meaning is not None:
            found[short] = meaning
    return found


def _shouted_or_mixed(token: Token) -> bool:
    return any(c.isupper() for c in token.text[1:]) or token.text.isupper()


def _spells(letters: list[str], words: list[str]) -> bool:
    """Tell whether the words start with the first letter and hold all letters in order."""
    if not words or not words[0].startswith(letters[0]):
        return False
    text = " ".join(words)
    pos = 0
    for c in letters:
        pos = text.find(c, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def concept_labels(concepts: Mapping[str, Concept]) -> list[tuple[str | None, str]]:
    """Every (concept id, label) pair of the scheme, plus the look-alike phrases of the rules."""
    pairs: list[tuple[str | None, str]] = [
        (c.id, label) for c in concepts.values() for label in c.labels
    ]
    pairs.extend((None, phrase) for phrase in rules.NOT_CONCEPTS)
    return pairs


@lru_cache(maxsize=1)
def get_lexicons() -> tuple[Lexicon, Lexicon]:
    """The project's lexicons, built once: (everything but regions, regions only).

    Regions are matched on their own so that "cervical stenosis" or "neck pain" also name the
    region they contain.
    """
    pairs = concept_labels(get_concepts())
    main = Lexicon(p for p in pairs if not (p[0] or "").startswith("region/"))
    regions = Lexicon(
        [p for p in pairs if (p[0] or "").startswith("region/")]
        + [(None, phrase) for phrase in rules.NOT_REGIONS]
    )
    return main, regions
