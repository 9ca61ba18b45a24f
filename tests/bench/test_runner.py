"""bench/runner.py's figures: the ratio budgets come from the runs that took turns."""

import pytest

from bench.runner import Report, Row, Run, budgets


def _run(rps: float, p95: float = 10.0) -> Run:
    return Run(name="x", path="/", connections=16, requests=100, seconds=10, rps=rps, p95_ms=p95)


def test_the_paired_ratio_is_the_median_of_each_pairs_floor_over_app():
    row = Row("Today page (GET)", _run(100), _run(900), pairs=[(100, 300), (50, 400), (100, 200)])
    assert row.ratio == 9.0
    assert row.paired_ratio == 3.0  # of 3.0, 8.0 and 2.0
    assert Row("x", _run(100), _run(200), pairs=[(0, 300)]).paired_ratio is None
    assert Row("x", _run(100), _run(200)).paired_ratio is None


@pytest.mark.parametrize(("pairs", "value", "met"), [([(100, 150), (100, 250)], 2.0, True),
                                                    ([], 9.0, False)])  # fmt: skip
def test_the_ratio_budgets_use_the_pairs_when_there_are_any(pairs, value, met):
    labels = [
        "Diary save, one tap (POST)", "Today page (GET)", "90-day summary", "Worklist",
        "Triage queue", "Patient page (staff)", "Commissioner dashboard",
        "CSV export, a year (1 connection)",
    ]  # fmt: skip
    report = Report(rows=[Row(label, _run(100), _run(900), pairs=pairs) for label in labels])
    by_name = {item["name"]: item for item in budgets(report)}
    for name in ("Diary save (one tap) vs bare insert", "Today page vs bare read"):
        assert by_name[name]["value"] == value
        assert by_name[name]["met"] is met
    # A budget set as a ratio to another floor is not affected.
    assert by_name["Commissioner dashboard vs hand-written SQL"]["value"] == 9.0


def test_the_pdf_ratio_is_the_median_of_each_rounds_app_over_bare():
    from bench.runner import pdf_ratio

    # A stall during round four's app render: the medians of each side would give 110 / 90 =
    # 1.22, over the limit; the rounds' own ratios give 1.1.
    app = [0.110, 0.300, 0.088, 0.120, 0.099]
    bare = [0.100, 0.270, 0.080, 0.060, 0.090]
    assert pdf_ratio(app, bare) == pytest.approx(1.1)  # of 1.1, 1.11, 1.1, 2.0, 1.1
    with pytest.raises(ValueError):
        pdf_ratio(app, bare[:-1])
