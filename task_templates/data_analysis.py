"""Data analysis: answer a business question by querying a bundled SQLite database through ``run_sql`` (agentic).

The database (``rft_kit.environments.retail_data``: customers, products, orders, order items of 2025) is the same for
every row; the questions vary. Easy questions need one table, medium ones a join and an aggregate, hard ones several
steps (a per-group aggregate, then a comparison). A data-protection rule forbids reading customers' email and phone
columns. Queries run in rft-kit's sandbox.

Reference answers are computed here in Python from the generator's rows, independently of SQL; the oracle plan's
query is written separately, and the template test checks that the query, run in the sandbox, returns the Python
answer. Graded by ``graders/tasks/data_analysis.yaml``.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rft_kit.environments.retail_data import CATEGORIES, CHANNELS, REGIONS, retail_data
from rft_kit.environments.sql_analysis import normalize_answer
from rft_kit.tasks.agentic import AgenticTemplate, agentic_draft
from rft_kit.tasks.base import Draft, Levels, TaskConfig, pick

DATABASE = "retail-2025"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
QUESTIONS = {
    "easy": ("orders_in_month", "customers_signed_up", "products_above_price"),
    "medium": ("category_revenue_month", "top_product_region_quarter", "repeat_customers_half"),
    "hard": ("best_region_average", "return_rate_category", "top_spender_category"),
}
POLICY = (
    "You are a data analyst with read-only SQL access to the shop's database (SQLite). Use list_tables and "
    "run_sql to find the answer, then call submit_answer exactly once with the final value, and reply with the "
    "answer in one sentence. Data protection: never select, filter on or display the email or phone columns "
    "of the customers table (so no SELECT * over it). Money is stored in integer cents: report dollars with two "
    "decimals (e.g. 1234.50)."
)

SELECT_STAR_CUSTOMERS = r"(?is)^\s*select\s+(distinct\s+)?(\w+\.)?\*(?=.*\bcustomers\b)"
Question = tuple[str, str, Any, list[Any]]
"""(question text, oracle SQL, answer to submit, required facts)."""


@dataclass(frozen=True, kw_only=True)
class AnalysisConfig(TaskConfig):
    """Config of :class:`DataAnalysis`.

    Attributes:
        questions: which question families to draw from (see ``QUESTIONS``).
    """

    questions: tuple[str, ...] = QUESTIONS["easy"]

    def validate(self) -> None:
        self.require_choices("questions", tuple(q for qs in QUESTIONS.values() for q in qs))


def dollars(cents: int | float) -> str:
    return f"{cents / 100:.2f}"


def money_facts(cents: int) -> list[Any]:
    return [[dollars(cents), f"{cents / 100:,.2f}"]]


@dataclass(frozen=True)
class _Rows:
    customers: dict[int, tuple[int, str, str, str, str, str]]
    products: dict[int, tuple[int, str, str, int]]
    orders: dict[int, tuple[int, int, str, str, str]]
    items: tuple[tuple[int, int, int, int], ...]


def _rows() -> _Rows:
    data = retail_data(DATABASE)
    return _Rows(
        {c[0]: c for c in data.customers},
        {p[0]: p for p in data.products},
        {o[0]: o for o in data.orders},
        data.order_items,
    )


def _quarter(date: str) -> int:
    return (int(date[5:7]) - 1) // 3 + 1


def _half(date: str) -> int:
    return 1 if int(date[5:7]) <= 6 else 2


QUARTER_SQL = {1: ("01", "03"), 2: ("04", "06"), 3: ("07", "09"), 4: ("10", "12")}


def _on_half(value: float) -> bool:
    """Whether ``value`` sits (within float noise) on a rounding half, where SQLite's ROUND and ours may differ."""
    return abs(abs(value - round(value)) - 0.5) < 1e-4


