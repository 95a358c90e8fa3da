"""Each event of the log told in a sentence a worker can read: who (the token's unit and role, its
label), what they did, to what (titles, unit names, categories by their label) — never an id.

`asked_by` gathers the ids a page of events mentions, `registry.read.names.names_of` reads them in
one statement, and `sentence` tells one event with them. The words are in `words/timeline.py`.
"""

from __future__ import annotations

import uuid
from typing import Any

from registry.demo.load import demo_id
from registry.domain import events as ev
from registry.domain.values import Measure
from registry.edge.language import Lang
from registry.pages.choices import category_label
from registry.pages.i18n import Translate
from registry.read.names import Asked, Names

# Fields of an event, by the table the id in them points at.
_ID_FIELDS = {
    "unit_id": "units", "need_unit_id": "units", "offer_id": "offers", "need_id": "needs",
    "plan_id": "plans", "commitment_id": "commitments", "token_id": "tokens",
}  # fmt: skip


def token_of(subject: str) -> uuid.UUID | None:
    kind, _, rest = subject.partition(":")
    if kind != "token":
        return None
    try:
        return uuid.UUID(rest)
    except ValueError:
        return None


def _demo_unit(subject: str) -> uuid.UUID | None:
    # The demo's loader acts as each unit's liaison under `demo:<unit key>`.
    kind, _, key = subject.partition(":")
    return demo_id("unit", key) if kind == "demo" and key != "coordinator" else None


def asked_by(found: list[tuple[ev.Event, str]]) -> Asked:
    """The ids (events, actors) a page of (event, actor subject) pairs mentions."""
    asked = Asked()
    for event, subject in found:
        token = token_of(subject)
        if token is not None:
            asked.tokens.add(token)
        unit = _demo_unit(subject)
        if unit is not None:
            asked.units.add(unit)
        for field, table in _ID_FIELDS.items():
            value = getattr(event, field, None)
            if isinstance(value, uuid.UUID):
                getattr(asked, table).add(value)
        if isinstance(event, ev.PlanAllocated):
            asked.units.update(a.unit_id for a in event.assignments)
    return asked


