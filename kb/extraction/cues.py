"""The rules' cue phrases folded into one trie, found in a sentence in a single pass."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kb.extraction import rules
from kb.extraction.text import Token, fold_all, tokenize

FAMILIES: dict[str, tuple[str, ...]] = {
    "neg_clause": rules.NEGATION_CLAUSE,
    "neg_phrase": rules.NEGATION_PHRASE,
    "neg_post": rules.NEGATION_POST,
    "pseudo": rules.PSEUDO_NEGATION,
    "excl_pre": rules.EXCLUSION_PRE,
    "excl_post": rules.EXCLUSION_POST,
    "contrast": rules.CONTRAST,
    "hedge": rules.HEDGES,
    "mis_pre": (*rules.MISDIAGNOSIS_PRE, *rules.TENTATIVE_BEFORE),
    "mis_post": rules.MISDIAGNOSIS_POST,
    "tentative": rules.TENTATIVE_DIAGNOSIS,
    "differential_list": rules.DIFFERENTIAL_LIST,
    "intro": rules.CASE_INTRO,
    "lesson": rules.LESSON,
    "literature": rules.LITERATURE,
    "search": rules.LITERATURE_SEARCH,
    "retrieved": rules.RETRIEVED,
    "anaphora": rules.PATIENT_ANAPHORA,
    "patient": rules.PATIENT_PHRASES,
    "past": rules.PAST_VERBS,
    "mri": rules.MODALITY_MRI,
    "ct": rules.MODALITY_CT,
    "radiograph": rules.MODALITY_RADIOGRAPH,
    "calc": rules.CALCIFICATION_WORDS,
    "confirm": rules.CONFIRM_WORDS,
    "normal_study": rules.NORMAL_STUDY,
    "seen": rules.SEEN_WORDS,
    "lab_normal": rules.LAB_NORMAL,
    "lab_high": rules.LAB_HIGH,
    "analyte": tuple(rules.LAB_ANALYTES),
    "retrospective": rules.DESIGN_RETROSPECTIVE,
    "prospective": rules.DESIGN_PROSPECTIVE,
    "review": rules.DESIGN_REVIEW,
    "own": rules.OWN_PATIENTS,
    "present": rules.PRESENT_MARKERS,
    "general": rules.GENERAL_ADVERBS,
    "other_report": rules.OTHER_REPORT,
    "signal": (*rules.SIGNAL_WORDS, *rules.SIGNAL_ADJECTIVES),
    "sequence": tuple(rules.SEQUENCES),
    "tests": rules.EXCLUDING_TESTS,
    "not_misdiagnosis": rules.NOT_MISDIAGNOSIS_AFTER,
    "kin": rules.KIN_PHRASES,
    "separate": rules.SEPARATE_FROM,
    "spine": rules.SPINE_WORDS,
    **{
        f"pair{i}.{side}": words
        for i, p in enumerate(rules.PAIRS)
        for side, words in (("a", p.a), ("b", p.b))
    },
}
# Cues that a pseudo-trigger ("no change", "cannot be excluded") silences where they overlap.
_SILENCED = ("neg_clause", "neg_phrase", "neg_post", "excl_pre", "excl_post")
_END = ""
_GAP_WORDS = fold_all(rules.CUE_GAP_WORDS)
_NOT_GAP = fold_all(rules.NOT_CUE_GAP_WORDS)


@dataclass(frozen=True)
class Cues:
    """The cue spans of one sentence, by family, as token offsets [start, end)."""

    found: Mapping[str, Sequence[tuple[int, int]]]

    def spans(self, family: str) -> Sequence[tuple[int, int]]:
        """The spans of one family, left to right."""
        return self.found.get(family, ())

    def has(self, family: str) -> bool:
        """True when the sentence holds a cue of the family."""
        return bool(self.found.get(family))


class CueIndex:
    """A trie of folded cue phrases, each ending in the families it belongs to."""

    def __init__(self, families: Mapping[str, Iterable[str]]) -> None:
        """Fold every phrase of every family into the trie."""
        self._root: dict[str, Any] = {}
        for family, phrases in families.items():
            for phrase in phrases:
                node = self._root
                for tok in tokenize(phrase):
                    node = node.setdefault(tok.key, {})
                node.setdefault(_END, set()).add(family)

    def scan(self, tokens: Sequence[Token]) -> Cues:
        """Find every cue of a sentence (overlaps allowed), then silence pseudo-triggers."""
        found: dict[str, list[tuple[int, int]]] = {}
        root = self._root
        for i in [i for i, t in enumerate(tokens) if t.key in root]:
            node = root
            j = i
            while j < len(tokens):
                if tokens[j].key not in node:
                    # one adverb may stand inside a cue: "mistaken preoperatively for"
                    if j == i or j + 1 >= len(tokens) or tokens[j + 1].key not in node:
                        break
                    if not _gap_word(tokens[j]):
                        break
                    j += 1
                node = node[tokens[j].key]
                j += 1
                for family in node.get(_END, ()):
                    found.setdefault(family, []).append((i, j))
        pseudo = found.get("pseudo", [])
        if pseudo:
            for family in _SILENCED:
                if family in found:
                    found[family] = [
                        (a, b)
                        for a, b in found[family]
                        if not any(a < d and c < b for c, d in pseudo)
                    ]
        return Cues(found)


def _gap_word(token: Token) -> bool:
    """Tell whether a word is an adverb that a cue may hold ("was also suggested")."""
    key = token.key
    return key in _GAP_WORDS or (key.endswith("ly") and len(key) > 4 and key not in _NOT_GAP)


@lru_cache(maxsize=1)
def get_cues() -> CueIndex:
    """The cue index of ``kb.rules``, built once."""
    return CueIndex(FAMILIES)
