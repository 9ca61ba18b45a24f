"""Diary forms: the day, its headache episodes (a formset that works without JavaScript), and
the clinician's window picker. Messages follow the NHS.UK style: say what to do."""

from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.utils import ErrorDict
from django.utils import timezone

from diaries import rules
from diaries.models import (
    MAX_DOSES_PER_DAY,
    PAIN_SCORE_MAX,
    Activity,
    BodySite,
    DiaryEntry,
    Duration,
    Mood,
    Severity,
    Sleep,
    Trigger,
    WorkImpact,
)
from diaries.selectors import MedicineOptions
from diaries.services import (
    MAX_EPISODES_PER_DAY,
    MAX_MEDICINES,
    MESSAGES,
    NOTE_MAX_LENGTH,
    DayData,
    DoseData,
    EpisodeData,
    doses_apart,
)
from pathway.forms import Textarea
from pathway.renderers import error_target

YES, NO = "yes", "no"
EPISODE_PREFIX = "episode"
MEDICINE_SLOTS = MAX_MEDICINES
FEATURE_CHOICES = [
    ("unilateral", "Pain on one side of the head"),
    ("pulsating", "Throbbing or pulsing pain"),
    ("worse_with_activity", "Worse when moving about, like walking or climbing stairs"),
    ("nausea_or_vomiting", "Feeling sick or being sick"),
    ("photophobia", "Light bothered me"),
    ("phonophobia", "Noise bothered me"),
]


def _radios(choices, *, inline: bool = False) -> forms.RadioSelect:
    return forms.RadioSelect(choices=choices, attrs={"inline": True} if inline else {})


class MedicineSlots:
    """MEDICINE_SLOTS numbered pairs of fields, a medicine and its number of doses
    (`{slot_prefix}medicine_{n}`, `{slot_prefix}doses_{n}`), for a form with `medicines`."""

    slot_prefix = ""

    def _slot(self, name: str, slot: int) -> str:
        return f"{self.slot_prefix}{name}_{slot}"

    def add_medicine_fields(self, medicines: MedicineOptions, *, first_label: str) -> None:
        self.medicines = medicines
        for slot in range(1, MEDICINE_SLOTS + 1):
            self.fields[self._slot("medicine", slot)] = forms.ChoiceField(
                label=first_label if slot == 1 else "Another medicine",
                required=False,
                choices=[("", "No medicine")] + medicines.choices,
                error_messages={"invalid_choice": MESSAGES["medicine"]},
            )
            self.fields[self._slot("doses", slot)] = forms.IntegerField(
                label="Number of doses",
                help_text="Leave blank for 1." if slot == 1 else "",
                required=False,
                min_value=1,
                max_value=MAX_DOSES_PER_DAY,
                widget=forms.NumberInput(
                    attrs={"inputmode": "numeric", "class": "nhsuk-input--width-2"}
                ),
                error_messages={
                    "invalid": MESSAGES["doses"],
                    "min_value": MESSAGES["doses"],
                    "max_value": MESSAGES["doses"],
                },
            )

    def medicine_rows(self):
        """(medicine field, doses field) pairs for the template."""
        return [
            (self[self._slot("medicine", slot)], self[self._slot("doses", slot)])
            for slot in range(1, MEDICINE_SLOTS + 1)
        ]

    @property
    def more_medicines_open(self) -> bool:
        """Whether the extra medicine rows hold anything, so their section starts open."""
        return self._medicines_filled(first=2)

    @property
    def medicines_open(self) -> bool:
        """Whether any medicine row holds anything, so a section holding them starts open."""
        return self._medicines_filled(first=1)

    def _medicines_filled(self, *, first: int) -> bool:
        return any(
            self[self._slot(name, slot)].value() or self[self._slot(name, slot)].errors
            for slot in range(first, MEDICINE_SLOTS + 1)
            for name in ("medicine", "doses")
        )

    def clean_medicines(self, cleaned: dict) -> set[str]:
        """Check the rows (a number of doses needs its medicine; each medicine once) and return
        the codes chosen."""
        chosen: set[str] = set()
        for slot in range(1, MEDICINE_SLOTS + 1):
            code = cleaned.get(self._slot("medicine", slot))
            if not code:
                if cleaned.get(self._slot("doses", slot)) is not None:
                    self.add_error(
                        self._slot("medicine", slot),
                        "Choose the medicine you took, or clear the number of doses if you took "
                        "none.",
                    )
                continue
            if code in chosen:
                self.add_error(
                    self._slot("medicine", slot),
                    "You have chosen this medicine already. Enter it once with the total number "
                    "of doses.",
                )
            chosen.add(code)
        return chosen

    @classmethod
    def initial_for(cls, doses) -> dict:
        """Initial values of the rows for saved doses (each with `medicine` and `doses`)."""
        initial = {}
        for slot, dose in enumerate(list(doses)[:MEDICINE_SLOTS], start=1):
            initial[f"{cls.slot_prefix}medicine_{slot}"] = dose.medicine.code
            initial[f"{cls.slot_prefix}doses_{slot}"] = dose.doses
        return initial

    def chosen_rows(self):
        """(slot, medicine code, doses) of each filled-in row, a blank number counting as 1."""
        for slot in range(1, MEDICINE_SLOTS + 1):
            if code := self.cleaned_data.get(self._slot("medicine", slot)):
                yield slot, code, self.cleaned_data.get(self._slot("doses", slot)) or 1

    def dose_totals(self) -> dict[str, int]:
        """Doses per medicine code in the rows."""
        totals: dict[str, int] = {}
        for _, code, doses in self.chosen_rows():
            totals[code] = totals.get(code, 0) + doses
        return totals

    def doses_data(self) -> tuple[DoseData, ...]:
        return tuple(
            DoseData(medicine=self.medicines.by_code[code], doses=doses)
            for code, doses in self.dose_totals().items()
        )


