"""Mentions: every concept a sentence names, before the rules read what each one says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.extraction import rules
from kb.extraction.cues import Cues
from kb.extraction.levels import LevelMention, parse_levels
from kb.extraction.lexicon import Definition, Match, get_lexicons
from kb.extraction.text import Token, fold_all, tokenize
from kb.vocabulary import get_concepts, region_of

_LAB_FILLERS = fold_all(rules.LAB_FILLERS)
_LAB_COPULAS = fold_all(rules.LAB_COPULAS)
_SEEN_OBJECTS = fold_all(rules.SEEN_OBJECTS)
_NORMAL_ONLY = frozenset(" ".join(t.key for t in tokenize(n)) for n in rules.NORMAL_ONLY_ANALYTES)
_NOT_LEVEL_AFTER = fold_all(rules.NOT_LEVEL_AFTER)
_REFERRING = fold_all(rules.REFERRING_WORDS)
_HEADS = fold_all(rules.COORDINATED_HEADS)
_OBSERVED = fold_all(rules.OBSERVED)
_OBSERVED_SUBJECTS = fold_all(rules.OBSERVED_SUBJECTS)
_NOT_OBSERVED_AFTER = fold_all(rules.NOT_OBSERVED_AFTER)
_MINOR_AFTER = fold_all(rules.MINOR_AFTER_SIGNAL)
_NOT_LEVEL_BEFORE = fold_all(rules.NOT_LEVEL_BEFORE)
_LEVEL_LINKS = fold_all(rules.LEVEL_LINKS)
_SENSORY = fold_all(rules.SENSORY_WORDS)


@dataclass
class Sentence:
    """One sentence of the title or abstract, with everything read from it."""

    text: str
    section: str
    kind: str
    tokens: list[Token]
    hard: list[int]
    soft: list[int]
    cues: Cues
    scope: str = "background"
    levels: list[LevelMention] = field(default_factory=list)

    @property
    def question(self) -> bool:
        """True for a question, which only raises a possibility."""
        return self.text.rstrip().endswith("?")


@dataclass
class Mention:
    """A concept named in a sentence, before the rules give it a role, polarity and scope."""

    concepts: tuple[str, ...]
    start: int
    end: int
    label: str = ""
    kind: str = "label"
    polarity: str | None = None
    acronym: bool = False


def _signal_mentions(s: Sentence) -> list[Mention]:
    """MRI signal descriptors bound to the sequence they are read on."""
    if not (s.cues.has("signal") and s.cues.has("sequence")):
        return []
    toks = s.tokens
    groups: list[tuple[int, int, frozenset[str]]] = []
    i = 0
    while i < len(toks):
        if toks[i].key not in rules.SEQUENCES:
            i += 1
            continue
        start, j = i, i + 1
        seqs = {rules.SEQUENCES[toks[i].key]}
        while j < len(toks):
            if toks[j].key in rules.SEQUENCE_SUFFIXES:
                j += 1
            elif toks[j].key in ("and", "or") and j + 1 < len(toks):
                if toks[j + 1].key not in rules.SEQUENCES:
                    break
                seqs.add(rules.SEQUENCES[toks[j + 1].key])
                j += 2
            else:
                break
        groups.append((start, j, frozenset(seqs)))
        i = j
    descriptors = _descriptors(toks)
    found: list[Mention] = []
    k = 0
    while k < len(descriptors):
        chain = [descriptors[k]]
        # "iso- to hypointense on T1" is one chain; "high T2 signal and low T1 signal" two,
        # each read on its own sequence.
        while (
            k + 1 < len(descriptors)
            and descriptors[k + 1][0] - chain[-1][1] <= 1
            and not (chain[-1][3] or descriptors[k + 1][3])
        ):
            k += 1
            chain.append(descriptors[k])
        k += 1
        bound = _bind(chain, groups, toks)
        for start, end, value, _ in chain:
            for seq in sorted(bound):
                found.append(
                    Mention((rules.SIGNAL_CONCEPT[seq, value],), start, end, kind="signal")
                )
            if len(bound) == 2:
                found.append(Mention((rules.SAME_SIGNAL_CONCEPT,), start, end, kind="signal"))
    return found


def _descriptors(toks: Sequence[Token]) -> list[tuple[int, int, str, frozenset[str]]]:
    """Signal words ("hypointense", "low T1 signal"), skipping a rim or septa of another signal."""
    found: list[tuple[int, int, str, frozenset[str]]] = []
    for i, tok in enumerate(toks):
        if i >= 2 and toks[i - 1].key == "of" and toks[i - 2].key in rules.MINOR_COMPONENTS:
            continue
        if i >= 3 and toks[i - 2].key == "of" and toks[i - 3].key in rules.MINOR_COMPONENTS:
            continue
        value = rules.SIGNAL_WORDS.get(tok.key)
        if value and (len(tok.key) > 5 or tok.hyphen_after):
            if not _minor_after(toks, i + 1):
                found.append((i, i + 1, value, frozenset()))
            continue
        value = rules.SIGNAL_ADJECTIVES.get(tok.key)
        if not value:
            continue
        j, embedded = i + 1, frozenset[str]()
        if j < len(toks) and toks[j].key == "in":
            j += 1
        if j < len(toks) and toks[j].key in rules.SEQUENCES:  # "low T1 (and T2) signal"
            seqs, j = {rules.SEQUENCES[toks[j].key]}, j + 1
            while j + 1 < len(toks) and toks[j].key in ("and", "or"):
                if toks[j + 1].key not in rules.SEQUENCES:
                    break
                seqs.add(rules.SEQUENCES[toks[j + 1].key])
                j += 2
            embedded = frozenset(seqs)
        if j < len(toks) and toks[j].key in rules.SIGNAL_NOUNS:
            # "a low signal rim" is the rim's; "low signal with rim enhancement" is not
            if j + 1 >= len(toks) or toks[j + 1].key not in _MINOR_AFTER:
                found.append((i, j + 1, value, embedded))
        elif _before_sequence(toks, i + 1):
            found.append((i, i + 1, value, embedded))  # "low on T1 and T2", "bright on T2"
    return found


def _minor_after(toks: Sequence[Token], j: int) -> bool:
    """Tell whether a signal word describes a rim or septa: "a thin hyperintense (outer) rim"."""
    return any(t.key in _MINOR_AFTER for t in toks[j : j + 2])


def _before_sequence(toks: Sequence[Token], j: int) -> bool:
    """Tell whether tokens from j read "on (both) T1...": a sequence the adjective is read on."""
    if j >= len(toks) or toks[j].key != "on":
        return False
    j += 1 + (j + 1 < len(toks) and toks[j + 1].key == "both")
    return j < len(toks) and toks[j].key in rules.SEQUENCES


def _bind(
    chain: list[tuple[int, int, str, frozenset[str]]],
    groups: list[tuple[int, int, frozenset[str]]],
    toks: Sequence[Token],
) -> frozenset[str]:
    """The sequences a chain of descriptors ("iso- to hypointense") is read on."""
    last_end, first_start = chain[-1][1], chain[0][0]
    for start, _, seqs in groups:
        if start < last_end or start - last_end > 4:
            continue
        if start == last_end or toks[start - 1].key in ("on", "in", "both", "the"):
            return seqs
    if chain[0][3]:
        return chain[0][3]
    before = [g for g in groups if g[1] <= first_start]
    return before[-1][2] if before else frozenset()


def _nearest(spans: Sequence[tuple[int, int]], start: int, end: int) -> float:
    """Distance in tokens to the nearest span; one before the mention wins a tie."""
    return min((start - b if b <= start else a - end + 0.5) for a, b in spans)


def _modality_mentions(s: Sentence, after_calc: bool = False) -> list[Mention]:
    """Calcification bound to CT or plain films, or a CT or radiograph that showed nothing.

    A clause that refers back to a calcification already bound to a modality (in this
    sentence, or in the one before when ``after_calc``) and confirms it on another modality
    ("which were confirmed on CT") binds it to that one too.
    """
    c = s.cues
    mods = _modalities(s)
    concepts = {"ct": rules.CT_CONCEPT, "radiograph": rules.RADIOGRAPH_CONCEPT}
    found: list[Mention] = []
    bound: set[str] = set()
    for a, b in c.spans("calc"):
        modality = _closest_modality(s, mods, a, b)
        if modality in concepts:
            bound.add(modality)
            found.append(Mention((concepts[modality],), a, b, kind="modality"))
    if bound or after_calc:
        for a, b in c.spans("confirm"):
            if not _refers_back(s, a):
                continue
            modality = _closest_modality(s, mods, a, b)
            if modality in concepts and modality not in bound:
                bound.add(modality)
                found.append(Mention((concepts[modality],), a, b, kind="modality"))
    for a, b in c.spans("normal_study"):
        modality = _closest_modality(s, mods, a, b)
        if modality in concepts and modality not in bound:
            bound.add(modality)
            found.append(Mention((concepts[modality],), a, b, kind="modality", polarity="absent"))
    if "radiograph" not in bound:
        found += _seen_on_films(s, mods["radiograph"])
    return found


def _seen_on_films(s: Sentence, films: Sequence[tuple[int, int]]) -> list[Mention]:
    """Plain films that showed the lesion, or did not: its calcification there, or none.

    The word that sees stands near the films in their clause, and a word for the lesion in
    the same clause ("radiographs did not show the deposit", "it was not visible on plain
    films"); the mention is the seeing word, so a negation before it makes it absent.
    """
    toks = s.tokens
    for a, b in s.cues.spans("seen"):
        near = [
            f
            for f in films
            if s.soft[f[0]] == s.soft[a] and _nearest([f], a, b) <= rules.SEEN_REACH
        ]
        lesion = any(
            toks[i].key in _SEEN_OBJECTS and s.soft[i] == s.soft[a] and not a <= i < b
            for i in range(len(toks))
        )
        if near and lesion:
            return [Mention((rules.RADIOGRAPH_CONCEPT,), a, b, kind="modality")]
    return []


def _refers_back(s: Sentence, at: int) -> bool:
    """Tell whether a word that refers back ("which", "these") leads to token ``at``.

    The word must follow every calcification of the sentence before ``at``, in its clause.
    """
    after = max((b for a, b in s.cues.spans("calc") if b <= at), default=0)
    clause = s.hard[at]
    return any(s.tokens[i].key in _REFERRING and s.hard[i] == clause for i in range(after, at))


def _modalities(s: Sentence) -> dict[str, list[tuple[int, int]]]:
    """Where the sentence names CT (not "CT-guided"), plain films and MRI."""
    return {
        "ct": [(a, b) for a, b in s.cues.spans("ct") if not _guided(s.tokens, b)],
        "radiograph": list(s.cues.spans("radiograph")),
        "mri": list(s.cues.spans("mri")),
    }


def _guided(toks: Sequence[Token], end: int) -> bool:
    return end < len(toks) and toks[end - 1].hyphen_after and toks[end].key == "guided"


def _closest_modality(s: Sentence, mods: dict[str, list[tuple[int, int]]], a: int, b: int) -> str:
    best: tuple[float, str] | None = None
    for same_clause in (True, False):
        for name, spans in mods.items():
            spans = [x for x in spans if s.hard[x[0]] == s.hard[a]]
            spans = [x for x in spans if not same_clause or s.soft[x[0]] == s.soft[a]]
            if spans:
                d = _nearest(spans, a, b)
                if best is None or d < best[0]:
                    best = (d, name)
        if best:
            return best[1]
    return ""


def _mass_mentions(s: Sentence) -> list[Mention]:
    """A mass that MRI showed (MRI is the nearest imaging named) is a mass-lesion finding."""
    if not s.cues.has("mri"):
        return []
    mods = _modalities(s)
    toks, found = s.tokens, []
    for i, tok in enumerate(toks):
        if tok.key not in rules.MASS_WORDS or _closest_modality(s, mods, i, i + 1) != "mri":
            continue
        if i and toks[i - 1].key in rules.NOT_MASS_BEFORE:
            continue
        if i + 1 < len(toks) and toks[i + 1].key in rules.NOT_MASS_AFTER:
            continue
        found.append(Mention((rules.MRI_CONCEPT,), i, i + 1, kind="mass"))
    return found


def _observation_mentions(s: Sentence) -> list[Mention]:
    """Patients kept under observation: "case 3 was observed", "he was monitored for a year"."""
    toks, found = s.tokens, []
    for i in range(2, len(toks)):
        if toks[i].key not in _OBSERVED or toks[i - 1].key not in ("was", "were"):
            continue
        if i + 1 < len(toks) and toks[i + 1].key in _NOT_OBSERVED_AFTER:
            continue
        subject = toks[max(0, i - 4) : i - 1]
        if any(t.key in _OBSERVED_SUBJECTS for t in subject):
            found.append(Mention((rules.OBSERVATION_CONCEPT,), i, i + 1, kind="observation"))
    return found


def _pair_mentions(s: Sentence) -> list[Mention]:
    """Concepts read from two words near each other ("compression ... of the spinal cord")."""
    found: list[Mention] = []
    for k, pair in enumerate(rules.PAIRS):
        others = s.cues.spans(f"pair{k}.b")
        for a, b in s.cues.spans(f"pair{k}.a"):
            if any(s.soft[c] == s.soft[a] and _paired(pair, a, b, c, d) for c, d in others):
                found.append(Mention((pair.concept,), a, b, kind="pair"))
    return found


def _paired(pair: rules.Pair, a: int, b: int, c: int, d: int) -> bool:
    """Tell whether words [a, b) and [c, d) stand in the pair's order, near enough."""
    if c >= b:
        return pair.order != "ba" and c - b <= pair.reach
    return d <= a and pair.order != "ab" and a - d <= pair.reach


def _coordinated_mentions(s: Sentence) -> list[Mention]:
    """Labels whose head noun a coordination shares: "low back and buttock pain" (back pain)."""
    main, _ = get_lexicons()
    toks, found = s.tokens, []
    for k in range(1, len(toks) - 2):
        if toks[k].key not in ("and", "or"):
            continue
        head = next((h for h in (k + 2, k + 3) if h < len(toks) and toks[h].key in _HEADS), None)
        if head is None or any(s.hard[i] != s.hard[k] for i in range(k, head + 1)):
            continue
        for start in (k - 2, k - 1):
            keys = [t.key for t in toks[max(start, 0) : k]] + [toks[head].key]
            entries = [e for e in main.lookup(keys) if e.concepts and not e.acronym]
            if start >= 0 and entries:
                found.append(Mention(entries[0].concepts, start, head + 1, entries[0].label))
                break
    return found


def _lab_mentions(s: Sentence, taken: set[int]) -> list[Mention]:
    """Normal or raised laboratory values as their condition, absent or present.

    An analyte takes the nearest state that only list words separate from it; on a tie the
    state after it wins ("PTH was elevated"), unless the state directly precedes it ("normal
    calcium"). A state that follows a copula is said of what came before it, never of an
    analyte after it ("phosphate was elevated, calcium and PTH were normal").
    """
    found: list[Mention] = []
    analytes = [(a, b) for a, b in s.cues.spans("analyte") if a not in taken]
    inside = {i for a, b in analytes for i in range(a, b)}
    states = [(a, b, "absent") for a, b in s.cues.spans("lab_normal")]
    states += [(a, b, "present") for a, b in s.cues.spans("lab_high")]
    for a, b in analytes:
        name = " ".join(t.key for t in s.tokens[a:b])
        best: tuple[float, str] | None = None
        for sa, sb, polarity in states:
            if polarity == "present" and name in _NORMAL_ONLY:
                continue
            lo, hi = (sb, a) if sb <= a else (b, sa)
            if hi - lo > rules.LAB_REACH or s.hard[sa] != s.hard[a]:
                continue
            if sb <= a and sa and s.tokens[sa - 1].key in _LAB_COPULAS:
                continue
            gap = [i for i in range(lo, hi) if i not in inside and i not in taken]
            if any(s.tokens[i].key not in _LAB_FILLERS for i in gap):
                continue
            distance = hi - lo + (0.5 if sb <= a and hi > lo else 0)
            if best is None or distance < best[0]:
                best = (distance, polarity)
        if best is not None:
            concept = rules.LAB_ANALYTES[name]
            found.append(Mention((concept,), a, b, kind="lab", polarity=best[1]))
    return found


def _attached(level: LevelMention, mentions: Sequence[Match], s: Sentence) -> Match | None:
    """The concept a level describes: the one right after it, else the one before it."""
    clause = s.soft[level.start]
    for m in mentions:
        if level.end <= m.start < level.end + 3 and s.soft[m.start] == clause:
            return m
    before = [m for m in mentions if m.end <= level.start and s.soft[m.start] == clause]
    return before[-1] if before else None


def _tells_taken(s: Sentence) -> bool:
    """Tell whether a sentence has a cue of what the lesion was taken for."""
    return any(s.cues.has(family) for family in ("mis_pre", "mis_post", "tentative"))


def _other_process_before(toks: Sequence[Token], start: int) -> bool:
    """Tell whether a level is of another process: "a fracture of T12", "a sensory level at T8"."""
    i = start - 1
    while i >= 0 and toks[i].key in _LEVEL_LINKS:
        i -= 1
    if i < 0:
        return False
    if toks[i].key in _NOT_LEVEL_BEFORE:
        return True
    return toks[i].key in ("level", "below") and i > 0 and toks[i - 1].key in _SENSORY


def _level_mentions(s: Sentence, matches: Sequence[Match]) -> list[Mention]:
    """Regions and vertebral bodies from the lesion's levels; keep the levels on the sentence."""
    concepts = get_concepts()
    found: list[Mention] = []
    for level in parse_levels(s.tokens):
        if level.end < len(s.tokens) and s.tokens[level.end].key in _NOT_LEVEL_AFTER:
            continue
        if _other_process_before(s.tokens, level.start):
            continue
        m = _attached(level, matches, s)
        if m is not None:
            if not m.concepts or any(c in rules.NON_LESION_LEVEL_CONCEPTS for c in m.concepts):
                continue
            if set(m.concepts) & set(rules.OTHER_UNLESS_TAKEN) and not _tells_taken(s):
                continue
            if concepts[m.concepts[0]].scheme == "procedure":
                continue
        s.levels.append(level)
        for region in dict.fromkeys(r for v in level.vertebrae if (r := region_of(v))):
            found.append(Mention((region,), level.start, level.end, kind="level"))
        before = [t.key for t in s.tokens[max(0, level.start - 4) : level.start]]
        if "of" in before and set(before) & set(rules.BODY_WORDS):
            i = max(i for i, t in enumerate(s.tokens[: level.start]) if t.key in rules.BODY_WORDS)
            found.append(Mention((rules.VERTEBRAL_BODY,), i, i + 1, kind="level"))
    return found


def sentence_mentions(
    s: Sentence, defined: dict[str, Definition], after_calc: bool = False
) -> list[Mention]:
    """Every concept a sentence names: labels, regions, signals, modalities, labs and levels.

    ``after_calc`` tells that the sentence before bound a calcification to a modality.
    """
    main, regions = get_lexicons()
    matches = main.match(s.tokens, defined)
    found = [
        Mention(m.concepts, m.start, m.end, m.label, acronym=m.acronym)
        for m in (*matches, *regions.match(s.tokens))
        if m.concepts
    ]
    taken = {i for m in matches for i in range(m.start, m.end)}
    found += _signal_mentions(s) + _modality_mentions(s, after_calc)
    found += _mass_mentions(s) + _pair_mentions(s) + _coordinated_mentions(s)
    found += _observation_mentions(s)
    found += _lab_mentions(s, taken) + _level_mentions(s, matches)
    return _without_attributes(s, found)


def _without_attributes(s: Sentence, found: list[Mention]) -> list[Mention]:
    """Drop an outcome word that describes another condition: "recurrent disc herniation".

    Recurrence is an outcome of the lesion, not the course of a disease named beside it
    (at most one word between, no punctuation).
    """
    concepts = get_concepts()
    conditions = [
        m.start
        for m in found
        if m.kind == "label" and concepts[m.concepts[0]].scheme == "condition"
    ]
    if not conditions:
        return found
    return [
        m
        for m in found
        if not (
            m.kind == "label"
            and concepts[m.concepts[0]].scheme == "outcome"
            and any(0 <= c - m.end <= 1 and _joined(s, m.end, c) for c in conditions)
        )
    ]


def _joined(s: Sentence, start: int, end: int) -> bool:
    """Tell whether tokens start..end follow each other with only spaces between."""
    return all(t.gap.strip() == "" for t in s.tokens[start : end + 1])
