"""Writing diary days: create, correct and withdraw a patient's day records. Each write runs in
one transaction, validates its input, and leaves its audit row.

Validation here is the last line of defence (forms give friendlier messages first): every error is
a `ValidationError` keyed by the form field it belongs to, so views can show it on that field.
"""

from dataclasses import dataclass
from datetime import date, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from diaries import rules
from diaries.models import (
    CLASS_FIELDS,
    MAX_DOSES_PER_DAY,
    MIGRAINE_FEATURES,
    PAIN_SCORE_MAX,
    TRIGGER_FIELDS,
    Activity,
    BodySite,
    DiaryEntry,
    Duration,
    HeadacheEpisode,
    MedicationDose,
    Medicine,
    Mood,
    Severity,
    Sleep,
    WorkImpact,
)
from pathway.audit import record_event
from pathway.models import AuditEvent, Patient
from pathway.notifications import outbox

# Patients may fill in or correct today and the 90 days before it (the diary window).
EDITABLE_DAYS_BACK = 90
MAX_EPISODES_PER_DAY = 10
# Medicines one headache, or the day apart from its headaches, may list (the form's rows).
MAX_MEDICINES = 3
# The form field that errors in the medicines taken for something else (apart from the day's
# headaches) are shown on.
DOSES_APART_KEY = "other_medicine_1"
NOTE_MAX_LENGTH = 2000

MESSAGES = {
    "future": "You cannot fill in a day in the future.",
    "too_old": f"You can only fill in or change today and the {EDITABLE_DAYS_BACK} days before it.",
    "features_without_headache": (
        "You said you did not have a headache, but there are headache details. "
        "Answer yes, or tick 'Remove this headache' for each one."
    ),
    "no_but_headaches_kept": (
        "You said you did not have a headache, but headache details are filled in. Tick the "
        "box to remove them, or answer yes to keep them."
    ),
    "headache_without_episode": "Tell us about at least one headache, or answer no.",
    "too_many_episodes": f"You can record up to {MAX_EPISODES_PER_DAY} headaches in one day.",
    "severity": "Choose how bad the headache was: mild, moderate or severe.",
    "duration": "Choose about how long the headache lasted.",
    "feature": "Choose the symptoms from the list.",
    "medicine": "Choose a medicine from the list.",
    "listed_twice": "Enter it once with the total number of doses.",
    "too_many_medicines": f"You can record up to {MAX_MEDICINES} medicines here.",
    "not_a_painkiller": (
        "Choose a painkiller or migraine medicine. Other medicines are recorded in your care plan."
    ),
    "eased_without_triptan": (
        "You said a triptan (like sumatriptan) or ergotamine eased this headache. Choose the one "
        "you took in the medicine list, or untick it."
    ),
    "doses": f"Enter a number of doses from 1 to {MAX_DOSES_PER_DAY}.",
    "pain_score": f"Enter a pain score from 0 to {PAIN_SCORE_MAX}.",
    "choice": "Choose from the list.",
    "note": f"Your note must be {NOTE_MAX_LENGTH:,} characters or fewer.",
}


@dataclass(frozen=True)
class DoseData:
    medicine: Medicine
    doses: int = 1


@dataclass(frozen=True)
class EpisodeData:
    severity: str
    duration: str
    start_time: time | None = None
    features: frozenset[str] = frozenset()
    aura: bool = False
    doses: tuple[DoseData, ...] = ()
    felt_like_migraine: bool = False
    eased_by_triptan: bool = False

    @property
    def took_triptan_or_ergot(self) -> bool:
        return rules.includes_triptan_or_ergot(
            dose.medicine.diary_class for dose in self.doses if dose.medicine is not None
        )

    @property
    def migraine(self) -> bool:
        return rules.has_migraine_features(
            severity=self.severity,
            aura=self.aura,
            believed_migraine=self.felt_like_migraine,
            relieved_by_triptan_or_ergot=self.eased_by_triptan and self.took_triptan_or_ergot,
            **{name: name in self.features for name in MIGRAINE_FEATURES},
        )

    def key(self) -> tuple:
        """A comparable form of the episode, to skip rewriting unchanged episodes."""
        return (
            self.severity,
            self.duration,
            self.start_time,
            self.features,
            self.aura,
            self.felt_like_migraine,
            self.eased_by_triptan,
            doses_key(self.doses),
        )


