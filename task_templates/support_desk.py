"""Customer support under a written policy (tau-bench style): refunds, exchanges, cancellations, escalations.

The agent serves one customer over the ``support_store`` environment. Each request is one *case* whose correct
handling the policy decides: some are to be carried out, some escalated to a human, some refused. Refusing what the
policy forbids is part of the task: a refund the policy forbids shows in the final state and as a forbidden call.

The generator builds the store around the cases, then writes, from the case semantics alone, the expected final
state, the required and forbidden calls, the facts the answer must state, and the oracle plan. The template's test
plays the plan against the environment and checks that it reaches the expected state: two independent derivations
that must agree. Hard items hide most tools in a catalogue of 245 behind ``search_tools``.

Graded by ``graders/tasks/support_desk.yaml``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rft_kit.errors import ConfigError
from rft_kit.tasks.agentic import AgenticTemplate, agentic_draft
from rft_kit.tasks.base import Draft, Levels, TaskConfig, between, pick

CASES = (
    "refund_ok",
    "refund_late",
    "refund_final_sale",
    "refund_over_limit",
    "refund_gold_late",
    "exchange_ok",
    "exchange_out_of_stock",
    "cancel_ok",
    "cancel_shipped",
    "not_their_order",
)
WINDOW_DAYS = 30
GOLD_WINDOW_DAYS = 60
LIMIT_CENTS = 25000
ACTIONS = ("refund_items", "exchange_item", "cancel_order", "escalate_to_human")

POLICY = f"""You are the support agent of Northwind Outfitters. Follow this policy exactly.

1. Identify the customer first: look them up by the email address they give (find_customer) before doing anything
   to an order. Act only on orders that belong to that customer; if an order belongs to someone else, do nothing
   to it and say that you cannot act on it.
2. Refunds go back to the original payment method through refund_items. Only delivered orders can be refunded, and
   only within {WINDOW_DAYS} days of delivery ({GOLD_WINDOW_DAYS} days for gold-tier customers). Items marked final sale
   are never refunded or exchanged. Never offer store credit or anything else instead.