class DayForm(MedicineSlots, forms.Form):
    slot_prefix = "other_"

    headache = forms.ChoiceField(
        choices=[(YES, "Yes"), (NO, "No")],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Answer yes or no: did you have a headache?",
            "invalid_choice": "Answer yes or no: did you have a headache?",
        },
    )
    triggers = forms.MultipleChoiceField(
        label="Possible triggers",
        help_text="Tick any that might have played a part.",
        required=False,
        choices=Trigger.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": MESSAGES["choice"]},
    )
    period = forms.BooleanField(label="I had my period", required=False)
    # Asked only when "No" meets headache details: the patient confirms they go.
    remove_headaches = forms.BooleanField(
        label="Yes, remove the headache details for this day", required=False
    )
    pain_score = forms.IntegerField(
        label="Pain score",
        help_text=f"For long-term pain: 0 is no pain, {PAIN_SCORE_MAX} is the worst pain you "
        "can imagine.",
        required=False,
        min_value=0,
        max_value=PAIN_SCORE_MAX,
        widget=forms.NumberInput(
            attrs={"inputmode": "numeric", "class": "nhsuk-input--width-2", "autocomplete": "off"}
        ),
        error_messages={
            "invalid": MESSAGES["pain_score"],
            "min_value": MESSAGES["pain_score"],
            "max_value": MESSAGES["pain_score"],
        },
    )
    pain_sites = forms.MultipleChoiceField(
        label="Where did it hurt?",
        help_text="Tick all that apply.",
        required=False,
        choices=BodySite.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": MESSAGES["choice"]},
    )
    sleep = forms.ChoiceField(
        label="How did you sleep last night?",
        required=False,
        choices=Sleep.choices,
        widget=_radios(Sleep.choices, inline=True),
        error_messages={"invalid_choice": MESSAGES["choice"]},
    )
    mood = forms.ChoiceField(
        label="How was your mood?",
        required=False,
        choices=Mood.choices,
        widget=_radios(Mood.choices, inline=True),
        error_messages={"invalid_choice": MESSAGES["choice"]},
    )
    activity = forms.ChoiceField(
        label="How active were you?",
        required=False,
        choices=Activity.choices,
        widget=_radios(Activity.choices),
        error_messages={"invalid_choice": MESSAGES["choice"]},
    )
    work_impact = forms.ChoiceField(
        label="Did your symptoms affect work, study or caring?",
        required=False,
        choices=WorkImpact.choices,
        widget=_radios(WorkImpact.choices),
        error_messages={"invalid_choice": MESSAGES["choice"]},
    )
    note = forms.CharField(
        label="Anything else to note",
        help_text=(
            "Your care team reads your diary at your appointments, not every day. If you need "
            "help now, call 111, or 999 in an emergency."
        ),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=Textarea(attrs={"rows": 3}),
        error_messages={"max_length": MESSAGES["note"]},
    )

    def __init__(self, *args, day: date, today: date, medicines: MedicineOptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["headache"].label = (
            "Did you have a headache today?"
            if day == today
            else f"Did you have a headache on {day:%A} {day.day} {day:%B}?"
        )
        self.add_medicine_fields(
            medicines.painkillers(), first_label="Painkiller or migraine medicine"
        )

    def clean(self):
        cleaned = super().clean()
        self.clean_medicines(cleaned)
        return cleaned


class EpisodeForm(MedicineSlots, forms.Form):
    severity = forms.ChoiceField(
        label="How bad was it at its worst?",
        choices=Severity.choices,
        widget=_radios(Severity.choices, inline=True),
        error_messages={"required": MESSAGES["severity"], "invalid_choice": MESSAGES["severity"]},
    )
    start_time = forms.TimeField(
        label="About what time did it start?",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time, like 14:30."},
    )
    duration = forms.ChoiceField(
        label="About how long did it last?",
        help_text="If it went on into the next day, fill in that day too: each day with a "
        "headache counts.",
        choices=[("", "Choose")] + Duration.choices,
        error_messages={"required": MESSAGES["duration"], "invalid_choice": MESSAGES["duration"]},
    )
    features = forms.MultipleChoiceField(
        label="Did you have any of these?",
        required=False,
        choices=FEATURE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": MESSAGES["feature"]},
    )
    aura = forms.BooleanField(
        label="I had an aura",
        help_text="For example flashing lights, zigzag lines or numbness before or during the "
        "headache.",
        required=False,
    )
    felt_like_migraine = forms.BooleanField(
        label="When it started, it felt like one of my migraines",
        required=False,
    )
    eased_by_triptan = forms.BooleanField(
        label="A triptan or ergotamine I took for it eased it",
        help_text="Triptans are migraine medicines like sumatriptan, rizatriptan or "
        "zolmitriptan. Choose the one you took in the medicine list above.",
        required=False,
    )

    def __init__(
        self, *args, medicines: MedicineOptions, latest_start: datetime | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        # Today's form: a headache cannot have started later than now (`start_limit`).
        self.latest_start = latest_start
        self.add_medicine_fields(medicines, first_label="Medicine taken for this headache")

    def clean(self):
        cleaned = super().clean()
        chosen = self.clean_medicines(cleaned)
        if cleaned.get("eased_by_triptan") and not rules.includes_triptan_or_ergot(
            self.medicines.by_code[code].diary_class
            for code in chosen
            if code in self.medicines.by_code
        ):
            self.add_error("eased_by_triptan", MESSAGES["eased_without_triptan"])
        return cleaned

    def to_data(self) -> EpisodeData:
        cleaned = self.cleaned_data
        return EpisodeData(
            severity=cleaned["severity"],
            duration=cleaned["duration"],
            start_time=cleaned.get("start_time"),
            features=frozenset(cleaned.get("features") or ()),
            aura=bool(cleaned.get("aura")),
            doses=self.doses_data(),
            felt_like_migraine=bool(cleaned.get("felt_like_migraine")),
            eased_by_triptan=bool(cleaned.get("eased_by_triptan")),
        )

    def clean_start_time(self):
        value = self.cleaned_data.get("start_time")
        limit = self.latest_start
        if value is not None and limit is not None and value > limit.time():
            now = limit - START_TIME_LEEWAY
            raise ValidationError(
                f"The time it started cannot be later than now ({now:%H:%M}). Enter about when "
                "it started today, or leave it blank."
            )
        return value


class BaseEpisodeFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": "Something went wrong with the form. Please try again.",
        "too_many_forms": MESSAGES["too_many_episodes"],
        "too_few_forms": MESSAGES["headache_without_episode"],
    }

    def __init__(
        self, *args, medicines: MedicineOptions, latest_start: datetime | None = None, **kwargs
    ):
        self.medicines = medicines
        self.latest_start = latest_start
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"medicines": self.medicines, "latest_start": self.latest_start}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if DELETION_FIELD_NAME in form.fields:
            form.fields[DELETION_FIELD_NAME].label = "Remove this headache"

    def kept_forms(self) -> list[EpisodeForm]:
        """Forms describing a headache the patient wants saved: filled in, not removed."""
        return [
            form
            for form in self.forms
            if (form.has_changed() or form in self.initial_forms)
            and not form.cleaned_data.get(DELETION_FIELD_NAME)
            and not form.data.get(form.add_prefix(DELETION_FIELD_NAME))
        ]

    def dose_totals(self) -> dict[str, int]:
        """Doses per medicine code over the headaches kept (not removed)."""
        totals: dict[str, int] = {}
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get(DELETION_FIELD_NAME):
                continue
            for code, doses in form.dose_totals().items():
                totals[code] = totals.get(code, 0) + doses
        return totals

    def clean(self):
        for code, total in self.dose_totals().items():
            if total > MAX_DOSES_PER_DAY:
                name = self.medicines.by_code[code].name
                raise ValidationError(
                    f"More than {MAX_DOSES_PER_DAY} doses of {name} in one day. Check the numbers."
                )


