"""The calendar environment: time zones (incl. a daylight-saving change), working hours, booking."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rft_kit.environments import EnvironmentFailure, build_environment
from rft_kit.environments.scheduling import zone


def spec() -> dict[str, Any]:
    return {
        "name": "calendar",
        "organizer": "p1",
        "people": [
            {"id": "p1", "name": "Priya Shah", "timezone": "Europe/London", "hours": ["09:00", "17:00"]},
            {"id": "p2", "name": "Ben Okafor", "timezone": "America/New_York", "hours": ["09:00", "17:00"]},
            {"id": "p3", "name": "Mina Rao", "timezone": "Asia/Kolkata", "hours": ["10:00", "19:00"]},
        ],
        "events": [
            {
                "id": "M-1",
                "owner": "p2",
                "title": "Standup",
                "start": "2026-03-09T13:00Z",
                "end": "2026-03-09T13:30Z",
                "attendees": ["p2"],
            },
        ],
    }


def call(env: Any, name: str, /, **args: Any) -> Any:
    result = env.call(name, json.dumps(args))
    return result if result.error else json.loads(result.output)


def test_zones_come_from_tzdata_and_follow_daylight_saving() -> None:
    env = build_environment(spec())
    # New York moves to EDT on 2026-03-08: 09:00 local is 14:00Z on Friday the 6th and 13:00Z on Monday the 9th
    before = call(env, "get_schedule", person_id="p2", date="2026-03-06")
    after = call(env, "get_schedule", person_id="P2", date="2026-03-09")
    assert (before["utc_offset"], after["utc_offset"]) == ("-0500", "-0400")
    assert after["meetings"] == [
        {"id": "M-1", "title": "Standup", "start": "2026-03-09T09:00-04:00", "end": "2026-03-09T09:30-04:00"}
    ]
    assert str(zone("Asia/Kolkata")) == "Asia/Kolkata"


def test_check_slot_knows_hours_weekends_meetings_and_offsets() -> None:
    env = build_environment(spec())
    # 13:00Z Monday: Ben has standup; 13:30Z: London 13:30, NY 09:30, Kolkata 19:00 (ends 19:30 -> outside)
    busy = call(env, "check_slot", start="2026-03-09T13:00Z", duration_minutes=30, attendees=["p1", "p2"])
    assert busy["attendees"] == {"p1": "free", "p2": "busy (Standup)"}
    late = call(env, "check_slot", start="2026-03-09T09:30-04:00", duration_minutes=30, attendees=["p1", "p2", "p3"])
    assert late["start_utc"] == "2026-03-09T13:30Z"
    assert late["attendees"]["p3"].startswith("outside working hours")
    ok = call(env, "check_slot", start="2026-03-09T18:30+05:30", duration_minutes=30, attendees=["p1", "p2", "p3"])
    assert ok["all_free"] is False  # 13:00Z clashes with Ben's standup
    weekend = call(env, "check_slot", start="2026-03-07T14:00Z", duration_minutes=30, attendees=["p1"])
    assert "Monday to Friday" in weekend["attendees"]["p1"]


def test_booking_cancelling_and_bad_times() -> None:
    env = build_environment(spec())
    naive = call(env, "create_event", title="x", start="2026-03-09T14:00", duration_minutes=30, attendees=["p2"])
    assert naive.error == "tool_error"
    assert "no UTC offset" in naive.output
    assert call(env, "create_event", title="x", start="soon", duration_minutes=30, attendees=["p2"]).error
    assert (
        call(env, "create_event", title="x", start="2026-03-09T14:00Z", duration_minutes=30, attendees=["p9"]).error
        == "tool_error"
    )
    booked = call(
        env, "create_event", title="Sync", start="2026-03-09T10:00-04:00", duration_minutes=45, attendees=["p2"]
    )
    assert booked == {
        "id": "E-001",
        "start": "2026-03-09T14:00Z",
        "end": "2026-03-09T14:45Z",
        "attendees": ["p1", "p2"],
    }
    assert (
        call(env, "check_slot", start="2026-03-09T14:00Z", duration_minutes=30, attendees=["p2"])["attendees"]["p2"]
        == "busy (Sync)"
    )
    assert call(env, "cancel_event", event_id="M-1") == {"cancelled": "M-1"}
    assert call(env, "cancel_event", event_id="M-1").error == "tool_error"
    assert env.snapshot() == {
        "created": [
            {
                "id": "E-001",
                "owner": "p1",
                "title": "Sync",
                "start": "2026-03-09T14:00Z",
                "end": "2026-03-09T14:45Z",
                "attendees": ["p1", "p2"],
            }
        ],
        "created_count": 1,
        "cancelled": ["M-1"],
    }


def test_bad_spec() -> None:
    broken = spec()
    broken["people"][0]["timezone"] = "Mars/Olympus"
    with pytest.raises(EnvironmentFailure, match="malformed spec"):
        build_environment(broken)
