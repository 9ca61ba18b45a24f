"""How a questionnaire's band reads on a page.

`pathway.instruments` scores into short band codes (DESIGN.md section 4: `none_minimal`,
`severe_impact`, MIDAS `I`..`IV`); staff pages show these words instead. The kernel has no
labels for its codes yet, so they are kept here, beside the only pages that show bands; they
belong next to the band tables in `pathway.instruments` once it has them. Pure data and
functions, no database.
"""

from __future__ import annotations

from pathway import instruments

# (instrument code, band code) -> words for clinicians. Wording follows clinical-rules.md
# sections 1-4 and 7.
BAND_LABELS: dict[tuple[str, str], str] = {
    ("ID_MIGRAINE", "positive"): "positive screen",
    ("ID_MIGRAINE", "negative"): "negative screen",
    ("MIDAS", "I"): "grade I, little or no disability",
    ("MIDAS", "II"): "grade II, mild disability",
    ("MIDAS", "III"): "grade III, moderate disability",
    ("MIDAS", "IV"): "grade IV, severe disability",
    ("HIT-6", "little_or_no_impact"): "little or no impact",
    ("HIT-6", "some_impact"): "some impact",
    ("HIT-6", "substantial_impact"): "substantial impact",
    ("HIT-6", "severe_impact"): "severe impact",
    ("PSEQ", "low"): "low",
    ("PSEQ", "moderate"): "moderate",
    ("PSEQ", "high"): "high",
    ("PHQ-9", "none_minimal"): "none or minimal",
    ("PHQ-9", "mild"): "mild",
    ("PHQ-9", "moderate"): "moderate",
    ("PHQ-9", "moderately_severe"): "moderately severe",
    ("PHQ-9", "severe"): "severe",
    ("GAD-7", "minimal"): "minimal",
    ("GAD-7", "mild"): "mild",
    ("GAD-7", "moderate"): "moderate",
    ("GAD-7", "severe"): "severe",
}


def band_label(instrument: str, band: str) -> str:
    """The words for `band` of `instrument`; "" for no band. A code with no label (a band added
    to the kernel after this map) reads as its code with spaces for underscores, never raw."""
    if not band:
        return ""
    return BAND_LABELS.get((instrument, band), band.replace("_", " "))


def band_text(instrument: str, band: str, total: float) -> str:
    """A result's band as shown beside its score: the band's words and, for PSEQ, the ePPOC
    band reported beside the 20/40 band (clinical-rules.md section 4), e.g. "high; ePPOC band
    mild" for 40. "" when the instrument has no bands."""
    label = band_label(instrument, band)
    if instrument == "PSEQ" and label:
        return f"{label}; ePPOC band {instruments.eppoc_band(total)}"
    return label