def episode_formset(*, extra: int):
    return forms.formset_factory(
        EpisodeForm,
        formset=BaseEpisodeFormSet,
        extra=extra,
        can_delete=True,
        max_num=MAX_EPISODES_PER_DAY,
        absolute_max=MAX_EPISODES_PER_DAY,
        validate_max=True,
    )


def initial_from(entry: DiaryEntry | None) -> tuple[dict, list[dict]]:
    """Initial data for the day form and its episodes from a saved day (with `live_episodes`)."""
    if entry is None:
        return {}, []
    day = {
        "headache": YES if entry.headache else NO,
        **DayForm.initial_for(doses_apart(entry)),
        "triggers": entry.triggers,
        "period": entry.period,
        "pain_score": entry.pain_score,
        "pain_sites": entry.pain_sites,
        "sleep": entry.sleep,
        "mood": entry.mood,
        "activity": entry.activity,
        "work_impact": entry.work_impact,
        "note": entry.note,
    }
    episodes = []
    for episode in entry.live_episodes:
        initial = {
            "severity": episode.severity,
            "start_time": episode.start_time,
            "duration": episode.duration,
            "features": episode.features,
            "aura": episode.aura,
            "felt_like_migraine": episode.felt_like_migraine,
            "eased_by_triptan": episode.eased_by_triptan,
        }
        episodes.append({**initial, **EpisodeForm.initial_for(episode.doses.all())})
    return day, episodes


