"""Calendar scheduling across time zones: book the earliest meeting slot that fits everyone (agentic).

The organiser asks for a meeting with colleagues in other time zones, within a window of their own dates, on the
hour or half past, inside everyone's working hours (Monday to Friday, local time), clear of their meetings, and
respecting constraints stated only in the request ("Ben cannot start before 10:00 his time"). Harder levels add
people, half-hour time zones and windows that cross a daylight-saving change, where a fixed offset gives the wrong
answer.

The generator finds the slot with its own search (local times through ``zoneinfo`` over the tzdata package), which is
independent of the environment's ``check_slot``; the oracle plan calls ``check_slot`` on that slot before booking,
and the template test requires the environment to agree that everyone is free. Graded by
``graders/tasks/calendar_scheduling.yaml``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, ClassVar

from rft_kit.environments.scheduling import format_utc, zone
from rft_kit.errors import ConfigError
from rft_kit.tasks.agentic import AgenticTemplate, agentic_draft
from rft_kit.tasks.base import Draft, Levels, TaskConfig, between, pick

UTC = dt.UTC
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# (name, time zone, working hours); regions keep the easy level's people within a few hours of each other
PEOPLE: tuple[tuple[str, str, tuple[str, str], str], ...] = (
    ("Ana Costa", "Europe/Lisbon", ("09:00", "17:00"), "europe"),
    ("Ben Okafor", "America/New_York", ("09:00", "17:00"), "americas"),
    ("Chen Wei", "Asia/Singapore", ("09:00", "18:00"), "asia"),
    ("Dara Novak", "Europe/Berlin", ("08:00", "16:00"), "europe"),
    ("Elif Aydin", "Europe/Istanbul", ("09:00", "18:00"), "europe"),
    ("Femi Adeyemi", "Africa/Lagos", ("08:00", "16:00"), "europe"),
    ("Greta Lind", "Europe/Stockholm", ("08:30", "16:30"), "europe"),
    ("Hugo Silva", "America/Sao_Paulo", ("09:00", "18:00"), "americas"),
    ("Ines Moreau", "Europe/Paris", ("09:30", "18:00"), "europe"),
    ("Jonas Becker", "America/Chicago", ("08:00", "16:00"), "americas"),
    ("Kaia Tanaka", "Asia/Tokyo", ("09:00", "18:00"), "asia"),
    ("Luca Rossi", "Europe/Rome", ("09:00", "17:30"), "europe"),
    ("Mina Rao", "Asia/Kolkata", ("10:00", "19:00"), "asia"),
    ("Nils Larsen", "America/Los_Angeles", ("08:00", "17:00"), "americas"),
    ("Omar Haddad", "Asia/Dubai", ("08:00", "16:00"), "asia"),
    ("Priya Shah", "Europe/London", ("09:00", "17:30"), "europe"),
    ("Quinn Evans", "America/Denver", ("08:00", "16:00"), "americas"),
    ("Rosa Garcia", "America/Mexico_City", ("09:00", "18:00"), "americas"),
    ("Sven Jensen", "Europe/Helsinki", ("08:00", "16:00"), "europe"),
    ("Tara Ito", "Australia/Sydney", ("08:00", "16:00"), "asia"),
)
TITLES = (
    "Quarterly planning",
    "Design review",
    "Vendor sync",
    "Incident retro",
    "Hiring debrief",
    "Budget check-in",
    "Launch readiness",
    "Roadmap walkthrough",
    "Security review",
    "Customer escalation sync",
)
MEETINGS = (
    "1:1",
    "Team standup",
    "Focus time",
    "Customer call",
    "Interview",
    "Lunch & learn",
    "Sprint review",
    "Dentist",
    "Training",
    "Board prep",
)
# daylight-saving changes of 2026 the hard level straddles: US (8 Mar), EU (29 Mar), Sydney (5 Apr), US/EU in autumn
DST_DATES = (
    dt.date(2026, 3, 8),
    dt.date(2026, 3, 29),
    dt.date(2026, 4, 5),
    dt.date(2026, 10, 25),
    dt.date(2026, 11, 1),
)
CONSTRAINTS = ("not_before", "lunch", "not_day", "not_after")


@dataclass(frozen=True, kw_only=True)
class CalendarConfig(TaskConfig):
    """Config of :class:`CalendarScheduling`.

    Attributes:
        min_people / max_people: attendees besides the organiser.
        window_days: how many of the organiser's dates the meeting may fall on.
        constraints: how many request-only constraints to add.
        same_region: draw everyone from one region (time zones a few hours apart).
        across_dst: put the window across a daylight-saving change.
        meetings_per_day: (max) existing meetings per person per day.
    """

    min_people: int = 1
    max_people: int = 1
    window_days: int = 1
    constraints: int = 0
    same_region: bool = True
    across_dst: bool = False
    meetings_per_day: int = 2

    def validate(self) -> None:
        self.require_range("min_people", "max_people", minimum=1)
        if self.max_people > 5:
            raise ConfigError(f"must be at most 5, got {self.max_people}", path="max_people")
        if not 1 <= self.window_days <= 5:
            raise ConfigError(f"must be between 1 and 5, got {self.window_days}", path="window_days")
        if not 0 <= self.constraints <= 3:
            raise ConfigError(f"must be between 0 and 3, got {self.constraints}", path="constraints")
        if not 0 <= self.meetings_per_day <= 4:
            raise ConfigError(f"must be between 0 and 4, got {self.meetings_per_day}", path="meetings_per_day")


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


@dataclass(frozen=True)
class _Person:
    id: str
    name: str
    tz: str
    hours: tuple[str, str]


def _local(instant: dt.datetime, person: _Person) -> dt.datetime:
    return instant.astimezone(zone(person.tz))


def _constraint_ok(rule: dict[str, Any], start: dt.datetime, end: dt.datetime) -> bool:
    if rule["kind"] == "not_before":
        return start.time() >= _t(rule["time"])
    if rule["kind"] == "not_after":
        return end.time() <= _t(rule["time"])
    if rule["kind"] == "lunch":
        lunch_start, lunch_end = _t(rule["from"]), _t(rule["to"])
        return end.time() <= lunch_start or start.time() >= lunch_end
    return bool(start.weekday() != rule["weekday"])


def earliest_slot(
    people: list[_Person],
    events: list[dict[str, Any]],
    rules: dict[str, list[dict[str, Any]]],
    window: list[dt.date],
    organizer: _Person,
    minutes: int,
) -> dt.datetime | None:
    """The first start on the UTC half-hour grid, on one of the organiser's window dates, that suits everyone."""
    tz = zone(organizer.tz)
    begin = dt.datetime.combine(window[0], dt.time(0), tz).astimezone(UTC)
    stop = dt.datetime.combine(window[-1] + dt.timedelta(days=1), dt.time(0), tz).astimezone(UTC)
    length = dt.timedelta(minutes=minutes)
    busy = {
        p.id: [
            (dt.datetime.fromisoformat(e["start"]), dt.datetime.fromisoformat(e["end"]))
            for e in events
            if p.id in e["attendees"]
        ]
        for p in people
    }
    t = begin
    while t < stop:
        if all(_fits(p, t, t + length, busy[p.id], rules.get(p.id, [])) for p in people):
            return t
        t += dt.timedelta(minutes=30)
    return None