class Teller:
    """Tells events in one language with one page's names."""

    def __init__(self, names: Names, t: Translate, lang: Lang) -> None:
        self.names, self.t, self.lang = names, t, lang

    # -- the actor ------------------------------------------------------------------------------

    def actor(self, subject: str, role: str) -> str:
        t = self.t
        token = self.names.tokens.get(token_of(subject)) if token_of(subject) else None  # type: ignore[arg-type]
        if token is not None:
            who = self.holder(token.role.value, token.unit_id)
            return t("who.label", who=who, label=token.label) if token.label else who
        kind, _, rest = subject.partition(":")
        if kind in ("demo", "cli") and role in ("coordinator", "liaison", "auditor"):
            who = self.holder(role, _demo_unit(subject))
            return t("who.demo", who=who) if kind == "demo" else t("who.cli", who=who, user=rest)
        if role in ("coordinator", "liaison", "auditor"):
            return t("who.role", role=t(f"role.{role}"))
        return t("who.unknown")

    def holder(self, role: str, unit_id: uuid.UUID | None) -> str:
        """ "和平眼科医院联络员", "the coordinator": a role, of its unit when it has one."""
        said = self.t(f"role.{role}")
        unit = self.names.units.get(unit_id) if unit_id else None
        if unit is not None:
            return self.t("who.unit_role", unit=unit.name, role=said)
        return self.t("who.role", role=said)

    # -- the pieces -----------------------------------------------------------------------------

    def unit(self, unit_id: uuid.UUID | None) -> str:
        found = self.names.units.get(unit_id) if unit_id else None
        return found.name if found is not None else self.t("who.someone")

    def title(self, table: str, entity_id: uuid.UUID | None) -> str:
        found = getattr(self.names, table).get(entity_id) if entity_id else None
        return found.title if found is not None else self.t("who.something")

    def amount(self, category: str, quantity: int, measure: Measure | None) -> str:
        words = self.t(f"measure.{measure.value}") if measure is not None else ""
        said = self.t(
            "piece.amount", category=category_label(category, self.lang), quantity=quantity, measure=words
        )
        return said.strip()

    def reason(self, reason: str | None) -> str:
        return self.t("piece.reason", reason=reason) if reason else ""

    def limit(self, value: int | None) -> str:
        return str(value) if value is not None else self.t("piece.default_limit")

    def target(self, plan_id: uuid.UUID | None, need_id: uuid.UUID | None) -> str:
        if plan_id is not None:
            return self.t("piece.for_plan", plan=self.title("plans", plan_id))
        need = self.names.needs.get(need_id) if need_id else None
        return self.t(
            "piece.for_need",
            need=self.title("needs", need_id),
            unit=self.unit(need.unit_id if need else None),
        )

    def measure_of(self, offer_id: uuid.UUID | None) -> Measure | None:
        offer = self.names.offers.get(offer_id) if offer_id else None
        return offer.capacity.measure if offer is not None else None

    def commitment(self, commitment_id: uuid.UUID) -> dict[str, str]:
        """The commitment an event is about: its unit, what it is, what it is for."""
        found = self.names.commitments.get(commitment_id)
        if found is None:
            return {"unit": self.t("who.someone"), "amount": self.t("who.something"), "target": ""}
        return {
            "unit": self.unit(found.unit_id),
            "amount": self.amount(found.category, found.quantity, self.measure_of(found.offer_id)),
            "target": self.target(found.plan_id, found.need_id),
        }

    # -- the sentence ---------------------------------------------------------------------------

    def sentence(self, event: ev.Event, subject: str, role: str) -> str:
        key, fields = self.what(event, role)
        actor = self.actor(subject, role)
        done = self.t(key, **fields)
        if self.lang == "zh":
            return f"{actor} {done}"
        return f"{actor[:1].upper()}{actor[1:]} {done}"

    def what(self, event: ev.Event, role: str) -> tuple[str, dict[str, Any]]:
        """The words key of what `event` did, and the fields it needs."""
        tag = ev.tag_of(event)
        key = f"event.{tag}"
        match event:
            case ev.UnitRegistered():
                return key, {"name": event.name, "area": event.area}
            case ev.UnitProfileUpdated() | ev.ContactErased() | ev.UnitNameReleased():
                return key, {"unit": self.unit(event.unit_id)}
            case ev.ContactAdded():
                title = f"（{event.title}）" if self.lang == "zh" and event.title else ""
                title = f" ({event.title})" if self.lang == "en" and event.title else title
                return key, {"unit": self.unit(event.unit_id), "title": title}
            case ev.UnitNameClaimed():
                return key, {"unit": self.unit(event.unit_id), "name": event.name, "area": event.area}
            case ev.OfferSubmitted():
                amount = self.amount(event.category, event.capacity.quantity, event.capacity.measure)
                return key, {"title": event.title, "amount": amount}
            case ev.OfferRevised() | ev.OfferPaused() | ev.OfferResumed():
                return key, {"offer": self.title("offers", event.offer_id)}
            case ev.OfferWithdrawn():
                return key, {
                    "offer": self.title("offers", event.offer_id),
                    "reason": self.reason(event.reason),
                }
            case ev.NeedRaised():
                return key, {
                    "title": event.title,
                    "amount": self.amount(event.category, event.quantity, event.measure),
                }
            case ev.NeedPeopleLimitSet():
                return key, {
                    "need": self.title("needs", event.need_id),
                    "limit": self.limit(event.people_served_limit),
                }
            case ev.NeedClosed():
                return key, {"need": self.title("needs", event.need_id)}
            case ev.NeedCancelled():
                return key, {"need": self.title("needs", event.need_id), "reason": self.reason(event.reason)}
            case ev.PlanDrafted():
                return key, {"title": event.title, "venue": event.venue}
            case ev.SlotAdded():
                amount = self.amount(event.category, event.quantity, event.measure)
                return key, {"plan": self.title("plans", event.plan_id), "amount": amount}
            case ev.SlotRevised():
                amount = self.amount(event.category, event.quantity, event.measure)
                return key, {"plan": self.title("plans", event.plan_id), "amount": amount}
            case ev.SlotRemoved():
                return key, {"plan": self.title("plans", event.plan_id)}
            case ev.SlotPeopleLimitSet():
                return key, self._slot_limit(event)
            case ev.PlanPublished():
                return key, {"plan": self.title("plans", event.plan_id)}
            case ev.PlanCancelled():
                return key, {"plan": self.title("plans", event.plan_id), "reason": self.reason(event.reason)}
            case ev.PlanCompleted():
                return key, {
                    "plan": self.title("plans", event.plan_id), "units": event.units_involved,
                    "people": event.people_served, "hours": f"{event.volunteer_hours:g}",
                }  # fmt: skip
            case ev.PlanAllocated():
                short = sum(u.quantity for u in event.unmet)
                unmet = self.t("piece.unmet", count=short) if short else ""
                return key, {
                    "plan": self.title("plans", event.plan_id),
                    "count": len(event.assignments),
                    "unmet": unmet,
                }
            case ev.CommitmentProposed() | ev.CommitmentClaimed():
                amount = self.amount(event.category, event.quantity, self.measure_of(event.offer_id))
                target = self.target(event.plan_id, event.need_id)
                return key, {"unit": self.unit(event.unit_id), "amount": amount, "target": target}
            case ev.CommitmentConfirmed():
                # A liaison confirming accepts a dispatch; a coordinator confirming takes a claim.
                return (f"{key}.accepted" if role == "liaison" else key), self.commitment(event.commitment_id)
            case ev.CommitmentDeclined():
                by_unit = event.by == "unit" or (event.by is None and role == "liaison")
                fields = {**self.commitment(event.commitment_id), "reason": self.reason(event.reason)}
                return (f"{key}.by_unit" if by_unit else key), fields
            case ev.CommitmentReleased():
                return key, {**self.commitment(event.commitment_id), "reason": self.reason(event.reason)}
            case ev.CommitmentFulfilled():
                return key, {
                    **self.commitment(event.commitment_id),
                    "people": event.people_served, "hours": f"{event.volunteer_hours:g}",
                }  # fmt: skip
            case ev.CommitmentNoShow():
                return key, self.commitment(event.commitment_id)
            case ev.FulfilmentCorrected():
                return key, {
                    **self.commitment(event.commitment_id),
                    "people": event.people_served, "hours": f"{event.volunteer_hours:g}",
                    "previous_people": event.previous_people_served,
                    "previous_hours": f"{event.previous_volunteer_hours:g}",
                    "reason": self.reason(event.reason),
                }  # fmt: skip
            case ev.FulfilmentCorrectionRequested():
                return key, {**self.commitment(event.commitment_id), "reason": self.reason(event.reason)}
            case ev.CapacityHeld():
                return key, {"offer": self.title("offers", event.offer_id), "quantity": event.quantity}
            case ev.CapacityFreed():
                return key, {"offer": self.title("offers", event.offer_id)}
            case ev.DemandCovered():
                return key, {
                    "target": self.target(event.plan_id, event.need_id), "unit": self.unit(event.unit_id),
                    "quantity": event.quantity, "status": self.t(f"status.{event.status.value}"),
                }  # fmt: skip
            case ev.TokenIssued():
                holder = self.holder(event.role.value, event.unit_id)
                if event.label:
                    holder = self.t("who.label", who=holder, label=event.label)
                return key, {"holder": holder, "role": self.t(f"role.{event.role.value}")}
            case ev.TokenRevoked():
                token = self.names.tokens.get(event.token_id)
                holder = self.holder(token.role.value, token.unit_id) if token else self.t("who.unknown")
                if token is not None and token.label:
                    holder = self.t("who.label", who=holder, label=token.label)
                return key, {"holder": holder}
        return key, {}

    def _slot_limit(self, event: ev.SlotPeopleLimitSet) -> dict[str, Any]:
        plan = self.names.plans.get(event.plan_id)
        slot = next((s for s in plan.slots if s.id == event.slot_id), None) if plan else None
        return {
            "plan": self.title("plans", event.plan_id),
            "category": category_label(slot.category, self.lang) if slot else self.t("who.something"),
            "limit": self.limit(event.people_served_limit),
        }


def category_of(event: ev.Event, names: Names) -> str | None:
    """The category code an event is about, if any (for the line's tooltip)."""
    found = getattr(event, "category", None)
    if isinstance(found, str):
        return found
    commitment_id = getattr(event, "commitment_id", None)
    commitment = names.commitments.get(commitment_id) if isinstance(commitment_id, uuid.UUID) else None
    return commitment.category if commitment is not None else None
