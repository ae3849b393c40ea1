"""Tool calling: pick the right function from the row's ``tools`` catalogue and fill its arguments.

Requests are written in everyday language and need normalising into the schema: relative dates ("next Thursday")
into ISO dates given today's date, times ("half past two in the afternoon") into 24-hour ``HH:MM``, money into cents,
city names into IATA codes. Harder levels offer more tools, including near-miss distractors (``get_current_weather``
next to ``get_forecast``). The function catalogue lives in ``data/tool_catalogue.yaml``. Graded by
``graders/tasks/tool_calling.yaml``: the function name, then each required argument against ``item.argument_schema``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import yaml

from rft_kit.errors import ConfigError
from rft_kit.records import Item
from rft_kit.tasks.base import Draft, Levels, TaskConfig, TaskGenerator

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 10: "ten"}


@cache
def _data() -> dict[str, Any]:
    path = Path(__file__).with_name("data") / "tool_catalogue.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True, kw_only=True)
class ToolConfig(TaskConfig):
    """Config of :class:`ToolCalling`.

    Attributes:
        catalogue_size: how many tools the row offers (the target plus distractors, at most the catalogue size).
        relative_dates: phrase dates relative to today ("next Friday") rather than as ISO dates.
        spoken_values: phrase times and money in words ("quarter past three", "forty-two fifty").
    """

    catalogue_size: int = 4
    relative_dates: bool = False
    spoken_values: bool = False

    def validate(self) -> None:
        total = len(_data()["tools"])
        if not 1 <= self.catalogue_size <= total:
            raise ConfigError(f"must be between 1 and {total}, got {self.catalogue_size}", path="catalogue_size")


@dataclass(frozen=True, slots=True)
class _Ctx:
    rng: random.Random
    today: dt.date
    config: ToolConfig


def _date_phrase(ctx: _Ctx) -> tuple[str, dt.date]:
    offset = ctx.rng.randint(1, 20)
    day = ctx.today + dt.timedelta(days=offset)
    if not ctx.config.relative_dates:
        return f"on {day.isoformat()}", day
    style = ctx.rng.choice(("tomorrow", "in_days", "next_weekday"))
    if style == "tomorrow":
        return "tomorrow", ctx.today + dt.timedelta(days=1)
    if style == "in_days":
        return f"in {offset} days", day
    # "next <weekday>" means the first such weekday strictly after today (1-7 days ahead)
    weekday = ctx.rng.randrange(7)
    ahead = (weekday - ctx.today.weekday()) % 7 or 7
    return f"next {WEEKDAYS[weekday]}", ctx.today + dt.timedelta(days=ahead)


def _time_phrase(ctx: _Ctx) -> tuple[str, str]:
    hour, minute = ctx.rng.randint(8, 17), ctx.rng.choice((0, 15, 30, 45))
    value = f"{hour:02d}:{minute:02d}"
    if not ctx.config.spoken_values:
        return f"at {value}", value
    h12 = hour - 12 if hour > 12 else hour
    part = "in the morning" if hour < 12 else "in the afternoon"
    spoken = {0: f"{h12} o'clock", 15: f"quarter past {h12}", 30: f"half past {h12}", 45: f"quarter to {h12 % 12 + 1}"}
    return f"at {spoken[minute]} {part}", value


def _forecast(ctx: _Ctx) -> tuple[str, dict[str, Any]]:
    city, days = ctx.rng.choice(_data()["cities"]), ctx.rng.randint(2, 7)
    how_long = f"the next {NUMBER_WORDS.get(days, days)} days" if ctx.config.spoken_values else f"{days} days"
    text = ctx.rng.choice(
        (
            f"I'm cycling around {city} and need the forecast for {how_long}.",
            f"What will the weather be like in {city} over {how_long}? Planning a trip.",
        )
    )
    return text, {"city": city, "days": days}


def _meeting(ctx: _Ctx) -> tuple[str, dict[str, Any]]:
    room = ctx.rng.choice(("Atlas", "Borealis", "Cedar", "Dune", "Everest"))
    when, date = _date_phrase(ctx)
    at, start = _time_phrase(ctx)
    minutes = ctx.rng.choice((30, 45, 60, 90, 120))
    length = {30: "half an hour", 45: "45 minutes", 60: "an hour", 90: "an hour and a half", 120: "two hours"}[minutes]
    if not ctx.config.spoken_values:
        length = f"{minutes} minutes"
    text = f"Please reserve the {room} room {when} {at} for {length} - we have a design review."
    return text, {"room": room, "date": date.isoformat(), "start_time": start, "duration_minutes": minutes}


def _currency(ctx: _Ctx) -> tuple[str, dict[str, Any]]:
    (src_name, src), (dst_name, dst) = ctx.rng.sample(_data()["currencies"], 2)
    amount = ctx.rng.randint(5, 5000) if ctx.rng.random() < 0.5 else ctx.rng.randint(500, 500000) / 100
    shown = f"{amount:,}" if isinstance(amount, int) else f"{amount:,.2f}"
    text = f"How much is {shown} {src_name} in {dst_name} today?"
    return text, {"amount": amount, "from_currency": src, "to_currency": dst}


def _package(ctx: _Ctx) -> tuple[str, dict[str, Any]]:
    carrier, label = ctx.rng.choice(
        (("dhl", "DHL"), ("ups", "UPS"), ("fedex", "FedEx"), ("royal_mail", "Royal Mail"), ("postnl", "PostNL"))
    )
    number = "".join(ctx.rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(ctx.rng.randint(10, 14)))
    text = f"My parcel from {label} hasn't arrived yet - tracking number {number}. Where is it now?"
    return text, {"tracking_number": number, "carrier": carrier}


def _thermostat(ctx: _Ctx) -> tuple[str, dict[str, Any]]:
    room, label = ctx.rng.choice(
        (("living_room", "living room"), ("bedroom", "bedroom"), ("office", "home office"), ("kitchen", "kitchen"))
    )
    celsius = ctx.rng.choice((17, 18, 19, 20, 20.5, 21, 21.5, 22, 23))
    text = f"It's chilly - set the {label} to {celsius} degrees Celsius, please."
    return text, {"room": room, "temperature_c": celsius}


def _transfer(ctx: _Ctx) -> tuple[str, dict[str, Any]]:
    src, dst = ctx.rng.sample(("checking", "savings", "travel"), 2)
    cents = ctx.rng.randint(1, 2000) * 100 + ctx.rng.choice((0, 0, 25, 50, 99))
    text = f"Move ${cents // 100:,}.{cents % 100:02d} from my {src} account to {dst}."
    return text, {"from_account": src, "to_account": dst, "amount_cents": cents}


def _flights(ctx: _Ctx) -> tuple[str, dict[str, Any]]:
    (o_name, origin), (d_name, dest) = ctx.rng.sample(_data()["airports"], 2)
    when, date = _date_phrase(ctx)
    text = f"Find me a one-way flight from {o_name} to {d_name} {when}."
    return text, {"origin": origin, "destination": dest, "date": date.isoformat()}


_WRITERS: dict[str, Callable[[_Ctx], tuple[str, dict[str, Any]]]] = {
    "get_forecast": _forecast,
    "book_meeting_room": _meeting,
    "convert_currency": _currency,
    "track_package": _package,
    "set_thermostat": _thermostat,
    "transfer_funds": _transfer,
    "search_flights": _flights,
}


def tool_spec(name: str) -> dict[str, Any]:
    """The OpenAI ``tools`` entry of catalogue function ``name``."""
    spec = _data()["tools"][name]
    return {
        "type": "function",
        "function": {"name": name, "description": spec["description"], "parameters": spec["parameters"]},
    }


class ToolCalling(TaskGenerator[ToolConfig]):
    """Function selection and argument filling against a tool catalogue."""

    name = "tool_calling"
    domain = "agents (tool use)"
    version = "1.0"
    description = "choose the right function from the row's tools and fill normalised arguments"
    grader = "rft:tasks/tool_calling"
    config_cls = ToolConfig
    levels: ClassVar[Levels] = {
        "easy": {"catalogue_size": 3, "relative_dates": False, "spoken_values": False},
        "medium": {"catalogue_size": 6, "relative_dates": True, "spoken_values": False},
        "hard": {"catalogue_size": 12, "relative_dates": True, "spoken_values": True},
    }

    def draft(self, rng: random.Random, config: ToolConfig) -> Draft:
        data = _data()
        target = rng.choice(data["targets"])
        today = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(365))
        request, arguments = _WRITERS[target](_Ctx(rng, today, config))
        others = [name for name in data["tools"] if name != target]
        names = [target, *rng.sample(others, min(len(others), config.catalogue_size - 1))]
        rng.shuffle(names)
        developer = (
            f"You are a personal assistant with access to tools. Today is {WEEKDAYS[today.weekday()]}, "
            f"{today.isoformat()}. When a request can be served by a tool, call exactly one tool with arguments "
            "that satisfy its schema (dates as YYYY-MM-DD, times as 24-hour HH:MM, money in the unit the schema asks "
            "for; 'next <weekday>' means the first such day after today). Do not answer from memory."
        )
        properties = {key: {"const": value} for key, value in arguments.items()}
        return Draft(
            messages=[{"role": "developer", "content": developer}, {"role": "user", "content": request}],
            tools=[tool_spec(name) for name in names],
            reference={
                "function": target,
                "arguments": arguments,
                "argument_schema": {"type": "object", "required": list(arguments), "properties": properties},
            },
            info={"label": target},
        )

    def reference_sample(self, item: Item) -> dict[str, Any]:
        call = {"name": item["function"], "arguments": json.dumps(item["arguments"])}
        return {"output_text": "", "output_tools": [{"id": "call_0", "type": "function", "function": call}]}