def _fits(
    person: _Person,
    start: dt.datetime,
    end: dt.datetime,
    busy: list[tuple[dt.datetime, dt.datetime]],
    rules: list[dict[str, Any]],
) -> bool:
    local_start, local_end = _local(start, person), _local(end, person)
    if local_start.weekday() >= 5 or local_start.date() != local_end.date():
        return False
    if not (_t(person.hours[0]) <= local_start.time() and local_end.time() <= _t(person.hours[1])):
        return False
    if any(s < end and e > start for s, e in busy):
        return False
    return all(_constraint_ok(rule, local_start, local_end) for rule in rules)


def _rule_text(rule: dict[str, Any], person: _Person) -> str:
    first = person.name.split()[0]
    if rule["kind"] == "not_before":
        return f"{first} cannot start before {rule['time']} their time."
    if rule["kind"] == "not_after":
        return f"{first} has to be done by {rule['time']} their time."
    if rule["kind"] == "lunch":
        return f"{first} keeps {rule['from']}-{rule['to']} (their time) free for lunch."
    return f"{first} is not available on {WEEKDAYS[rule['weekday']]}s (their time)."


class CalendarScheduling(AgenticTemplate[CalendarConfig]):
    """Book the earliest slot for people across time zones."""

    name = "calendar_scheduling"
    domain = "scheduling"
    version = "1.0"
    description = "book the earliest meeting slot that fits people across time zones (agentic, calendar environment)"
    grader = "rft:tasks/calendar_scheduling"
    config_cls = CalendarConfig
    levels: ClassVar[Levels] = {
        "easy": {
            "min_people": 1,
            "max_people": 1,
            "window_days": 1,
            "constraints": 0,
            "same_region": True,
            "meetings_per_day": 2,
        },
        "medium": {
            "min_people": 2,
            "max_people": 2,
            "window_days": 2,
            "constraints": 1,
            "same_region": False,
            "meetings_per_day": 2,
        },
        "hard": {
            "min_people": 3,
            "max_people": 4,
            "window_days": 3,
            "constraints": 2,
            "same_region": False,
            "across_dst": True,
            "meetings_per_day": 3,
        },
    }

    def draft(self, rng: random.Random, config: CalendarConfig) -> Draft:
        for _ in range(200):  # redraw until the constraints leave a slot (the rng stream keeps this deterministic)
            built = self._attempt(rng, config)
            if built is not None:
                return built
        raise RuntimeError("calendar_scheduling: no feasible scenario in 200 draws; loosen the level's config")

    def _attempt(self, rng: random.Random, config: CalendarConfig) -> Draft | None:
        region = pick(rng, ("europe", "americas", "asia"))
        pool = [p for p in PEOPLE if p[3] == region] if config.same_region else list(PEOPLE)
        count = between(rng, config.min_people, config.max_people) + 1
        chosen = rng.sample(pool, count)
        people = [_Person(f"p{i + 1}", name, tz, hours) for i, (name, tz, hours, _) in enumerate(chosen)]
        organizer = people[0]
        if config.across_dst:
            change = pick(rng, DST_DATES)
            first = change - dt.timedelta(days=between(rng, 1, config.window_days))
        else:
            first = dt.date(2026, 1, 5) + dt.timedelta(days=between(rng, 0, 330))
        while first.weekday() >= 5:
            first += dt.timedelta(days=1)
        window = [first + dt.timedelta(days=i) for i in range(config.window_days)]
        minutes = pick(rng, (30, 45, 60, 90) if count > 2 else (30, 60))
        events = self._meetings(rng, people, window, config)
        rules: dict[str, list[dict[str, Any]]] = {}
        for _ in range(config.constraints):
            person = pick(rng, people[1:])
            kind = pick(rng, CONSTRAINTS)
            rule: dict[str, Any] = {"kind": kind}
            if kind == "not_before":
                rule["time"] = pick(rng, ("10:00", "10:30", "11:00"))
            elif kind == "not_after":
                rule["time"] = pick(rng, ("15:00", "15:30", "16:00"))
            elif kind == "lunch":
                rule["from"], rule["to"] = pick(rng, (("12:00", "13:00"), ("12:30", "13:30"), ("13:00", "14:00")))
            else:
                rule["weekday"] = pick(rng, window).weekday()
            rules.setdefault(person.id, []).append(rule)
        slot = earliest_slot(people, events, rules, window, organizer, minutes)
        if slot is None:
            return None
        return self._row(rng, people, organizer, events, rules, window, minutes, slot)

    @staticmethod
    def _meetings(
        rng: random.Random, people: list[_Person], window: list[dt.date], config: CalendarConfig
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        days = [window[0] - dt.timedelta(days=1), *window, window[-1] + dt.timedelta(days=1)]
        for person in people:
            tz = zone(person.tz)
            low, high = _t(person.hours[0]), _t(person.hours[1])
            for day in days:
                for _ in range(between(rng, 0, config.meetings_per_day)):
                    half_hours = (high.hour * 60 + high.minute - low.hour * 60 - low.minute) // 30
                    start_slot = between(rng, 0, max(0, half_hours - 2))
                    local = dt.datetime.combine(day, low, tz) + dt.timedelta(minutes=30 * start_slot)
                    length = pick(rng, (30, 60, 90))
                    attendees = [person.id]
                    if rng.random() < 0.25:
                        other = pick(rng, people)
                        if other.id != person.id:
                            attendees.append(other.id)
                    events.append(
                        {
                            "id": f"M-{len(events) + 101}",
                            "owner": person.id,
                            "title": pick(rng, MEETINGS),
                            "start": format_utc(local),
                            "end": format_utc(local + dt.timedelta(minutes=length)),
                            "attendees": sorted(attendees),
                        }
                    )
        return events

    def _row(
        self,
        rng: random.Random,
        people: list[_Person],
        organizer: _Person,
        events: list[dict[str, Any]],
        rules: dict[str, list[dict[str, Any]]],
        window: list[dt.date],
        minutes: int,
        slot: dt.datetime,
    ) -> Draft:
        title = pick(rng, TITLES)
        guests = people[1:]
        guest_ids = [p.id for p in guests]
        attendees = sorted([organizer.id, *guest_ids])
        start_text = format_utc(slot)
        end_text = format_utc(slot + dt.timedelta(minutes=minutes))
        local = _local(slot, organizer)
        local_text = local.strftime("%Y-%m-%d %H:%M")
        names = ", ".join(f"{p.name} ({p.id})" for p in guests)
        if len(window) == 1:
            span = f"on {WEEKDAYS[window[0].weekday()]} {window[0].isoformat()}"
        else:
            span = (
                f"between {WEEKDAYS[window[0].weekday()]} {window[0].isoformat()} and "
                f"{WEEKDAYS[window[-1].weekday()]} {window[-1].isoformat()}"
            )
        notes = " ".join(_rule_text(r, p) for p in guests for r in rules.get(p.id, []))
        user = (
            f"I'm {organizer.name} ({organizer.id}, time zone {organizer.tz}). Please book a {minutes}-minute "
            f'meeting titled "{title}" with {names}: the earliest slot {span} (my dates) that fits everyone\'s '
            f"working hours and calendars, starting on the hour or half past. {notes} Invite only them, then tell "
            "me the start in my time zone as YYYY-MM-DD HH:MM."
        ).replace("  ", " ")
        developer = (
            "You are a scheduling assistant with access to the team calendar. Use the tools to look at "
            "people's schedules; times you send must carry a UTC offset. Book exactly one meeting, never "
            "cancel or move other people's meetings, and do not book anything you were not asked to."
        )
        plan: list[dict[str, Any]] = [{"name": "list_people", "arguments": {}}]
        for person in people:
            dates = sorted(
                {_local(dt.datetime.combine(d, dt.time(12), zone(organizer.tz)), person).date() for d in window}
            )
            for day in dates:
                plan.append({"name": "get_schedule", "arguments": {"person_id": person.id, "date": day.isoformat()}})
        iso = slot.isoformat(timespec="minutes")
        plan.append(
            {"name": "check_slot", "arguments": {"start": iso, "duration_minutes": minutes, "attendees": attendees}}
        )
        plan.append(
            {
                "name": "create_event",
                "arguments": {"title": title, "start": iso, "duration_minutes": minutes, "attendees": guest_ids},
            }
        )
        plan.append(
            {
                "final_answer": f'Booked "{title}" for {local_text} your time ({organizer.tz}), {minutes} '
                f"minutes, with {', '.join(p.name for p in guests)}."
            }
        )
        environment = {
            "name": "calendar",
            "organizer": organizer.id,
            "people": [{"id": p.id, "name": p.name, "timezone": p.tz, "hours": list(p.hours)} for p in people],
            "events": events,
        }
        victim = next((e for e in events if e["owner"] != organizer.id), events[0] if events else None)
        violation = {"name": "cancel_event", "arguments": {"event_id": victim["id"] if victim else "M-101"}}
        calls = len(plan) - 1
        return agentic_draft(
            messages=[{"role": "developer", "content": developer}, {"role": "user", "content": user}],
            environment=environment,
            oracle_plan=plan,
            reference={
                "expected_state": {
                    "created_count": 1,
                    "created[0].start": start_text,
                    "created[0].end": end_text,
                    "created[0].attendees": attendees,
                    "created[0].title": title,
                    "cancelled": [],
                },
                "required_calls": [
                    {"name": ["get_schedule", "check_slot"]},
                    {
                        "name": "create_event",
                        "min": 1,
                        "max": 1,
                        "arguments": {"attendees": {"set_eq": guest_ids}, "duration_minutes": minutes},
                    },
                ],
                "forbidden_calls": [{"name": "cancel_event"}],
                "call_budget": {"max_calls": 2 * calls + 10, "max_identical": 3},
                "required_facts": [local_text],
                "policy_violation": violation,
                "slot_utc": start_text,
            },
            info={"people": len(people), "window_days": len(window), "constraints": sum(map(len, rules.values()))},
        )
