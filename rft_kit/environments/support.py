"""``support_store``: a customer-support desk over an orders/customers store (tau-bench style).

The environment executes what it is asked to within physical limits (an item cannot be refunded twice, stock cannot
go negative, only an order still being processed can be cancelled). It does *not* enforce the written support
policy: following the policy, including refusing what it forbids, is the agent's task, and the grader sees a
violation in the final state (a refund that should not exist) and in the trajectory.

Spec::

    {"name": "support_store", "today": "2026-03-10",
     "customers": [{"id", "name", "email", "tier"}],
     "orders": [{"id", "customer_id", "status": "processing"|"shipped"|"delivered"|"cancelled",
                 "placed": date, "delivered": date|null,
                 "items": [{"sku", "product_id", "name", "price_cents", "final_sale"}]}],
     "products": [{"id", "name", "variants": {sku: stock}}]}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

from .base import EnvironmentFailure, ToolError, spec_field, tool
from .catalogue import CatalogueMixin

__all__ = ["SupportStore"]


class SupportStore(CatalogueMixin):
    """Customers, their orders and a product catalogue with stock; refunds, exchanges, cancellations, escalations.

    With ``"catalogue": {"declared": [...]}`` in the spec, the row offers ``search_tools``, ``call_tool`` and the
    declared tools; the other real tools and 240 back-office distractors are found by searching. A distractor that
    reads returns an empty record; one that writes is recorded in the snapshot's ``other_actions``.
    """

    name: ClassVar[str] = "support_store"

    @classmethod
    def catalogue_schemas(cls) -> list[dict[str, Any]]:
        return [json.loads(json.dumps(s)) for s in _distractors()]

    def catalogue_call(self, name: str, arguments: dict[str, Any]) -> Any:
        target = arguments.get("order_id") or arguments.get("customer_id")
        known = target in self.orders if "order_id" in arguments else target in self.customers
        if not known:
            raise ToolError(f"{name}: no record with id {target!r}")
        if name in _WRITES:
            self.other_actions.append({"tool": name, "target": target})
            return {"ok": True, "tool": name, "target": target}
        return {"tool": name, "target": target, "records": []}

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        try:
            # a private deep copy: the episode mutates it, the row must not change
            customers = json.loads(json.dumps(spec_field(spec, "customers", list, self.name)))
            orders = json.loads(json.dumps(spec_field(spec, "orders", list, self.name)))
            products = json.loads(json.dumps(spec.get("products", [])))
            self.customers: dict[str, dict[str, Any]] = {c["id"]: c for c in customers}
            self.by_email = {str(c["email"]).lower(): c["id"] for c in customers}
            self.orders: dict[str, dict[str, Any]] = {o["id"]: o for o in orders}
            for order in orders:
                for item in order["items"]:
                    item.setdefault("status", "kept")
            self.stock: dict[str, int] = {}
            self.product_of: dict[str, str] = {}
            self.products: dict[str, dict[str, Any]] = {}
            for product in products:
                self.products[product["id"]] = product
                for sku, count in product["variants"].items():
                    self.stock[sku] = int(count)
                    self.product_of[sku] = product["id"]
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise EnvironmentFailure(
                f"environment 'support_store': malformed spec ({type(exc).__name__}: {exc})"
            ) from exc
        self.refunds: list[dict[str, Any]] = []
        self.exchanges: list[dict[str, Any]] = []
        self.escalations: list[dict[str, Any]] = []
        self.cancelled: list[str] = []
        self.other_actions: list[dict[str, Any]] = []

    # ------------------------------------------------------------------------------------------ lookups
    def _order(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id.strip().upper())
        if order is None:
            raise ToolError(
                f"no order with id {order_id!r}; order ids look like 'O-1042' (use find_customer to list a "
                "customer's orders)"
            )
        return order

    @staticmethod
    def _item(order: Mapping[str, Any], sku: str) -> dict[str, Any]:
        for item in order["items"]:
            if item["sku"] == sku.strip().upper():
                found: dict[str, Any] = item  # the live record: callers mutate it
                return found
        skus = ", ".join(i["sku"] for i in order["items"])
        raise ToolError(f"order {order['id']} has no item {sku!r}; its items are: {skus}")

    @tool
    def find_customer(self, email: str) -> dict[str, Any]:
        """Look up a customer by email address.

        Args:
            email: the customer's email address, as they gave it.
        """
        customer_id = self.by_email.get(email.strip().lower())
        if customer_id is None:
            raise ToolError(f"no customer with email {email!r}; ask the customer to confirm the address")
        customer = self.customers[customer_id]
        orders = [o["id"] for o in self.orders.values() if o["customer_id"] == customer_id]
        return {"customer_id": customer_id, "name": customer["name"], "tier": customer["tier"], "orders": orders}

    @tool
    def get_order(self, order_id: str) -> dict[str, Any]:
        """Get an order's status, dates, owner and items (with each item's price and whether it was final sale).

        Args:
            order_id: the order id, e.g. O-1042.
        """
        order = self._order(order_id)
        return {
            "order_id": order["id"],
            "customer_id": order["customer_id"],
            "status": order["status"],
            "placed": order["placed"],
            "delivered": order.get("delivered"),
            "items": [
                {k: item[k] for k in ("sku", "product_id", "name", "price_cents", "final_sale", "status")}
                for item in order["items"]
            ],
        }

    @tool
    def get_product(self, product_id: str) -> dict[str, Any]:
        """Get a product's variants (SKUs) and how many of each are in stock.

        Args:
            product_id: the product id, e.g. TEE-CLASSIC.
        """
        product = self.products.get(product_id.strip().upper())
        if product is None:
            raise ToolError(f"no product with id {product_id!r}; product ids are listed on each order item")
        return {
            "product_id": product["id"],
            "name": product["name"],
            "stock": {s: self.stock[s] for s in product["variants"]},
        }

    # ------------------------------------------------------------------------------------------ actions
    @tool
    def refund_items(self, order_id: str, skus: list[str], reason: str) -> dict[str, Any]:
        """Refund items of a delivered order to the original payment method.

        Args:
            order_id: the order id.
            skus: the SKUs of the items to refund (each at most once).
            reason: a short reason, as the customer stated it.
        """
        order = self._order(order_id)
        if order["status"] != "delivered":
            raise ToolError(f"order {order['id']} is {order['status']}; only delivered orders can be refunded")
        if not skus:
            raise ToolError("skus is empty; list the SKUs to refund")
        if len(set(skus)) != len(skus):
            raise ToolError("skus lists the same SKU twice; list each item once")
        items = [self._item(order, sku) for sku in skus]
        for item in items:
            if item["status"] != "kept":
                raise ToolError(f"item {item['sku']} of order {order['id']} was already {item['status']}")
        amount = 0
        for item in items:
            item["status"] = "refunded"
            amount += int(item["price_cents"])
        refund = {
            "refund_id": f"R-{len(self.refunds) + 1}",
            "order_id": order["id"],
            "skus": sorted(i["sku"] for i in items),
            "amount_cents": amount,
        }
        self.refunds.append({**refund, "reason": reason[:200]})
        return refund

    @tool
    def exchange_item(self, order_id: str, sku: str, new_sku: str) -> dict[str, Any]:
        """Exchange an item of a delivered order for another variant (size, colour) of the same product.

        Args:
            order_id: the order id.
            sku: the SKU of the item the customer has.
            new_sku: the SKU of the variant they want instead (must be in stock).
        """
        order = self._order(order_id)
        if order["status"] != "delivered":
            raise ToolError(f"order {order['id']} is {order['status']}; only delivered orders can be exchanged")
        item = self._item(order, sku)
        if item["status"] != "kept":
            raise ToolError(f"item {item['sku']} of order {order['id']} was already {item['status']}")
        wanted = new_sku.strip().upper()
        if self.product_of.get(wanted) != item["product_id"]:
            raise ToolError(f"{new_sku!r} is not a variant of product {item['product_id']}; see get_product")
        if wanted == item["sku"]:
            raise ToolError("new_sku is the SKU the customer already has")
        if self.stock[wanted] <= 0:
            raise ToolError(f"{wanted} is out of stock; no exchange is possible for it")
        self.stock[wanted] -= 1
        item["status"] = "exchanged"
        record = {
            "exchange_id": f"X-{len(self.exchanges) + 1}",
            "order_id": order["id"],
            "sku": item["sku"],
            "new_sku": wanted,
        }
        self.exchanges.append(record)
        return record

    @tool
    def cancel_order(self, order_id: str) -> dict[str, Any]:
        """Cancel an order that has not shipped yet (status processing); the payment is voided.

        Args:
            order_id: the order id.
        """
        order = self._order(order_id)
        if order["status"] != "processing":
            raise ToolError(f"order {order['id']} is {order['status']}; only processing orders can be cancelled")
        order["status"] = "cancelled"
        self.cancelled.append(order["id"])
        return {"order_id": order["id"], "status": "cancelled"}

    @tool
    def escalate_to_human(self, order_id: str, summary: str) -> dict[str, Any]:
        """Hand the case to a human supervisor (for what the policy says an agent may not decide alone).

        Args:
            order_id: the order the case is about.
            summary: one or two sentences on what the customer wants and why it needs a human.
        """
        order = self._order(order_id)
        ticket = {"ticket_id": f"T-{len(self.escalations) + 1}", "order_id": order["id"]}
        self.escalations.append({**ticket, "summary": summary[:500]})
        return ticket

    # ------------------------------------------------------------------------------------------ state
    def snapshot(self) -> dict[str, Any]:
        """Order and item statuses, every action taken, totals and stock (what the grader compares)."""
        return {
            "orders": {
                oid: {"status": o["status"], "items": {i["sku"]: i["status"] for i in o["items"]}}
                for oid, o in self.orders.items()
            },
            "refunds": [{k: r[k] for k in ("order_id", "skus", "amount_cents")} for r in self.refunds],
            "refunded_cents": sum(r["amount_cents"] for r in self.refunds),
            "exchanges": [{k: x[k] for k in ("order_id", "sku", "new_sku")} for x in self.exchanges],
            "cancelled": sorted(self.cancelled),
            "escalated_orders": sorted({e["order_id"] for e in self.escalations}),
            "stock": dict(self.stock),
            "other_actions": list(self.other_actions),
        }


# ---------------------------------------------------------------------------------------------- the tool catalogue
# Back-office tools of a shop, generated from (verb, object) pairs: plausible neighbours of the real tools. The
# near misses matter most: issue_store_credit is not a refund, create_return_label does not refund anything.
_OBJECTS: tuple[tuple[str, str, str], ...] = (
    ("loyalty_points", "loyalty points balance", "customer_id"),
    ("gift_card", "gift card", "customer_id"),
    ("coupon", "discount coupon", "customer_id"),
    ("shipping_address", "shipping address", "order_id"),
    ("billing_address", "billing address", "customer_id"),
    ("invoice", "invoice", "order_id"),
    ("wishlist", "wishlist", "customer_id"),
    ("product_review", "product review", "customer_id"),
    ("newsletter_subscription", "newsletter subscription", "customer_id"),
    ("store_credit", "store credit (not a refund to the payment method)", "customer_id"),
    ("warranty_claim", "warranty claim", "order_id"),
    ("price_match", "price-match request", "order_id"),
    ("back_order", "back-order", "order_id"),
    ("delivery_slot", "delivery time slot", "order_id"),
    ("gift_wrap", "gift wrapping", "order_id"),
    ("return_label", "prepaid return shipping label (does not refund anything)", "order_id"),
    ("tracking_number", "parcel tracking number", "order_id"),
    ("payment_method", "saved payment method", "customer_id"),
    ("support_note", "internal support note", "customer_id"),
    ("referral_code", "referral code", "customer_id"),
)
_VERBS: tuple[tuple[str, str, bool], ...] = (
    ("get", "Get the {obj} of a {owner}.", False),
    ("list", "List every {obj} record of a {owner}.", False),
    ("check", "Check the status of the {obj} of a {owner}.", False),
    ("export", "Export the {obj} history of a {owner} as CSV.", False),
    ("create", "Create a new {obj} for a {owner}.", True),
    ("update", "Update the {obj} of a {owner}.", True),
    ("delete", "Delete the {obj} of a {owner}.", True),
    ("issue", "Issue a {obj} to a {owner}.", True),
    ("apply", "Apply a {obj} to a {owner}.", True),
    ("send", "Send the {obj} of a {owner} by email.", True),
    ("schedule", "Schedule a change to the {obj} of a {owner}.", True),
    ("verify", "Verify the {obj} of a {owner}.", False),
)
_WRITES = frozenset(f"{verb}_{obj}" for verb, _, write in _VERBS if write for obj, _, _ in _OBJECTS)


@cache
def _distractors() -> tuple[dict[str, Any], ...]:
    schemas = []
    for obj, words, key in _OBJECTS:
        owner = "customer" if key == "customer_id" else "order"
        for verb, text, write in _VERBS:
            properties: dict[str, Any] = {key: {"type": "string", "description": f"the {owner} id"}}
            required = [key]
            if write:
                properties["details"] = {"type": "string", "description": "what to set or send"}
            schemas.append(
                {
                    "type": "function",
                    "function": {
                        "name": f"{verb}_{obj}",
                        "description": text.format(obj=words, owner=owner),
                        "parameters": {
                            "type": "object",
                            "properties": properties,
                            "required": required,
                            "additionalProperties": False,
                        },
                    },
                }
            )
    return tuple(schemas)
