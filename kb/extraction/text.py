"""Text for extraction: sentences, tokens with offsets, and the folded keys that matching uses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+")
_WORD = re.compile(r"[^\W_]+")
_OPENERS = "\"'“‘([{"
# Words whose full stop does not end a sentence ("et al.", "Fig. 2", "e.g. CPPD").
_ABBREVIATIONS = frozenset(
    {"al", "vs", "fig", "figs", "e.g", "i.e", "eg", "ie", "approx", "ca", "cf", "dr", "prof",
     "no", "nos", "vol", "ref", "refs", "resp", "incl", "st", "sp", "spp", "pt", "pts", "dept",
     "univ", "ed", "eds", "op"}
)  # fmt: skip
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})

# Irregular plurals and the spellings the folding rules below would get wrong.
_IRREGULAR = {
    "vertebrae": "vertebra",
    "laminae": "lamina",
    "foramina": "foramen",
    "metastases": "metastasis",
    "diagnoses": "diagnosis",
    "analyses": "analysis",
    "stenoses": "stenosis",
    "prostheses": "prosthesis",
    "exostoses": "exostosis",
    "apophyses": "apophysis",
    "epiphyses": "epiphysis",
    "septa": "septum",
    "foci": "focus",
    "nuclei": "nucleus",
    "tophi": "tophus",
    "bursae": "bursa",
    "sequelae": "sequela",
    "criteria": "criterion",
    "dens": "dens",
    "women": "woman",
    "men": "man",
    "children": "child",
    "disk": "disc",
    "disks": "disc",
}
_BRITISH = (
    (re.compile(r"our(s|al|ed|ing|able|ite|ites)?$"), r"or\1"),
    (re.compile(r"(?<=[^aeiou])ae(?=[a-z])"), "e"),
    (re.compile(r"^oe|(?<=[cf])oe"), "e"),
    (re.compile(r"(?<=.{3})is(e|es|ed|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"ys(e|es|ed|ing)$"), r"yz\1"),
    (re.compile(r"(?<=[tb])re(s|d)?$"), r"er\1"),
    (re.compile(r"^disk"), "disc"),
)


@lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """Fold one word to the key that matching compares: lower case, American, singular.

    >>> [fold(w) for w in ("Tumours", "haemodialysis", "masses", "vertebrae", "calcinosis")]
    ['tumor', 'hemodialysis', 'mass', 'vertebra', 'calcinosis']
    """
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) > 4:
        for pattern, repl in _BRITISH:
            w = pattern.sub(repl, w)
        if w.endswith("ae"):
            return w[:-1]  # a Latin plural: "paraesthesiae", "bursae"
    if len(w) <= 3 or not w.endswith("s"):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "xes")):
        return w[:-2]
    if w.endswith(("ss", "us", "is")):
        return w
    return w[:-1]


def fold_all(words: Iterable[str]) -> frozenset[str]:
    """Fold a list of single words into the set of keys they match."""
    return frozenset(fold(w) for w in words)


def normalise(text: str) -> str:
    """Replace every dash and hyphen variant with "-" (one character for one, offsets hold)."""
    return text.translate(_DASHES)


def _is_abbreviation(text: str, dot: int) -> bool:
    start = dot
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:dot].lstrip(_OPENERS).lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _opens_sentence(text: str, pos: int) -> bool:
    while pos < len(text) and text[pos] in _OPENERS:
        pos += 1
    return pos < len(text) and (text[pos].isupper() or text[pos].isdigit())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split text into sentences and return their (start, end) offsets, without outer spaces.

    A full stop after an abbreviation ("et al.", "Fig.", "e.g.") or an initial does not end a
    sentence, nor does one inside a number ("1.5") or a level ("C4/5").

    >>> t = "Smith et al. found it. Fig. 2 shows C4/5. It was 1.5 cm."
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['Smith et al. found it.', 'Fig. 2 shows C4/5.', 'It was 1.5 cm.']
    """
    spans = []
    start = len(text) - len(text.lstrip())
    for m in _BOUNDARY.finditer(text):
        if m.end() >= len(text) or not _opens_sentence(text, m.end()):
            continue
        if text[m.start()] == "." and _is_abbreviation(text, m.start()):
            continue
        end = m.start() + len(m.group().rstrip())
        if end > start:
            spans.append((start, end))
        start = m.end()
    end = len(text.rstrip())
    if end > start:
        spans.append((start, end))
    return spans


class Token(NamedTuple):
    """A word of a sentence: its text, offsets, folded key and what joins it to its neighbours."""

    text: str
    start: int
    end: int
    key: str
    lower: str
    gap: str
    hyphen_after: bool


_new = tuple.__new__  # builds a Token without the keyword handling of its generated __new__


def tokenize(sentence: str) -> list[Token]:
    """Split a sentence into words (letters and digits) with offsets and folded keys.

    ``gap`` is the text between the previous word and this one; ``hyphen_after`` is true when a
    hyphen joins this word to the next ("soft-tissue", "T1- and T2-weighted").
    """
    text = normalise(sentence)
    tokens: list[Token] = []
    append = tokens.append
    previous_end = 0
    for m in _WORD.finditer(text):
        start, end = m.span()
        word = m.group()
        if word in ("s", "S") and tokens and text[start - 1 : start] in "'’":
            previous_end = end
            continue
        lower = word.lower()
        gap = text[previous_end:start]
        hyphen = text[end : end + 1] == "-"
        append(_new(Token, (word, start, end, fold(lower), lower, gap, hyphen)))
        previous_end = end
    return tokens


_PARENTHETICAL = frozenset({"however", "though"})


def _parenthetical(tokens: list[Token], i: int) -> bool:
    """An adverb set off by commas (", however,") joins rather than splits its clause."""
    if tokens[i].key not in _PARENTHETICAL or i + 1 >= len(tokens):
        return False
    return "," in tokens[i].gap and "," in tokens[i + 1].gap


def _adverb(tokens: list[Token], i: int) -> bool:
    """Tell whether "yet" is an adverb ("not yet on dialysis", "as yet"), not a conjunction."""
    return tokens[i].key == "yet" and tokens[i - 1].key in ("not", "as")


def clause_ids(
    tokens: list[Token], words: frozenset[str], soft_words: frozenset[str], punctuation: str
) -> tuple[list[int], list[int]]:
    """Number the clauses of a sentence, for each token: (hard clauses, soft clauses).

    A hard clause ends at ``punctuation`` or before one of ``words`` ("but", "which") unless
    commas set the word off; a soft clause also ends at a comma followed by one of
    ``soft_words`` (", and").
    """
    hard: list[int] = []
    soft: list[int] = []
    marks = frozenset(punctuation)
    h = s = 0
    for i, tok in enumerate(tokens):
        if i:
            gap = tok.gap
            if (gap != " " and not marks.isdisjoint(gap)) or (
                tok.key in words and not _parenthetical(tokens, i) and not _adverb(tokens, i)
            ):
                h += 1
                s += 1
            elif tok.key in soft_words and "," in tok.gap:
                s += 1
        hard.append(h)
        soft.append(s)
    return hard, soft
