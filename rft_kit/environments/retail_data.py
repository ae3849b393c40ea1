"""The bundled retail database of the ``sql_analysis`` environment, generated deterministically.

Customers, products, orders and order items of a shop in 2025 (customers signed up 2022-2025). The data is built
from a fixed seed with :class:`random.Random` (the same on every platform), so it needs no binary file in the
repository; :func:`database_image` turns it into an SQLite image once per process. Task templates compute their
reference answers from :func:`retail_data` in Python, independently of the SQL the agent (or the oracle) runs.

Money is in integer cents (``unit_price_cents``), so sums are exact.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from dataclasses import dataclass
from functools import cache
from typing import Final

__all__ = ["DATABASES", "SCHEMA", "RetailData", "database_image", "retail_data"]

DATABASES: Final = ("retail-2025",)
REGIONS: Final = ("North", "South", "East", "West", "Central")
CHANNELS: Final = ("web", "store", "app")
STATUSES: Final = ("completed", "returned", "cancelled")
CATEGORIES: Final = {
    "Outdoor": (
        "Trail Tent",
        "Camp Stove",
        "Sleeping Bag",
        "Headlamp",
        "Trekking Poles",
        "Water Filter",
        "Dry Bag",
        "Camp Chair",
    ),
    "Kitchen": (
        "Chef Knife",
        "Cast Iron Pan",
        "Espresso Maker",
        "Cutting Board",
        "Stand Mixer",
        "Kettle",
        "Knife Sharpener",
        "Salad Spinner",
    ),
    "Office": (
        "Desk Lamp",
        "Ergonomic Chair",
        "Notebook Set",
        "Monitor Arm",
        "Desk Mat",
        "Fountain Pen",
        "Cable Tray",
        "Whiteboard",
    ),
    "Garden": (
        "Pruning Shears",
        "Hose Reel",
        "Seed Starter Kit",
        "Watering Can",
        "Garden Gloves",
        "Raised Bed",
        "Compost Bin",
        "Bird Feeder",
    ),
    "Fitness": (
        "Yoga Mat",
        "Kettlebell",
        "Jump Rope",
        "Foam Roller",
        "Resistance Bands",
        "Pull-up Bar",
        "Dumbbell Pair",
        "Balance Board",
    ),
    "Audio": (
        "Wireless Earbuds",
        "Bookshelf Speakers",
        "Turntable",
        "Headphones",
        "Soundbar",
        "Portable Speaker",
        "Microphone",
        "DAC Amp",
    ),
}
FIRST: Final = (
    "Ada",
    "Bea",
    "Cai",
    "Dev",
    "Eli",
    "Fay",
    "Gus",
    "Hal",
    "Ivy",
    "Joe",
    "Kim",
    "Lea",
    "Max",
    "Nia",
    "Oli",
    "Pia",
    "Rex",
    "Sol",
    "Tia",
    "Uma",
    "Vic",
    "Wes",
    "Xia",
    "Yan",
    "Zoe",
)
LAST: Final = (
    "Arden",
    "Blake",
    "Chao",
    "Diaz",
    "Eze",
    "Ford",
    "Gray",
    "Hale",
    "Iqbal",
    "Joshi",
    "Kent",
    "Lund",
    "Mora",
    "Nash",
    "Ortiz",
    "Park",
    "Quon",
    "Reyes",
    "Shaw",
    "Tran",
    "Ueda",
    "Vance",
    "Wolfe",
    "Yates",
)

SCHEMA: Final = {
    "customers": (
        ("customer_id", "INTEGER PRIMARY KEY"),
        ("name", "TEXT"),
        ("email", "TEXT"),
        ("phone", "TEXT"),
        ("region", "TEXT"),
        ("signup_date", "TEXT"),
    ),
    "products": (
        ("product_id", "INTEGER PRIMARY KEY"),
        ("name", "TEXT"),
        ("category", "TEXT"),
        ("list_price_cents", "INTEGER"),
    ),
    "orders": (
        ("order_id", "INTEGER PRIMARY KEY"),
        ("customer_id", "INTEGER"),
        ("order_date", "TEXT"),
        ("status", "TEXT"),
        ("channel", "TEXT"),
    ),
    "order_items": (
        ("order_id", "INTEGER"),
        ("product_id", "INTEGER"),
        ("quantity", "INTEGER"),
        ("unit_price_cents", "INTEGER"),
    ),
}
"""Table -> (column, SQL type); dates are ISO text (YYYY-MM-DD)."""


@dataclass(frozen=True)
class RetailData:
    customers: tuple[tuple[int, str, str, str, str, str], ...]
    products: tuple[tuple[int, str, str, int], ...]
    orders: tuple[tuple[int, int, str, str, str], ...]
    order_items: tuple[tuple[int, int, int, int], ...]


@cache
def retail_data(database: str = "retail-2025") -> RetailData:
    """The rows of ``database`` (one fixed seed per database name)."""
    if database not in DATABASES:
        raise KeyError(database)
    rng = random.Random(20250101)
    customers = []
    names: set[str] = set()
    for cid in range(1, 401):
        while True:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if name not in names:
                names.add(name)
                break
        signup = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(0, 1400))
        handle = name.lower().replace(" ", ".")
        customers.append(
            (
                cid,
                name,
                f"{handle}@example.com",
                f"+1-555-{rng.randrange(1000, 9999)}",
                rng.choice(REGIONS),
                signup.isoformat(),
            )
        )
    products = []
    pid = 100
    for category, items in CATEGORIES.items():
        for item in items:
            pid += 1
            products.append((pid, item, category, rng.randrange(8, 400) * 100 + rng.choice((0, 49, 99))))
    orders = []
    order_items = []
    weights = [1 + (i % 7) for i in range(len(customers))]  # some customers buy much more than others
    for oid in range(5001, 8001):
        customer = rng.choices(customers, weights)[0]
        day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 365))
        status = rng.choices(STATUSES, (85, 10, 5))[0]
        orders.append((oid, customer[0], day.isoformat(), status, rng.choices(CHANNELS, (5, 3, 2))[0]))
        for product in rng.sample(products, rng.choice((1, 1, 2, 2, 3, 4))):
            discount = rng.choice((100, 100, 100, 90, 80))
            order_items.append((oid, product[0], rng.choice((1, 1, 1, 2, 3)), product[3] * discount // 100))
    return RetailData(tuple(customers), tuple(products), tuple(orders), tuple(order_items))


@cache
def database_image(database: str = "retail-2025") -> bytes:
    """The SQLite image of ``database`` (built in memory, once per process)."""
    data = retail_data(database)
    conn = sqlite3.connect(":memory:")
    try:
        for table, columns in SCHEMA.items():
            conn.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns)})")
            rows = getattr(data, table)
            conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})", rows)
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()
