"""``calendar``: people in different time zones, their working hours and meetings; book a meeting for them.

Time zones come from the ``tzdata`` package (IANA data shipped as a wheel), not the system database, so an episode
gives the same answers on every machine and offline. The environment books what it is asked to (it does not
refuse a meeting over someone's lunch): respecting the constraints is the agent's task, and the grader sees the
booked slot in the final state.

Spec::

    {"name": "calendar", "organizer": "p1",
     "people": [{"id", "name", "timezone": "Europe/Lisbon", "hours": ["09:00", "17:00"]}],
     "events": [{"id", "owner", "title", "start": "2026-03-10T14:00Z", "end": "...", "attendees": [ids]}]}

Times in and out are ISO 8601 with an offset; the snapshot keeps UTC (``2026-03-10T14:00Z``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .base import Environment, EnvironmentFailure, ToolError, spec_field, tool

__all__ = ["CalendarEnv", "format_utc", "parse_instant", "zone"]

UTC = dt.UTC


@cache
def zone(key: str) -> ZoneInfo:
    """The IANA zone ``key`` from the tzdata package (the system database only if tzdata is missing).

    Raises:
        KeyError: unknown zone.
    """
    try:
        path = resources.files("tzdata.zoneinfo").joinpath(*key.split("/"))
        with path.open("rb") as handle:
            return ZoneInfo.from_file(handle, key=key)
    except ModuleNotFoundError:
        pass
    except (FileNotFoundError, IsADirectoryError, ValueError, OSError):
        raise KeyError(key) from None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise KeyError(key) from None


def format_utc(instant: dt.datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_instant(text: str) -> dt.datetime:
    """An aware datetime from ISO 8601 text with an offset or ``Z``.

    Raises:
        ToolError: not ISO 8601, or no offset (a wall-clock time is ambiguous across time zones).
    """
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ToolError(
            f"{text!r} is not an ISO 8601 date-time; write e.g. 2026-03-10T14:00+00:00 or 2026-03-10T09:00-05:00"
        ) from None
    if value.tzinfo is None:
        raise ToolError(
            f"{text!r} has no UTC offset; add one (e.g. +00:00 or -05:00), since people are in different time zones"
        )
    return value


def _hm(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


class CalendarEnv(Environment):
    """Look up people's schedules, check a slot, book or cancel meetings."""

    name: ClassVar[str] = "calendar"

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        try:
            people = json.loads(json.dumps(spec_field(spec, "people", list, self.name)))
            self.people: dict[str, dict[str, Any]] = {p["id"]: p for p in people}
            self.zones = {p["id"]: zone(p["timezone"]) for p in people}
            self.hours = {p["id"]: (_hm(p["hours"][0]), _hm(p["hours"][1])) for p in people}
            self.events: list[dict[str, Any]] = []
            for event in spec_field(spec, "events", list, self.name):
                self.events.append(
                    {**event, "start_at": parse_instant(event["start"]), "end_at": parse_instant(event["end"])}
                )
            self.organizer = str(spec["organizer"])
            if self.organizer not in self.people:
                raise KeyError(f"organizer {self.organizer}")
        except (KeyError, TypeError, ValueError, IndexError, ToolError) as exc:
            raise EnvironmentFailure(f"environment 'calendar': malformed spec ({type(exc).__name__}: {exc})") from exc
        self.created: list[dict[str, Any]] = []
        self.cancelled: list[str] = []

    def _person(self, person_id: str) -> str:
        key = person_id.strip().lower()
        if key not in self.people:
            raise ToolError(f"no person with id {person_id!r}; known ids: {', '.join(sorted(self.people))}")
        return key

    def _busy(self, person: str) -> list[dict[str, Any]]:
        return [
            e
            for e in self.events
            if e["id"] not in self.cancelled and (person in e["attendees"] or e["owner"] == person)
        ]

    @tool
    def list_people(self) -> list[dict[str, Any]]:
        """List the people you can schedule with: id, name, time zone and working hours (local time, Mon-Fri)."""
        return [
            {"id": p["id"], "name": p["name"], "timezone": p["timezone"], "working_hours": "-".join(p["hours"])}
            for p in self.people.values()
        ]

    @tool
    def get_schedule(self, person_id: str, date: str) -> dict[str, Any]:
        """Get one person's meetings on a date of their own calendar, in their local time.

        Args:
            person_id: the person's id (see list_people).
            date: the local date, YYYY-MM-DD.
        """
        person = self._person(person_id)
        try:
            day = dt.date.fromisoformat(date.strip())
        except ValueError:
            raise ToolError(f"{date!r} is not a date; write YYYY-MM-DD") from None
        tz = self.zones[person]
        start = dt.datetime.combine(day, dt.time(0), tz)
        end = start + dt.timedelta(days=1)
        meetings = []
        for event in sorted(self._busy(person), key=lambda e: e["start_at"]):
            if event["start_at"] < end and event["end_at"] > start:
                meetings.append(
                    {
                        "id": event["id"],
                        "title": event["title"],
                        "start": event["start_at"].astimezone(tz).isoformat(timespec="minutes"),
                        "end": event["end_at"].astimezone(tz).isoformat(timespec="minutes"),
                    }
                )
        return {
            "person_id": person,
            "date": day.isoformat(),
            "timezone": self.people[person]["timezone"],
            "utc_offset": start.strftime("%z"),
            "working_hours": "-".join(self.people[person]["hours"]),
            "meetings": meetings,
        }

    @tool
    def check_slot(self, start: str, duration_minutes: int, attendees: list[str]) -> dict[str, Any]:
        """Check whether a slot is free for everyone: within working hours and clear of their meetings.

        Args:
            start: the start, ISO 8601 with a UTC offset (e.g. 2026-03-10T14:00+00:00).
            duration_minutes: the meeting's length in minutes.
            attendees: the ids of everyone who would attend.
        """
        begin = parse_instant(start)
        if not 5 <= duration_minutes <= 600:
            raise ToolError("duration_minutes must be between 5 and 600")
        finish = begin + dt.timedelta(minutes=duration_minutes)
        verdict: dict[str, str] = {}
        for raw in attendees:
            person = self._person(raw)
            tz = self.zones[person]
            local_start, local_end = begin.astimezone(tz), finish.astimezone(tz)
            low, high = self.hours[person]
            inside = (
                local_start.weekday() < 5  # nobody works weekends
                and local_start.date() == local_end.date()
                and low <= local_start.time()
                and local_end.time() <= high
            )
            if not inside:
                verdict[person] = (
                    f"outside working hours ({'-'.join(self.people[person]['hours'])} local, Monday to Friday; the "
                    f"slot is {local_start:%a %H:%M}-{local_end:%H:%M} local)"
                )
                continue
            clash = next((e for e in self._busy(person) if e["start_at"] < finish and e["end_at"] > begin), None)
            verdict[person] = "free" if clash is None else f"busy ({clash['title']})"
        return {
            "start_utc": format_utc(begin),
            "all_free": all(v == "free" for v in verdict.values()),
            "attendees": verdict,
        }

    @tool
    def create_event(self, title: str, start: str, duration_minutes: int, attendees: list[str]) -> dict[str, Any]:
        """Book a meeting organised by you and invite the attendees.

        Args:
            title: the meeting's title.
            start: the start, ISO 8601 with a UTC offset.
            duration_minutes: the length in minutes.
            attendees: the ids of the people to invite (you, the organiser, attend anyway).
        """
        begin = parse_instant(start)
        if not 5 <= duration_minutes <= 600:
            raise ToolError("duration_minutes must be between 5 and 600")
        invited = sorted({self._person(a) for a in attendees} | {self.organizer})
        event = {
            "id": f"E-{len(self.created) + 1:03d}",
            "owner": self.organizer,
            "title": title[:200],
            "start": format_utc(begin),
            "end": format_utc(begin + dt.timedelta(minutes=duration_minutes)),
            "attendees": invited,
        }
        self.events.append({**event, "start_at": begin, "end_at": begin + dt.timedelta(minutes=duration_minutes)})
        self.created.append(event)
        return {k: event[k] for k in ("id", "start", "end", "attendees")}

    @tool
    def cancel_event(self, event_id: str) -> dict[str, Any]:
        """Cancel a meeting (it disappears from every attendee's calendar).

        Args:
            event_id: the meeting's id.
        """
        event = next((e for e in self.events if e["id"] == event_id.strip()), None)
        if event is None or event["id"] in self.cancelled:
            raise ToolError(f"no meeting with id {event_id!r}")
        self.cancelled.append(event["id"])
        return {"cancelled": event["id"]}

    def snapshot(self) -> dict[str, Any]:
        """The meetings booked in this episode (UTC), and the ids of cancelled ones."""
        return {
            "created": [dict(e) for e in self.created],
            "created_count": len(self.created),
            "cancelled": sorted(self.cancelled),
        }
