"""Sentence splitting, tokens and folding: the text layer extraction stands on."""

from __future__ import annotations

import pytest

from kb.extraction.text import fold, split_sentences, tokenize


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Smith et al. found it. Then more.", ["Smith et al. found it.", "Then more."]),
        ("Values vs. controls were equal. Next.", ["Values vs. controls were equal.", "Next."]),
        ("See Fig. 2 for the mass. Next.", ["See Fig. 2 for the mass.", "Next."]),
        ("Crystals (e.g. CPPD) deposit. Next.", ["Crystals (e.g. CPPD) deposit.", "Next."]),
        ("One kind, i.e. CPPD, was seen. Next.", ["One kind, i.e. CPPD, was seen.", "Next."]),
        ("It measured 1.5 cm. Next.", ["It measured 1.5 cm.", "Next."]),
        ("The mass lay at C4/5. It was removed.", ["The mass lay at C4/5.", "It was removed."]),
        ("Written by D. M. Durant. Next.", ["Written by D. M. Durant.", "Next."]),
        ("Is it TC? A mass at C3.", ["Is it TC?", "A mass at C3."]),
        ("It was seen (Fig. 1). Then it grew.", ["It was seen (Fig. 1).", "Then it grew."]),
    ],
)
def test_sentences_survive_abbreviations_decimals_and_levels(
    text: str, expected: list[str]
) -> None:
    assert sentences(text) == expected


def test_sentence_spans_point_into_the_text_without_outer_spaces() -> None:
    text = "  First one.   Second one.  "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["First one.", "Second one."]


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("tumour", "tumor"),
        ("Tumoural", "tumoral"),
        ("haemodialysis", "hemodialysis"),
        ("oedema", "edema"),
        ("hyperphosphataemia", "hyperphosphatemia"),
        ("recognised", "recognized"),
        ("stabilisation", "stabilization"),
        ("favoured", "favored"),
        ("disk", "disc"),
    ],
)
def test_british_and_american_spellings_fold_to_one_key(british: str, american: str) -> None:
    assert fold(british) == fold(american)


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("masses", "mass"),
        ("diseases", "disease"),
        ("vertebrae", "vertebra"),
        ("laminae", "lamina"),
        ("foramina", "foramen"),
        ("metastases", "metastasis"),
        ("bodies", "body"),
        ("neoplasms", "neoplasm"),
    ],
)
def test_plurals_fold_to_the_singular(plural: str, singular: str) -> None:
    assert fold(plural) == fold(singular)


@pytest.mark.parametrize("word", ["calcinosis", "stenosis", "dens", "abscess", "sepsis"])
def test_words_ending_in_s_that_are_not_plurals_keep_their_s(word: str) -> None:
    assert fold(word) == word


def test_tokens_keep_offsets_into_the_original_sentence_and_note_hyphens() -> None:
    sentence = "Low on T1– and T2-weighted images (Pott’s disease)."
    tokens = tokenize(sentence)
    assert all(sentence[t.start : t.end] == t.text for t in tokens)
    t1 = next(t for t in tokens if t.text == "T1")
    assert t1.hyphen_after  # an en dash counts as a hyphen
    assert "s" not in [t.text for t in tokens]  # the possessive 's is not a word