@dataclass(frozen=True)
class DayData:
    """Everything a patient records for one day. `headache` is the answer to "Did you have a
    headache?"; `episodes` must be empty exactly when it is False. `doses` are medicines taken
    apart from the day's headaches (on any day, with or without one)."""

    headache: bool
    episodes: tuple[EpisodeData, ...] = ()
    doses: tuple[DoseData, ...] = ()
    triggers: frozenset[str] = frozenset()
    period: bool = False
    pain_score: int | None = None
    pain_sites: tuple[str, ...] = ()
    sleep: str = ""
    mood: str = ""
    activity: str = ""
    work_impact: str = ""
    note: str = ""

    @property
    def all_doses(self) -> tuple[DoseData, ...]:
        """Every dose of the day: for something else, then for each headache."""
        return (*self.doses, *(dose for episode in self.episodes for dose in episode.doses))


def editable_range(today: date) -> tuple[date, date]:
    """The first and last day a patient may fill in, given today's date (Europe/London)."""
    return today - timedelta(days=EDITABLE_DAYS_BACK), today


def day_error(day: date, *, today: date) -> str | None:
    """Why `day` cannot be filled in, or None when it can."""
    first, last = editable_range(today)
    if day > last:
        return MESSAGES["future"]
    if day < first:
        return MESSAGES["too_old"]
    return None