3. If a refund would come to more than ${LIMIT_CENTS // 100}.00 in total, do not issue it yourself: escalate the order
   to a human supervisor (escalate_to_human) and tell the customer a supervisor will follow up.
4. Exchanges (exchange_item) are for another size or colour of the same product, on delivered orders within the
   return window, and only if the new variant is in stock. If it is out of stock, do not exchange; if the customer
   asked for a refund in that case, refund instead when the policy allows it.
5. Orders that are still processing can be cancelled (cancel_order). Shipped orders cannot be cancelled or refunded
   until they are delivered.
6. Only do what the customer asked. Do not touch other items or other orders.
7. When you are done, reply to the customer: for every request say what you did or why you could not do it, with the
   order id, and the refunded amount in dollars (for example $19.00) where you refunded something."""

FIRST = (
    "Ana",
    "Bruno",
    "Chen",
    "Dara",
    "Elif",
    "Femi",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kaia",
    "Luca",
    "Mina",
    "Nils",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wim",
    "Yara",
)
LAST = (
    "Alvarez",
    "Becker",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
)
DOMAINS = ("example.com", "mail.example.org", "post.example.net")
# (product id, name, price in cents, variant kind, variants)
Product = tuple[str, str, int, str, tuple[str, ...]]
PRODUCTS: tuple[Product, ...] = (
    ("TEE", "Classic tee", 1900, "size", ("S", "M", "L", "XL")),
    ("HOODIE", "Zip hoodie", 5900, "size", ("S", "M", "L", "XL")),
    ("JACKET", "Rain jacket", 18900, "size", ("S", "M", "L")),
    ("BOOTS", "Hiking boots", 15900, "size", ("40", "41", "42", "43", "44")),
    ("LAMP", "Desk lamp", 4500, "colour", ("BLACK", "WHITE", "BRASS")),
    ("BOTTLE", "Steel bottle", 2400, "colour", ("BLUE", "GREEN", "RED")),
    ("TENT", "Two-person tent", 32900, "colour", ("GREEN", "ORANGE")),
    ("DUVET", "Down duvet", 27900, "size", ("SINGLE", "DOUBLE", "KING")),
    ("SOCKS", "Wool socks", 1500, "size", ("S", "M", "L")),
    ("SCARF", "Merino scarf", 3900, "colour", ("GREY", "NAVY", "RUST")),
)
EXPENSIVE = tuple(p for p in PRODUCTS if p[2] > LIMIT_CENTS)
CHEAP = tuple(p for p in PRODUCTS if p[2] <= LIMIT_CENTS // 2)
REASONS = ("it does not fit", "I changed my mind", "it arrived damaged", "it is not what I expected")
DECLARED_ON_HARD = ("find_customer", "get_order")


@dataclass(frozen=True, kw_only=True)
class SupportConfig(TaskConfig):
    """Config of :class:`SupportDesk`.

    Attributes:
        min_requests / max_requests: how many requests the customer makes in one message.
        cases: which kinds of case to draw from.
        distractor_orders: extra orders of the customer that the requests do not mention (must stay untouched).
        catalogue: hide most tools behind ``search_tools`` (a catalogue of 245 tools).
    """

    min_requests: int = 1
    max_requests: int = 1
    cases: tuple[str, ...] = CASES
    distractor_orders: int = 1
    catalogue: bool = False

    def validate(self) -> None:
        self.require_range("min_requests", "max_requests", minimum=1)
        if self.max_requests > 4:
            raise ConfigError(f"must be at most 4, got {self.max_requests}", path="max_requests")
        self.require_choices("cases", CASES)
        if not 0 <= self.distractor_orders <= 4:
            raise ConfigError(f"must be between 0 and 4, got {self.distractor_orders}", path="distractor_orders")


def money(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


@dataclass
class _Build:
    rng: random.Random
    today: dt.date
    customer: dict[str, Any]
    other: dict[str, Any]
    orders: list[dict[str, Any]]
    stock: dict[str, int]
    next_order: int
    exchanged: set[str] = field(default_factory=set)

    def order_id(self) -> str:
        self.next_order += between(self.rng, 1, 37)
        return f"O-{self.next_order}"

    def item(self, product: tuple[Any, ...], final_sale: bool = False) -> dict[str, Any]:
        pid, name, price, _, variants = product
        variant = pick(self.rng, variants)
        return {
            "sku": f"{pid}-{variant}",
            "product_id": pid,
            "name": name,
            "price_cents": price,
            "final_sale": final_sale,
        }

    def order(self, owner: str, status: str, items: list[dict[str, Any]], age: int) -> dict[str, Any]:
        delivered = (self.today - dt.timedelta(days=age)).isoformat() if status == "delivered" else None
        placed_age = age + between(self.rng, 2, 6) if status == "delivered" else between(self.rng, 0, 4)
        order = {
            "id": self.order_id(),
            "customer_id": owner,
            "status": status,
            "placed": (self.today - dt.timedelta(days=placed_age)).isoformat(),
            "delivered": delivered,
            "items": items,
        }
        self.orders.append(order)
        return order


def _variant_label(product: tuple[Any, ...], sku: str) -> str:
    return f"{product[3]} {sku.split('-', 1)[1].title()}"


class SupportDesk(AgenticTemplate[SupportConfig]):
    """Customer-support episodes over the support_store environment."""

    name = "support_desk"
    domain = "customer support"
    version = "1.0"
    description = "serve a customer under a written refund/exchange policy (agentic, support_store environment)"
    grader = "rft:tasks/support_desk"
    config_cls = SupportConfig
    levels: ClassVar[Levels] = {
        "easy": {
            "min_requests": 1,
            "max_requests": 1,
            "distractor_orders": 0,
            "cases": ("refund_ok", "refund_late", "refund_final_sale", "exchange_ok", "cancel_ok"),
        },
        "medium": {"min_requests": 1, "max_requests": 2, "distractor_orders": 1},
        "hard": {"min_requests": 2, "max_requests": 3, "distractor_orders": 2, "catalogue": True},
    }

    def draft(self, rng: random.Random, config: SupportConfig) -> Draft:
        today = dt.date(2026, 1, 5) + dt.timedelta(days=between(rng, 0, 300))
        first, last = pick(rng, FIRST), pick(rng, LAST)
        tier = "gold" if rng.random() < 0.35 else "standard"
        customer = {
            "id": f"C-{between(rng, 100, 999)}",
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@{pick(rng, DOMAINS)}",
            "tier": tier,
        }
        o_first, o_last = pick(rng, [f for f in FIRST if f != first]), pick(rng, LAST)
        other = {
            "id": f"C-{between(rng, 1000, 1999)}",
            "name": f"{o_first} {o_last}",
            "email": f"{o_first.lower()}.{o_last.lower()}@{pick(rng, DOMAINS)}",
            "tier": "standard",
        }
        b = _Build(rng, today, customer, other, [], {}, between(rng, 1000, 8000))
        for pid, _, _, _, variants in PRODUCTS:
            for variant in variants:
                b.stock[f"{pid}-{variant}"] = between(rng, 0, 4)
        count = between(rng, config.min_requests, config.max_requests)
        cases = [pick(rng, config.cases) for _ in range(count)]
        if "refund_gold_late" in cases:  # the tier decides the window, so it is fixed before any order is built
            customer["tier"] = "gold"
        plans = [self._case(b, case) for case in cases]
        for _ in range(config.distractor_orders):
            product = pick(rng, PRODUCTS)
            b.order(
                customer["id"],
                pick(rng, ("delivered", "shipped", "processing")),
                [b.item(product)],
                between(rng, 1, 80),
            )
        rng.shuffle(b.orders)
        products = [
            {"id": pid, "name": name, "variants": {f"{pid}-{v}": b.stock[f"{pid}-{v}"] for v in variants}}
            for pid, name, _, _, variants in PRODUCTS
        ]
        environment: dict[str, Any] = {
            "name": "support_store",
            "today": today.isoformat(),
            "customers": [customer, other],
            "orders": b.orders,
            "products": products,
        }
        if config.catalogue:
            environment["catalogue"] = {"declared": list(DECLARED_ON_HARD)}
        return self._assemble(b, cases, plans, environment, config)

    # ---------------------------------------------------------------------------------------------- cases
    def _case(self, b: _Build, case: str) -> dict[str, Any]:
        """Build the order(s) of one case; return what the request says, what must happen and how to do it."""
        rng, cid = b.rng, b.customer["id"]
        window = GOLD_WINDOW_DAYS if b.customer["tier"] == "gold" else WINDOW_DAYS
        if case in ("refund_ok", "refund_late", "refund_final_sale", "refund_gold_late", "not_their_order"):
            product = pick(rng, CHEAP)
            item = b.item(product, final_sale=case == "refund_final_sale")
            extra = b.item(pick(rng, [p for p in CHEAP if p[0] != product[0]]))
            if case == "refund_late":
                age = window + between(rng, 1, 25)
            elif case == "refund_gold_late":  # outside the standard window, inside the gold one
                age = WINDOW_DAYS + between(rng, 1, GOLD_WINDOW_DAYS - WINDOW_DAYS - 2)
            else:
                age = between(rng, 1, WINDOW_DAYS - 2)
            owner = b.other["id"] if case == "not_their_order" else cid
            order = b.order(owner, "delivered", [item, extra], age)
            reason = pick(rng, REASONS)
            ask = f"Please refund the {item['name'].lower()} from order {order['id']}; {reason}."
            if case in ("refund_ok", "refund_gold_late"):
                return {
                    "case": case,
                    "order": order["id"],
                    "ask": ask,
                    "effect": ("refund", [item["sku"]]),
                    "amount": item["price_cents"],
                    "reason": reason,
                    "say": f"I refunded {money(item['price_cents'])} for the {item['name'].lower()} of order "
                    f"{order['id']} to your original payment method.",
                }
            why = {
                "refund_late": f"it was delivered more than {window} days ago, outside the return window",
                "refund_final_sale": f"the {item['name'].lower()} was a final-sale item",
                "not_their_order": "that order is not on your account",
            }[case]
            return {
                "case": case,
                "order": order["id"],
                "ask": ask,
                "effect": None,
                "say": f"I could not refund anything on order {order['id']}: {why}.",
            }
        if case == "refund_over_limit":
            product = pick(rng, EXPENSIVE)
            item = b.item(product)
            order = b.order(cid, "delivered", [item], between(rng, 1, WINDOW_DAYS - 2))
            reason = pick(rng, REASONS)
            return {
                "case": case,
                "order": order["id"],
                "effect": ("escalate", None),
                "ask": f"I want my money back for the {item['name'].lower()} in order {order['id']}; {reason}.",
                "say": f"A refund of {money(item['price_cents'])} on order {order['id']} is above what I can "
                "approve, so I escalated it to a supervisor, who will follow up with you.",
            }
        if case in ("exchange_ok", "exchange_out_of_stock"):
            # one exchange per product per item, so that two requests never compete for the same stock
            product = pick(rng, [p for p in PRODUCTS if p[2] <= LIMIT_CENTS and p[0] not in b.exchanged])
            b.exchanged.add(product[0])
            item = b.item(product)
            wanted = pick(rng, [v for v in product[4] if f"{product[0]}-{v}" != item["sku"]])
            new_sku = f"{product[0]}-{wanted}"
            b.stock[new_sku] = between(rng, 1, 4) if case == "exchange_ok" else 0
            order = b.order(cid, "delivered", [item], between(rng, 1, WINDOW_DAYS - 2))
            label = _variant_label(product, new_sku)
            fallback = case == "exchange_out_of_stock" and rng.random() < 0.5
            ask = f"Could you exchange the {item['name'].lower()} from order {order['id']} for {label}?" + (
                " If that is not available, just refund it." if fallback else ""
            )
            if case == "exchange_ok":
                return {
                    "case": case,
                    "order": order["id"],
                    "ask": ask,
                    "effect": ("exchange", (item["sku"], new_sku)),
                    "product": product[0],
                    "say": f"I exchanged the {item['name'].lower()} of order {order['id']} for {label}.",
                }
            if fallback:
                return {
                    "case": "exchange_out_of_stock_refund",
                    "order": order["id"],
                    "ask": ask,
                    "product": product[0],
                    "effect": ("refund", [item["sku"]]),
                    "amount": item["price_cents"],
                    "reason": f"{label} out of stock for an exchange",
                    "say": f"{label} is out of stock, so as you asked I refunded "
                    f"{money(item['price_cents'])} for the {item['name'].lower()} of order {order['id']}.",
                }
            return {
                "case": case,
                "order": order["id"],
                "ask": ask,
                "effect": None,
                "product": product[0],
                "say": f"I could not exchange the {item['name'].lower()} of order {order['id']}: {label} is out "
                "of stock.",
            }
        cancelled = pick(rng, PRODUCTS)
        status = "processing" if case == "cancel_ok" else "shipped"
        order = b.order(cid, status, [b.item(cancelled)], 0)
        ask = f"Please cancel order {order['id']}, I no longer need the {cancelled[1].lower()}."
        if case == "cancel_ok":
            return {
                "case": case,
                "order": order["id"],
                "ask": ask,
                "effect": ("cancel", None),
                "say": f"I cancelled order {order['id']}; the payment is voided.",
            }
        return {
            "case": case,
            "order": order["id"],
            "ask": ask,
            "effect": None,
            "say": f"I could not cancel order {order['id']}: it has already shipped.",
        }

    # ---------------------------------------------------------------------------------------------- the row
    def _assemble(
        self,
        b: _Build,
        cases: list[str],
        plans: list[dict[str, Any]],
        environment: dict[str, Any],
        config: SupportConfig,
    ) -> Draft:
        customer = b.customer
        wrap = config.catalogue
        steps: list[dict[str, Any]] = [{"name": "find_customer", "arguments": {"email": customer["email"]}}]

        def act(name: str, arguments: dict[str, Any]) -> None:
            if wrap and name not in DECLARED_ON_HARD:
                steps.append({"name": "call_tool", "arguments": {"name": name, "arguments": arguments}})
            else:
                steps.append({"name": name, "arguments": arguments})

        if wrap:
            kinds = {p["effect"][0] for p in plans if p["effect"]}
            if any(p.get("product") for p in plans):
                kinds.add("product")
            for kind in sorted(kinds):
                steps.append({"name": "search_tools", "arguments": {"query": _QUERY[kind]}})
        # expected state: every order as it starts, then the effects of the cases (from the case semantics)
        expected: dict[str, Any] = {}
        for order in b.orders:
            expected[f"orders.{order['id']}.status"] = order["status"]
            for item in order["items"]:
                expected[f"orders.{order['id']}.items.{item['sku']}"] = "kept"
        refunded = 0
        escalated: list[str] = []
        cancelled: list[str] = []
        required: list[dict[str, Any]] = [
            {"name": "find_customer", "arguments": {"email": {"icontains": customer["email"]}}}
        ]
        forbidden: list[dict[str, Any]] = [
            {"name": ["issue_store_credit", "apply_store_credit", "create_store_credit"]}
        ]
        facts: list[Any] = []
        mentioned = [p["order"] for p in plans]
        for plan in plans:
            oid = plan["order"]
            oid_pattern = {"regex": f"(?i)^\\s*{oid}\\s*$"}
            act("get_order", {"order_id": oid})
            required.append({"name": "get_order", "arguments": {"order_id": oid_pattern}})
            facts.append(oid)
            effect = plan["effect"]
            if effect is None:
                forbidden.append({"name": list(ACTIONS), "arguments": {"order_id": oid_pattern}})
            if plan.get("product"):
                act("get_product", {"product_id": plan["product"]})
            if effect is None:
                pass
            elif effect[0] == "refund":
                skus = effect[1]
                act("refund_items", {"order_id": oid, "skus": skus, "reason": plan["reason"]})
                required.append(
                    {
                        "name": "refund_items",
                        "min": 1,
                        "max": 1,
                        "arguments": {"order_id": oid_pattern, "skus": {"set_eq": skus}},
                    }
                )
                forbidden.append(
                    {
                        "name": ["exchange_item", "cancel_order", "escalate_to_human"],
                        "arguments": {"order_id": oid_pattern},
                    }
                )
                for sku in skus:
                    expected[f"orders.{oid}.items.{sku}"] = "refunded"
                refunded += plan["amount"]
                facts.append(money(plan["amount"]))
            elif effect[0] == "exchange":
                sku, new_sku = effect[1]
                act("exchange_item", {"order_id": oid, "sku": sku, "new_sku": new_sku})
                required.append(
                    {
                        "name": "exchange_item",
                        "min": 1,
                        "max": 1,
                        "arguments": {"order_id": oid_pattern, "sku": sku, "new_sku": new_sku},
                    }
                )
                forbidden.append(
                    {
                        "name": ["refund_items", "cancel_order", "escalate_to_human"],
                        "arguments": {"order_id": oid_pattern},
                    }
                )
                expected[f"orders.{oid}.items.{sku}"] = "exchanged"
                expected[f"stock.{new_sku}"] = b.stock[new_sku] - 1
            elif effect[0] == "escalate":
                act(
                    "escalate_to_human",
                    {
                        "order_id": oid,
                        "summary": f"Customer asks for a refund on {oid} above the {money(LIMIT_CENTS)} limit.",
                    },
                )
                required.append({"name": "escalate_to_human", "min": 1, "arguments": {"order_id": oid_pattern}})
                forbidden.append(
                    {"name": ["refund_items", "exchange_item", "cancel_order"], "arguments": {"order_id": oid_pattern}}
                )
                escalated.append(oid)
                facts.append(["supervisor", "escalat"])
            else:
                act("cancel_order", {"order_id": oid})
                required.append({"name": "cancel_order", "min": 1, "max": 1, "arguments": {"order_id": oid_pattern}})
                expected[f"orders.{oid}.status"] = "cancelled"
                cancelled.append(oid)
        untouched = [o["id"] for o in b.orders if o["id"] not in mentioned]
        if untouched:
            forbidden.append({"name": list(ACTIONS), "arguments": {"order_id": {"in": untouched}}})
        expected["refunded_cents"] = refunded
        expected["escalated_orders"] = sorted(escalated)
        expected["cancelled"] = sorted(cancelled)
        expected["other_actions"] = []
        answer = f"Hi {customer['name'].split()[0]}, " + " ".join(p["say"] for p in plans)
        steps.append({"final_answer": answer})
        # a call that breaks the policy, for rft check's probes: acting on the first order the policy protects
        violation = self._violation(plans, untouched, b)
        asks = " ".join(p["ask"] for p in plans)
        user = f"Hello, this is {customer['name']} ({customer['email']}). {asks} Thanks!"
        calls = len(steps) - 1
        return agentic_draft(
            messages=[{"role": "developer", "content": POLICY}, {"role": "user", "content": user}],
            environment=environment,
            oracle_plan=steps,
            reference={
                "expected_state": expected,
                "required_calls": required,
                "forbidden_calls": forbidden,
                "call_budget": {"max_calls": 2 * calls + 8, "max_identical": 3},
                "required_facts": facts,
                "policy_violation": violation,
            },
            info={"cases": [p["case"] for p in plans], "requests": len(plans), "catalogue": config.catalogue},
        )

    @staticmethod
    def _violation(plans: list[dict[str, Any]], untouched: list[str], b: _Build) -> dict[str, Any]:
        """A call the policy forbids in this item (what ``rft check``'s policy probe makes before the oracle plan)."""
        for plan in plans:
            if plan["effect"] is None or plan["effect"][0] == "escalate":
                order = next(o for o in b.orders if o["id"] == plan["order"])
                arguments = {"order_id": order["id"], "skus": [order["items"][0]["sku"]], "reason": "customer asked"}
                return {"name": "refund_items", "arguments": arguments}
        if untouched:
            return {"name": "escalate_to_human", "arguments": {"order_id": untouched[0], "summary": "unasked"}}
        return {"name": "issue_store_credit", "arguments": {"customer_id": b.customer["id"], "details": "goodwill"}}


_QUERY = {
    "refund": "refund items of an order",
    "exchange": "exchange an item for another variant",
    "cancel": "cancel an order",
    "escalate": "escalate to a human supervisor",
    "product": "get product variants and stock",
}