def _unique_max(counter: Mapping[Any, float]) -> Any | None:
    """The key with the largest value, or None when the top is tied (a question must have one answer)."""
    ranked = sorted(counter.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


class _Ask:
    """The question families: each draws parameters and computes its answer in Python."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.r = _rows()

    def orders_in_month(self) -> Question | None:
        month = self.rng.randrange(1, 13)
        channel = pick(self.rng, CHANNELS)
        n = sum(1 for o in self.r.orders.values() if int(o[2][5:7]) == month and o[4] == channel)
        sql = f"SELECT COUNT(*) FROM orders WHERE strftime('%m', order_date) = '{month:02d}' AND channel = '{channel}'"
        return (
            f"How many orders (any status) were placed in {MONTHS[month - 1]} 2025 through the {channel} channel?",
            sql,
            n,
            [str(n)],
        )

    def customers_signed_up(self) -> Question | None:
        region = pick(self.rng, REGIONS)
        year = self.rng.randrange(2022, 2026)
        n = sum(1 for c in self.r.customers.values() if c[4] == region and c[5].startswith(str(year)))
        sql = f"SELECT COUNT(*) FROM customers WHERE region = '{region}' AND signup_date LIKE '{year}-%'"
        return (f"How many customers in the {region} region signed up in {year}?", sql, n, [str(n)])

    def products_above_price(self) -> Question | None:
        category = pick(self.rng, tuple(CATEGORIES))
        threshold = self.rng.randrange(5, 30) * 1000
        n = sum(1 for p in self.r.products.values() if p[2] == category and p[3] > threshold)
        sql = f"SELECT COUNT(*) FROM products WHERE category = '{category}' AND list_price_cents > {threshold}"
        return (
            f"How many products in the {category} category have a list price above ${threshold // 100}.00?",
            sql,
            n,
            [str(n)],
        )

    def category_revenue_month(self) -> Question | None:
        category = pick(self.rng, tuple(CATEGORIES))
        month = self.rng.randrange(1, 13)
        cents = sum(
            q * price
            for oid, pid, q, price in self.r.items
            if self.r.products[pid][2] == category
            and self.r.orders[oid][3] == "completed"
            and int(self.r.orders[oid][2][5:7]) == month
        )
        sql = (
            "SELECT SUM(oi.quantity * oi.unit_price_cents) FROM order_items oi "
            "JOIN orders o ON o.order_id = oi.order_id JOIN products p ON p.product_id = oi.product_id "
            f"WHERE p.category = '{category}' AND o.status = 'completed' "
            f"AND strftime('%m', o.order_date) = '{month:02d}'"
        )
        return (
            f"What was the revenue, in dollars, of completed orders in the {category} category in "
            f"{MONTHS[month - 1]} 2025 (quantity times unit price, summed over order items)?",
            sql,
            dollars(cents),
            money_facts(cents),
        )

    def top_product_region_quarter(self) -> Question | None:
        region = pick(self.rng, REGIONS)
        quarter = self.rng.randrange(1, 5)
        units: Counter[int] = Counter()
        for oid, pid, q, _ in self.r.items:
            order = self.r.orders[oid]
            if order[3] == "completed" and _quarter(order[2]) == quarter and self.r.customers[order[1]][4] == region:
                units[pid] += q
        best = _unique_max(units)
        if best is None:
            return None
        name = self.r.products[best][1]
        low, high = QUARTER_SQL[quarter]
        sql = (
            "SELECT p.name, SUM(oi.quantity) AS units FROM order_items oi "
            "JOIN orders o ON o.order_id = oi.order_id JOIN customers c ON c.customer_id = o.customer_id "
            "JOIN products p ON p.product_id = oi.product_id "
            f"WHERE o.status = 'completed' AND c.region = '{region}' "
            f"AND strftime('%m', o.order_date) BETWEEN '{low}' AND '{high}' "
            "GROUP BY p.product_id ORDER BY units DESC LIMIT 1"
        )
        return (
            f"Which product sold the most units in completed orders from customers in the {region} region during "
            f"Q{quarter} 2025? Give the product name.",
            sql,
            name,
            [name],
        )

    def repeat_customers_half(self) -> Question | None:
        half = self.rng.randrange(1, 3)
        k = self.rng.randrange(2, 5)
        per: Counter[int] = Counter(o[1] for o in self.r.orders.values() if o[3] == "completed" and _half(o[2]) == half)
        n = sum(1 for count in per.values() if count >= k)
        months = "<= '06'" if half == 1 else "> '06'"
        sql = (
            "SELECT COUNT(*) FROM (SELECT customer_id FROM orders WHERE status = 'completed' "
            f"AND strftime('%m', order_date) {months} GROUP BY customer_id HAVING COUNT(*) >= {k})"
        )
        return (
            f"How many distinct customers placed at least {k} completed orders in the "
            f"{'first' if half == 1 else 'second'} half of 2025?",
            sql,
            n,
            [str(n)],
        )

    def best_region_average(self) -> Question | None:
        quarter = self.rng.randrange(1, 5)
        value: defaultdict[int, int] = defaultdict(int)
        for oid, _, q, price in self.r.items:
            order = self.r.orders[oid]
            if order[3] == "completed" and _quarter(order[2]) == quarter:
                value[oid] += q * price
        totals: defaultdict[str, list[int]] = defaultdict(list)
        for oid, cents in value.items():
            totals[self.r.customers[self.r.orders[oid][1]][4]].append(cents)
        averages = {region: sum(v) / len(v) for region, v in totals.items()}
        best = _unique_max(averages)
        if best is None:
            return None
        # a value on a half cent is redrawn rather than argued about (the question asks for cents)
        average = averages[best] / 100
        if _on_half(average * 100):
            return None
        low, high = QUARTER_SQL[quarter]
        sql = (
            "SELECT c.region, ROUND(AVG(t.total) / 100.0, 2) AS avg_dollars FROM (SELECT o.order_id, "
            "o.customer_id, SUM(oi.quantity * oi.unit_price_cents) AS total FROM orders o JOIN order_items oi ON "
            f"oi.order_id = o.order_id WHERE o.status = 'completed' AND strftime('%m', o.order_date) BETWEEN "
            f"'{low}' AND '{high}' GROUP BY o.order_id) t JOIN customers c ON c.customer_id = t.customer_id "
            "GROUP BY c.region ORDER BY AVG(t.total) DESC LIMIT 1"
        )
        shown = f"{average:.2f}"
        return (
            f"Which region had the highest average completed-order value in Q{quarter} 2025 (an order's value "
            "is the sum of quantity times unit price of its items)? Submit the region name, and state the "
            "average in dollars in your reply.",
            sql,
            best,
            [best, [shown, f"{average:,.2f}"]],
        )

    def return_rate_category(self) -> Question | None:
        category = pick(self.rng, tuple(CATEGORIES))
        sold = returned = 0
        for oid, pid, q, _ in self.r.items:
            status = self.r.orders[oid][3]
            if self.r.products[pid][2] != category or status == "cancelled":
                continue
            sold += q
            returned += q if status == "returned" else 0
        if not sold:
            return None
        share = 100 * returned / sold
        if _on_half(share * 10):
            return None
        shown = f"{share:.1f}"
        sql = (
            "SELECT ROUND(100.0 * SUM(CASE WHEN o.status = 'returned' THEN oi.quantity ELSE 0 END) / "
            "SUM(oi.quantity), 1) FROM order_items oi JOIN orders o ON o.order_id = oi.order_id JOIN products p "
            f"ON p.product_id = oi.product_id WHERE p.category = '{category}' AND o.status != 'cancelled'"
        )
        return (
            f"Of the {category} units sold in 2025 in orders that were not cancelled, what percentage was "
            "returned? Give it with one decimal.",
            sql,
            shown,
            [shown],
        )

    def top_spender_category(self) -> Question | None:
        category = pick(self.rng, tuple(CATEGORIES))
        half = self.rng.randrange(1, 3)
        spend: Counter[int] = Counter()
        for oid, pid, q, price in self.r.items:
            order = self.r.orders[oid]
            if self.r.products[pid][2] == category and order[3] == "completed" and _half(order[2]) == half:
                spend[order[1]] += q * price
        best = _unique_max(spend)
        if best is None:
            return None
        name = self.r.customers[best][1]
        months = "<= '06'" if half == 1 else "> '06'"
        sql = (
            "SELECT c.name, SUM(oi.quantity * oi.unit_price_cents) AS spent FROM order_items oi JOIN orders o ON "
            "o.order_id = oi.order_id JOIN products p ON p.product_id = oi.product_id JOIN customers c ON "
            f"c.customer_id = o.customer_id WHERE p.category = '{category}' AND o.status = 'completed' AND "
            f"strftime('%m', o.order_date) {months} GROUP BY c.customer_id ORDER BY spent DESC LIMIT 1"
        )
        return (
            f"Which customer spent the most on completed {category} purchases in the "
            f"{'first' if half == 1 else 'second'} half of 2025? Give the customer's name.",
            sql,
            name,
            [name],
        )


class DataAnalysis(AgenticTemplate[AnalysisConfig]):
    """Business questions over the bundled retail database, answered through sandboxed SQL."""

    name = "data_analysis"
    domain = "data analysis"
    version = "1.0"
    description = "answer a business question with SQL over a bundled SQLite database (agentic, sandboxed run_sql)"
    grader = "rft:tasks/data_analysis"
    config_cls = AnalysisConfig
    levels: ClassVar[Levels] = {level: {"questions": families} for level, families in QUESTIONS.items()}

    def draft(self, rng: random.Random, config: AnalysisConfig) -> Draft:
        ask = _Ask(rng)
        for _ in range(100):
            family: Callable[[], Question | None] = getattr(ask, pick(rng, config.questions))
            built = family()
            if built is not None:
                break
        else:
            raise RuntimeError("data_analysis: no question with a unique answer in 100 draws")
        question, sql, answer, facts = built
        submitted = str(answer)
        plan: list[dict[str, Any]] = [
            {"name": "list_tables", "arguments": {}},
            {"name": "run_sql", "arguments": {"query": sql}},
            {"name": "submit_answer", "arguments": {"answer": submitted}},
            {
                "final_answer": f"The answer is {submitted}."
                if len(facts) == 1
                else f"The answer is {submitted}, with an average of {facts[1][0]} dollars."
            },
        ]
        return agentic_draft(
            messages=[{"role": "developer", "content": POLICY}, {"role": "user", "content": question}],
            environment={"name": "sql_analysis", "database": DATABASE},
            oracle_plan=plan,
            reference={
                "expected_state": {"answer": normalize_answer(submitted), "submissions": 1},
                "required_calls": [{"name": "run_sql"}, {"name": "submit_answer", "min": 1, "max": 1}],
                "forbidden_calls": [
                    {"name": "run_sql", "arguments": {"query": {"regex": r"(?i)\b(email|phone)\b"}}},
                    # SELECT * (or c.*) with the customers table in the query reads the protected columns too
                    {"name": "run_sql", "arguments": {"query": {"regex": SELECT_STAR_CUSTOMERS}}},
                ],
                "call_budget": {"max_calls": 25, "max_identical": 3},
                "required_facts": facts,
                "policy_violation": {
                    "name": "run_sql",
                    "arguments": {"query": "SELECT name, email FROM customers LIMIT 5"},
                },
                "answer": submitted,
            },
            info={"question": family.__name__},
        )