def validate_day(
    *, day: date, data: DayData, today: date, recorded: frozenset[int] = frozenset()
) -> None:
    """Raise ValidationError (keyed by form field) unless `data` may be saved for `day`.
    `recorded` are the pks of medicines already on the day's record: one since taken off the
    diary's list may stay on the day it was taken."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        if message not in errors.setdefault(key, []):
            errors[key].append(message)

    if message := day_error(day, today=today):
        add("day", message)
    if not data.headache and data.episodes:
        add("headache", MESSAGES["features_without_headache"])
    if data.headache and not data.episodes:
        add("headache", MESSAGES["headache_without_episode"])
    if len(data.episodes) > MAX_EPISODES_PER_DAY:
        add("episodes", MESSAGES["too_many_episodes"])
    doses_per_medicine: dict[int, int] = {}

    def check_doses(doses: tuple[DoseData, ...], key: str, twice: str) -> None:
        if len(doses) > MAX_MEDICINES:
            add(key, MESSAGES["too_many_medicines"])
        seen: set[int] = set()
        for dose in doses:
            medicine = dose.medicine
            if medicine is None or medicine.pk is None:
                add(key, MESSAGES["medicine"])
                continue
            if not medicine.active and medicine.pk not in recorded:
                add(key, MESSAGES["medicine"])
                continue
            if medicine.pk in seen:
                add(key, f"{medicine.name} is listed twice {twice}. {MESSAGES['listed_twice']}")
            seen.add(medicine.pk)
            if isinstance(dose.doses, bool) or not isinstance(dose.doses, int):
                add(key, MESSAGES["doses"])
                continue
            if not 1 <= dose.doses <= MAX_DOSES_PER_DAY:
                add(key, MESSAGES["doses"])
                continue
            doses_per_medicine[medicine.pk] = doses_per_medicine.get(medicine.pk, 0) + dose.doses
            if doses_per_medicine[medicine.pk] > MAX_DOSES_PER_DAY:
                add(
                    key,
                    f"More than {MAX_DOSES_PER_DAY} doses of {medicine.name} in one day. "
                    "Check the numbers.",
                )

    for episode in data.episodes:
        if episode.severity not in Severity.values:
            add("episodes", MESSAGES["severity"])
        if episode.duration not in Duration.values:
            add("episodes", MESSAGES["duration"])
        if not episode.features <= set(MIGRAINE_FEATURES):
            add("episodes", MESSAGES["feature"])
        if episode.eased_by_triptan and not episode.took_triptan_or_ergot:
            add("episodes", MESSAGES["eased_without_triptan"])
        check_doses(episode.doses, "episodes", "for one headache")
    # Checked after the headaches' doses, so a day's total over the limit is said here.
    check_doses(data.doses, DOSES_APART_KEY, "among the medicines taken for something else")
    # Apart from a headache, the diary records what counts towards overuse (ICHD-3 8.2 B).
    if any(
        dose.medicine is not None and dose.medicine.pk is not None and not dose.medicine.diary_class
        for dose in data.doses
    ):
        add(DOSES_APART_KEY, MESSAGES["not_a_painkiller"])
    if data.pain_score is not None and (
        isinstance(data.pain_score, bool)
        or not isinstance(data.pain_score, int)
        or not 0 <= data.pain_score <= PAIN_SCORE_MAX
    ):
        add("pain_score", MESSAGES["pain_score"])
    if not data.triggers <= set(TRIGGER_FIELDS):
        add("triggers", MESSAGES["choice"])
    if not set(data.pain_sites) <= set(BodySite.values):
        add("pain_sites", MESSAGES["choice"])
    for name, choices in (
        ("sleep", Sleep),
        ("mood", Mood),
        ("activity", Activity),
        ("work_impact", WorkImpact),
    ):
        if getattr(data, name) not in ("", *choices.values):
            add(name, MESSAGES["choice"])
    if len(data.note) > NOTE_MAX_LENGTH:
        add("note", MESSAGES["note"])
    if errors:
        raise ValidationError(errors)


def _entry_values(data: DayData) -> dict:
    """The DiaryEntry column values for `data`, including the flags derived from episodes."""
    classes = {dose.medicine.diary_class for dose in data.all_doses if dose.medicine.diary_class}
    severities = [episode.severity for episode in data.episodes]
    worst = max(severities, key=rules.SEVERITIES.index) if severities else ""
    return {
        "headache": bool(data.episodes),
        "migraine": any(episode.migraine for episode in data.episodes),
        "worst_severity": worst,
        **{field_name: name in classes for name, field_name in CLASS_FIELDS.items()},
        **{field_name: value in data.triggers for value, field_name in TRIGGER_FIELDS.items()},
        "period": data.period,
        "pain_score": data.pain_score,
        # Stored in vocabulary order so equal answers compare equal.
        "pain_sites": [code for code in BodySite.values if code in set(data.pain_sites)],
        "sleep": data.sleep,
        "mood": data.mood,
        "activity": data.activity,
        "work_impact": data.work_impact,
        "note": data.note,
    }


def episode_data(episode: HeadacheEpisode) -> EpisodeData:
    """The EpisodeData of a saved episode (with `doses` and their medicines loaded)."""
    return EpisodeData(
        severity=episode.severity,
        duration=episode.duration,
        start_time=episode.start_time,
        features=frozenset(episode.features),
        aura=episode.aura,
        doses=tuple(DoseData(medicine=d.medicine, doses=d.doses) for d in episode.doses.all()),
        felt_like_migraine=episode.felt_like_migraine,
        eased_by_triptan=episode.eased_by_triptan,
    )


def doses_key(doses) -> frozenset:
    """A comparable form of a list of DoseData, to skip rewriting unchanged doses."""
    return frozenset((dose.medicine.pk, dose.doses) for dose in doses)


def doses_apart(entry: DiaryEntry) -> tuple[DoseData, ...]:
    """The DoseData of a saved day's live medicines taken apart from a headache, in the order
    entered. Uses the `live_doses_apart` prefetch (diaries.selectors) when present."""
    rows = getattr(entry, "live_doses_apart", None)
    if rows is None:
        rows = entry.doses.live().apart_from_headaches().select_related("medicine").order_by("id")
    return tuple(DoseData(medicine=row.medicine, doses=row.doses) for row in rows)


def _live_entry(patient: Patient, day: date) -> DiaryEntry | None:
    return DiaryEntry.objects.live().select_for_update().filter(patient=patient, day=day).first()


def version_of(entry: DiaryEntry | None) -> str:
    """What a day page was based on: its record's last change, or "" for no record. The page
    sends it back with a save, so a save based on an older copy can be caught."""
    return entry.updated_at.isoformat() if entry is not None else ""


class DayChanged(Exception):
    """The day's record changed (in another tab or on another device) after the page the save
    came from was shown, and the save would have overwritten that change. `entry` is the day's
    live record now, or None if it was removed."""

    def __init__(self, entry: DiaryEntry | None):
        super().__init__("The day's record changed after the page was shown.")
        self.entry = entry


def _check_based_on(entry: DiaryEntry | None, based_on: str | None) -> None:
    """Raise DayChanged unless the save was based on `entry` as it is now. None: not checked
    (a caller that did not show the patient the day first)."""
    if based_on is not None and based_on != version_of(entry):
        raise DayChanged(entry)


@transaction.atomic
def record_entry(
    *,
    actor,
    patient: Patient,
    day: date,
    data: DayData,
    today: date | None = None,
    based_on: str | None = None,
) -> DiaryEntry:
    """Save the patient's diary for `day`: create the day's record, or update the live one.

    Episodes that changed are superseded (kept, with `superseded_at`) and written afresh with
    their doses; so are the medicines taken apart from a headache when they changed. Returns the
    live DiaryEntry.
    Raises ValidationError (keyed by form field) for a day outside the editable range, headache
    details on a headache-free day, out-of-range severity, pain score or doses, an unknown
    medicine or a retired one not already on the day, more medicines in a list than the form
    has rows for, or a medicine for something else that is not a painkiller or migraine
    medicine; raises DayChanged when `based_on` (see `version_of`) is given and the
    record changed since, unless the save would change nothing. Nothing is saved when it raises.
    """
    return _save_day(
        actor=actor,
        patient=patient,
        day=day,
        data=data,
        today=today,
        entry=_live_entry(patient, day),
        based_on=based_on,
    )


def _save_day(
    *,
    actor,
    patient: Patient,
    day: date,
    data: DayData,
    today: date | None,
    entry: DiaryEntry | None,
    based_on: str | None = None,
) -> DiaryEntry:
    """`record_entry` inside the caller's transaction: `entry` is the day's live record,
    already read with its row lock, or None."""
    retired = {
        dose.medicine.pk
        for dose in data.all_doses
        if dose.medicine is not None and dose.medicine.pk is not None and not dose.medicine.active
    }
    recorded = frozenset(
        MedicationDose.objects.live()
        .filter(entry=entry, medicine__in=retired)
        .values_list("medicine_id", flat=True)
        if retired and entry is not None
        else ()
    )
    validate_day(day=day, data=data, today=today or timezone.localdate(), recorded=recorded)
    values = _entry_values(data)
    created = False
    if entry is None:
        _check_based_on(entry, based_on)
        try:
            with transaction.atomic():
                entry = DiaryEntry.objects.create(
                    patient=patient, day=day, created_by=actor, updated_by=actor, **values
                )
            created = True
        except IntegrityError:
            # Another request created the day between our read and insert: update that one.
            entry = _live_entry(patient, day)
            if entry is None:
                raise
    if created and patient.diary_nudge and day == (today or timezone.localdate()):
        # Filled in after the evening reminder was planned: it is not sent.
        outbox.withdraw_diary_nudge(patient, day)
    if created:
        # A value given, 0 included (a pain score of 0 is an answer; 0 == False in Python).
        changed = [
            name
            for name, value in values.items()
            if value is not False and value not in ("", None, [])
        ]
        old_episodes: list[HeadacheEpisode] = []
        old_doses: tuple[DoseData, ...] = ()
    else:
        changed = [name for name, value in values.items() if getattr(entry, name) != value]
        old_episodes = list(
            entry.episodes.live().prefetch_related("doses__medicine").order_by("id")
        )
        old_doses = doses_apart(entry)
    new_keys = sorted((episode.key() for episode in data.episodes), key=repr)
    old_keys = sorted((episode_data(e).key() for e in old_episodes), key=repr)
    episodes_changed = new_keys != old_keys
    if episodes_changed:
        changed.append("episodes")
    doses_changed = doses_key(data.doses) != doses_key(old_doses)
    if doses_changed:
        changed.append("doses")
    if not created and not changed:
        # Includes the same save again (a double tap, the same answers from two tabs).
        return entry
    if not created:
        _check_based_on(entry, based_on)
        for name, value in values.items():
            setattr(entry, name, value)
        entry.updated_by = actor
        entry.save()
    now = timezone.now()
    if episodes_changed:
        if old_episodes:
            superseded = [e.pk for e in old_episodes]
            HeadacheEpisode.objects.filter(pk__in=superseded).update(
                superseded_at=now, updated_by=actor, updated_at=now
            )
            MedicationDose.objects.filter(episode__in=superseded).update(
                superseded_at=now, updated_at=now
            )
        _write_episodes(entry, data.episodes, actor)
    if doses_changed:
        if old_doses:
            entry.doses.live().apart_from_headaches().update(superseded_at=now, updated_at=now)
        MedicationDose.objects.bulk_create(
            [_dose_row(entry, dose) for dose in data.doses],
        )
    record_event(
        actor=actor,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        patient=patient,
        obj=entry,
        fields=changed,
    )
    return entry


def _write_episodes(entry: DiaryEntry, episodes: tuple[EpisodeData, ...], actor) -> None:
    rows = HeadacheEpisode.objects.bulk_create(
        [
            HeadacheEpisode(
                entry=entry,
                start_time=episode.start_time,
                duration=episode.duration,
                severity=episode.severity,
                aura=episode.aura,
                felt_like_migraine=episode.felt_like_migraine,
                eased_by_triptan=episode.eased_by_triptan,
                migraine=episode.migraine,
                created_by=actor,
                updated_by=actor,
                **{name: name in episode.features for name in MIGRAINE_FEATURES},
            )
            for episode in episodes
        ]
    )
    MedicationDose.objects.bulk_create(
        [
            _dose_row(entry, dose, episode=row)
            for row, episode in zip(rows, episodes, strict=True)
            for dose in episode.doses
        ]
    )


def _dose_row(entry: DiaryEntry, dose: DoseData, episode: HeadacheEpisode | None = None):
    return MedicationDose(
        entry=entry,
        episode=episode,
        medicine=dose.medicine,
        medication_class=dose.medicine.diary_class,
        doses=dose.doses,
    )


@transaction.atomic
def record_headache_free_day(
    *, actor, patient: Patient, day: date, today: date | None = None, based_on: str | None = None
) -> DiaryEntry:
    """The one-tap answer "no headache": mark `day` headache-free, keeping anything else already
    recorded for it (pain, sleep, mood...). Returns the live DiaryEntry.
    Raises ValidationError for a day outside the editable range, and DayChanged when `based_on`
    is given and headaches were recorded for the day since: the tap must not remove them."""
    entry = _live_entry(patient, day)
    if entry is not None and entry.headache:
        _check_based_on(entry, based_on)
    data = DayData(headache=False)
    if entry is not None:
        data = DayData(
            headache=False,
            doses=doses_apart(entry),
            triggers=frozenset(entry.triggers),
            period=entry.period,
            pain_score=entry.pain_score,
            pain_sites=tuple(entry.pain_sites),
            sleep=entry.sleep,
            mood=entry.mood,
            activity=entry.activity,
            work_impact=entry.work_impact,
            note=entry.note,
        )
    return _save_day(actor=actor, patient=patient, day=day, data=data, today=today, entry=entry)


@transaction.atomic
def record_pain_score(
    *,
    actor,
    patient: Patient,
    day: date,
    score: int,
    today: date | None = None,
    based_on: str | None = None,
) -> DiaryEntry:
    """The one-tap answer to "How bad was your pain?" (0-10): set `day`'s pain score, keeping
    anything else already recorded for it. A new record has no headache, as a day recorded
    without one does. Returns the live DiaryEntry.
    Raises ValidationError for a day outside the editable range or a score outside 0-10, and
    DayChanged when `based_on` is given and the day was recorded or changed since."""
    entry = _live_entry(patient, day)
    _check_based_on(entry, based_on)
    data = DayData(headache=False, pain_score=score)
    if entry is None:
        return _save_day(
            actor=actor,
            patient=patient,
            day=day,
            data=data,
            today=today,
            entry=None,
            based_on=based_on,
        )
    validate_day(day=day, data=data, today=today or timezone.localdate())
    if entry.pain_score != score:
        entry.pain_score = score
        entry.updated_by = actor
        entry.save(update_fields=["pain_score", "updated_by", "updated_at"])
        record_event(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            patient=patient,
            obj=entry,
            fields=["pain_score"],
        )
    return entry


@transaction.atomic
def mark_entry_entered_in_error(
    *, actor, entry: DiaryEntry, based_on: str | None = None
) -> DiaryEntry:
    """Withdraw a day's record (it stays in the database, out of every summary). Returns it.
    Raises DayChanged when `based_on` is given and the record changed since."""
    entry = DiaryEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.entered_in_error:
        return entry
    _check_based_on(entry, based_on)
    entry.entered_in_error = True
    entry.updated_by = actor
    entry.save(update_fields=["entered_in_error", "updated_by", "updated_at"])
    record_event(
        actor=actor,
        action=AuditEvent.Action.ENTERED_IN_ERROR,
        patient=entry.patient,
        obj=entry,
        fields=["entered_in_error"],
    )
    return entry
