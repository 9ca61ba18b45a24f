import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify

from pathway.charts import horizontal_bars
from pathway.dashboard import snapshots
from pathway.dashboard.forms import DashboardFilterForm
from pathway.dashboard.rules import NO_DATA, NOT_APPLICABLE, SUPPRESSED, csv_safe
from pathway.dashboard.scope import organisations_for
from pathway.models import Organisation
from pathway.views.access import commissioner_required

# Said beside every table on the page and in print, and under every exported table.
SMALL_NUMBERS_NOTE = (
    "Counts of 1 to 7 are shown as *, other counts are rounded to the nearest 5, "
    "percentages are worked out from the rounded counts and suppressed when the count, its "
    "total or the rest of the total is from 1 to 7, and other figures built on a suppressed "
    "count are suppressed."
)
# A dash on the page is NO_DATA or NOT_APPLICABLE (a screen reader hears which); an exported
# table writes NOT_APPLICABLE out in words, so only the first is a dash there.
NO_DATA_NOTE = (
    "A dash (–) means there is no data to work the figure out from, or that the figure does "
    "not apply (a total has no rate of its own)."
)
EXPORT_NO_DATA_NOTE = "A dash (–) means there is no data to work the figure out from."


def _page(request, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """A dashboard page, with what its tables' symbols mean."""
    return render(
        request,
        template,
        {
            "suppressed": SUPPRESSED,
            "no_data": NO_DATA,
            "not_applicable": NOT_APPLICABLE,
            "small_numbers_note": SMALL_NUMBERS_NOTE,
            "no_data_note": NO_DATA_NOTE,
            **context,
        },
        status=status,
    )


def _not_linked(request) -> HttpResponse:
    """Said to an account the dashboard has no area for (a commissioner not yet made a member
    of an ICB): a page saying so and who can put it right, not a missing page."""
    return render(request, "dashboard/no_area.html", status=403)


def _filtered(request) -> DashboardFilterForm | None:
    """The filter form, bound to the query and limited to the areas `request.user` may report
    on; None when there are none."""
    organisations = organisations_for(request.user)
    if not organisations.exists():
        return None
    data = request.GET.copy()
    data.setdefault("organisation", str(organisations.first().pk))
    data.setdefault("period", "quarter")
    form = DashboardFilterForm(data, organisations=organisations)
    return form


def _minutes(interval) -> int:
    return int(interval.total_seconds() // 60)


def _recalculated(organisation: Organisation, period_choice: str) -> str:
    """When the figures shown are worked out again (pathway.dashboard.snapshots): every few
    minutes by the beat job for an ICB or PCN over a standard period, otherwise on a view once
    they have grown old."""
    if (
        organisation.kind in snapshots.REFRESHED_KINDS
        and period_choice in snapshots.STANDARD_PERIODS
    ):
        return f"They are recalculated every {_minutes(snapshots.REFRESH_EVERY)} minutes."
    return (
        "They are recalculated when the page is viewed once they are more than "
        f"{_minutes(snapshots.MAX_AGE)} minutes old."
    )


# A table with more rows than this (a custom period of many months) cannot print whole on one
# A4 page with its chart: it is marked long, and its rows may run on to the next page.
PRINT_ROWS_ON_A_PAGE = 15


def _with_charts(tables):
    charted = []
    for table in tables:
        svgs = None
        if table.chart:
            bars = [
                (row[table.chart.label_column], row[table.chart.value_column]) for row in table.rows
            ]
            # Drawn twice: labels beside the bars, and above them for a phone (static/css).
            svgs = [
                horizontal_bars(
                    chart_id=f"chart-{table.key}{suffix}",
                    title=table.title,
                    description=f"Bar chart of {table.chart.shows or table.title.lower()}; the "
                    "same figures are in the table that follows.",
                    bars=bars,
                    unit=table.chart.unit,
                    maximum=table.chart.maximum,
                    stacked=stacked,
                )
                for suffix, stacked in (("", False), ("-stacked", True))
            ]
        charted.append(
            {"table": table, "svgs": svgs, "long": len(table.rows) > PRINT_ROWS_ON_A_PAGE}
        )
    return charted


def _dashboard(request, *, printable: bool):
    form = _filtered(request)
    if form is None:
        return _not_linked(request)
    context = {"form": form, "printable": printable}
    if form.is_valid():
        organisation = form.cleaned_data["organisation"]
        tables, as_of = snapshots.tables_for(organisation, form.reporting_period)
        context.update(
            organisation=organisation,
            period=form.reporting_period,
            as_of=as_of,
            recalculated=_recalculated(organisation, form.cleaned_data["period"]),
            tables=_with_charts(tables),
            query=request.GET.urlencode(),
        )
    if printable and not form.is_valid():
        # Nothing to print: the dashboard's own form says what is wrong, keeping the choices,
        # and its error links lead to the answers to change.
        context["printable"] = False
        return _page(request, "dashboard/home.html", context, status=400)
    template = "dashboard/print.html" if printable else "dashboard/home.html"
    return _page(request, template, context)


@commissioner_required
def home(request):
    return _dashboard(request, printable=False)


@commissioner_required
def printable(request):
    return _dashboard(request, printable=True)


def _span(table, period) -> str:
    """The time a table's figures cover, for its CSV title."""
    return f"not limited to {period.label}: {table.covers}" if table.covers else period.label


@commissioner_required
def export(request, key: str):
    form = _filtered(request)
    if form is None:
        return _not_linked(request)
    if not form.is_valid():
        # A hand-edited or stale link: the dashboard says what is wrong with its choices.
        return _page(request, "dashboard/home.html", {"form": form, "printable": False}, status=400)
    tables, as_of = snapshots.tables_for(form.cleaned_data["organisation"], form.reporting_period)
    table = next((t for t in tables if t.key == key), None)
    if table is None:
        raise Http404("No such table")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    organisation = form.cleaned_data["organisation"]
    period = form.reporting_period
    name = slugify(
        f"{table.key} {organisation.name} {period.start:%Y-%m} to {period.last_day:%Y-%m}"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    # A byte order mark, so that spreadsheet programs read the file as UTF-8 (the en dash in
    # "April – June" and the names of places).
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            csv_safe(
                f"{table.title} - {organisation.name} - "
                f"{_span(table, period)} - figures as of "
                f"{timezone.localtime(as_of):%-d %B %Y %H:%M}"
            )
        ]
    )
    writer.writerow([csv_safe(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([csv_safe(cell) for cell in row])
    # The definition travels with the figures, so a file passed on is read as the page is.
    writer.writerow([csv_safe(f"Definition: {table.definition}")])
    writer.writerow([SMALL_NUMBERS_NOTE])
    writer.writerow([EXPORT_NO_DATA_NOTE])
    return response
