"""Bands in words (pathway.instruments.band_label, band_text): every band the scorer can give
reads as words, and PSEQ carries its ePPOC band beside the 20/40 band."""

import pytest

from pathway import instruments
from pathway.instruments import band_label, band_text

BAND_TABLES = {
    "MIDAS": instruments.MIDAS_GRADES,
    "HIT-6": instruments.HIT6_BANDS,
    "PSEQ": instruments.PSEQ_BANDS,
    "PHQ-9": instruments.PHQ9_BANDS,
    "GAD-7": instruments.GAD7_BANDS,
}
EVERY_BAND = [
    *((code, band) for code, table in BAND_TABLES.items() for _, band in table),
    ("ID_MIGRAINE", "positive"),
    ("ID_MIGRAINE", "negative"),
]


@pytest.mark.parametrize(("code", "band"), EVERY_BAND)
def test_every_band_the_scorer_gives_has_words(code, band):
    label = band_label(code, band)
    assert label and "_" not in label
    if "_" in band:
        assert label != band


@pytest.mark.parametrize(
    ("code", "band", "expected"),
    [
        ("PHQ-9", "none_minimal", "none or minimal"),
        ("PHQ-9", "moderately_severe", "moderately severe"),
        ("HIT-6", "severe_impact", "severe impact"),
        ("HIT-6", "substantial_impact", "substantial impact"),
        ("HIT-6", "little_or_no_impact", "little or no impact"),
        ("MIDAS", "IV", "grade IV, severe disability"),
        ("PSFS", "", ""),  # no bands
        ("PHQ-9", "brand_new", "brand new"),  # a code without words is never shown raw
    ],
)
def test_band_codes_read_as_words(code, band, expected):
    assert band_label(code, band) == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (19, "low self-efficacy; ePPOC severity severe"),
        (20, "moderate self-efficacy; ePPOC severity moderate"),
        (31, "moderate self-efficacy; ePPOC severity mild"),
        # clinical-rules.md section 4: 40 is high on the 20/40 rule but still mild on ePPOC.
        (40, "high self-efficacy; ePPOC severity mild"),
        (41, "high self-efficacy; ePPOC severity minimal"),
    ],
)
def test_a_pseq_band_has_its_eppoc_band_beside_it(total, expected):
    band = instruments.score("PSEQ", _pseq_answers(total)).band
    assert band_text("PSEQ", band, total) == expected


def test_only_pseq_gets_an_eppoc_band():
    assert band_text("HIT-6", "some_impact", 52) == "some impact"
    assert band_text("MSK-HQ", "", 30) == ""


def _pseq_answers(total):
    answers = [6] * (total // 6) + [total % 6]
    return answers + [0] * (10 - len(answers))