# The day form's pain questions, asked first of a patient cared for with chronic pain only.
PAIN_FIELDS = ("pain_score", "pain_sites")


# "About what time did it start?": a time a few minutes ahead of the server's clock is a guess
# rounded up, or a phone's clock running fast, not a mistake.
START_TIME_LEEWAY = timedelta(minutes=15)


def start_limit(day: date, today: date) -> datetime | None:
    """The latest start time a headache on `day` may be given (local time), or None for no
    limit: on today's page, now and START_TIME_LEEWAY; no limit once that runs past midnight."""
    if day != today:
        return None
    limit = timezone.localtime() + START_TIME_LEEWAY
    return limit if limit.date() == today else None


def _shown_count(data) -> int:
    """How many saved headaches the page the data came from showed (its INITIAL_FORMS)."""
    try:
        return max(int(data.get(f"{EPISODE_PREFIX}-INITIAL_FORMS", 0)), 0)
    except (TypeError, ValueError):
        return 0


class DayEntryForms:
    """The day form and its headache formset, validated together.

    The yes/no answer and the episodes must agree: "no" with headache details kept is an error
    on the answer (nothing is dropped silently); "yes" needs at least one headache.
    """

    def __init__(
        self,
        data=None,
        *,
        day: date,
        today: date,
        medicines: MedicineOptions,
        entry: DiaryEntry | None = None,
        answer: str | None = None,
        add_episode: bool = False,
        pain_first: bool = False,
    ):
        initial, episodes_initial = initial_from(entry)
        if data is not None:
            # Each headache box sent is compared with the saved headache the page showed in it,
            # and the page showed as many as it says it did. A headache saved since, in another
            # tab, was not on the page: it is not read into an empty box (the save is refused
            # as older than the record, services.DayChanged).
            episodes_initial = episodes_initial[: _shown_count(data)]
        # The page asks about pain before headaches (diaries.selectors.pain_first), and a new
        # day starts at "No" headache, as the one-tap pain score records it.
        self.pain_first = pain_first
        if pain_first and entry is None and answer != YES:
            initial["headache"] = NO
        if answer == YES and not data:
            initial["headache"] = YES
        if data is not None and add_episode:
            data = data.copy()
            key = f"{EPISODE_PREFIX}-TOTAL_FORMS"
            try:
                total = int(data.get(key, 0))
            except ValueError:
                total = 0
            data[key] = str(min(max(total, 0) + 1, MAX_EPISODES_PER_DAY))
        self.day = day
        self.form = DayForm(data, day=day, today=today, medicines=medicines, initial=initial)
        formset = episode_formset(extra=0 if episodes_initial else 1)
        self.episodes = formset(
            data,
            prefix=EPISODE_PREFIX,
            initial=episodes_initial,
            medicines=medicines,
            latest_start=start_limit(day, today),
        )
        self.service_errors: list[str] = []
        # Set when "No" was answered with headache details kept: the page asks to remove them.
        self.confirm_removal = False
        # The message when the day changed elsewhere after the page was shown (nothing saved).
        self.changed_elsewhere = ""
        if data is not None and add_episode:
            self._hide_errors()

    def _hide_errors(self) -> None:
        """Adding a headache without JavaScript re-shows the page unsaved: the forms are bound
        so nothing typed is lost, but half-filled ones must not shout errors yet. Marking them
        as already cleaned (with no errors) stops Django validating them for display."""
        for form in (self.form, *self.episodes.forms):
            form._errors = ErrorDict()
            form.cleaned_data = {}
        self.episodes._errors = [ErrorDict() for _ in self.episodes.forms]
        self.episodes._non_form_errors = self.episodes.error_class()

    def is_valid(self) -> bool:
        day_ok = self.form.is_valid()
        episodes_ok = self.episodes.is_valid()
        answer = self.form.cleaned_data.get("headache") if day_ok else None
        kept = self.episodes.kept_forms()
        if answer == NO and kept and not self.form.cleaned_data.get("remove_headaches"):
            self.confirm_removal = True
            self.form.add_error("headache", MESSAGES["no_but_headaches_kept"])
            return False
        if answer == NO:
            return True
        if answer == YES and episodes_ok and not kept:
            # The empty box's own fields say what it needs; with no box to fill in, the answer.
            if not self._ask_for_first_headache():
                self.form.add_error("headache", MESSAGES["headache_without_episode"])
            return False
        return day_ok and episodes_ok and self._day_totals_ok()

    def _ask_for_first_headache(self) -> bool:
        """ "Yes" with every headache box left empty: the first empty box that is not being
        removed says what it still needs, on its own fields, as a box filled in without them
        would (an empty box is otherwise left out as not filled in, without errors). Returns
        whether there was such a box."""
        for form in self.episodes.forms:
            removed = form.cleaned_data.get(DELETION_FIELD_NAME) or form.data.get(
                form.add_prefix(DELETION_FIELD_NAME)
            )
            if removed or form.has_changed() or form in self.episodes.initial_forms:
                continue
            form.add_error("severity", MESSAGES["severity"])
            form.add_error("duration", MESSAGES["duration"])
            return True
        return False

    def _day_totals_ok(self) -> bool:
        """Doses of one medicine for the headaches and for something else count together
        against the day's limit: said on the row for something else, with the reason."""
        for_headaches = self.episodes.dose_totals()
        ok = True
        for slot, code, doses in list(self.form.chosen_rows()):
            before = for_headaches.get(code, 0)
            total = before + doses
            if before and total > MAX_DOSES_PER_DAY:
                name = self.form.medicines.by_code[code].name
                self.form.add_error(
                    self.form._slot("doses", slot),
                    f"With the {before} dose{'s' if before != 1 else ''} of {name} for your "
                    f"headaches, that is {total} doses in one day. The most is "
                    f"{MAX_DOSES_PER_DAY}: check the numbers.",
                )
                ok = False
        return ok

    def to_data(self) -> DayData:
        cleaned = self.form.cleaned_data
        headache = cleaned["headache"] == YES
        return DayData(
            headache=headache,
            episodes=tuple(form.to_data() for form in self.episodes.kept_forms())
            if headache
            else (),
            doses=self.form.doses_data(),
            triggers=frozenset(cleaned.get("triggers") or ()),
            period=bool(cleaned.get("period")),
            pain_score=cleaned.get("pain_score"),
            pain_sites=tuple(cleaned.get("pain_sites") or ()),
            sleep=cleaned.get("sleep") or "",
            mood=cleaned.get("mood") or "",
            activity=cleaned.get("activity") or "",
            work_impact=cleaned.get("work_impact") or "",
            note=(cleaned.get("note") or "").strip(),
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ValidationError on the fields it names."""
        for key, messages in error.message_dict.items():
            if key in self.form.fields:
                self.form.add_error(key, messages)
            else:
                self.service_errors.extend(messages)

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """(link target, message) pairs for the error summary, in page order."""
        answer = "#id_remove_headaches" if self.confirm_removal else "#id_headache_0"
        items = [("#day-form", self.changed_elsewhere)] if self.changed_elsewhere else []
        first = PAIN_FIELDS if self.pain_first else ()
        for field in self.form:
            if field.name in first:
                items += [(f"#{error_target(field)}", e) for e in field.errors]
        items += [(answer, e) for e in self.form.errors.get("headache", [])]
        items += [("#episodes", e) for e in self.form.non_field_errors()]
        items += [("#episodes", e) for e in self.service_errors]
        items += [("#episodes", e) for e in self.episodes.non_form_errors()]
        for number, form in enumerate(self.episodes.forms, start=1):
            items += [
                (f"#episode-{number}", f"Headache {number}: {e}") for e in form.non_field_errors()
            ]
            for field in form:
                items += [
                    (f"#{error_target(field)}", f"Headache {number}: {e}") for e in field.errors
                ]
        # In page order: the medicines apart from a headache come before the rest of the day.
        medicines = [field for row in self.form.medicine_rows() for field in row]
        rest = [field for field in self.form if field.name not in {f.name for f in medicines}]
        for field in (*medicines, *rest):
            if field.name not in ("headache", "remove_headaches", *first):
                items += [(f"#{error_target(field)}", e) for e in field.errors]
        return items


class WindowForm(forms.Form):
    """The clinician's choice of 90-day window, by its last day."""

    end = forms.DateField(
        label="Last day of the 90 days",
        widget=forms.DateInput(
            attrs={"type": "date", "class": "nhsuk-input--width-10"}, format="%Y-%m-%d"
        ),
        error_messages={
            "required": "Enter the last day of the 90 days.",
            "invalid": "Enter a real date, like 31 March 2025.",
        },
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_end(self) -> date:
        end = self.cleaned_data["end"]
        if end > self.today:
            raise ValidationError("The last day must be today or in the past.")
        if end < date(2000, 1, 1):
            raise ValidationError("Enter a date after 1 January 2000.")
        return end
