"""Ticketing input and output models. Input refuses unknown fields (a 422, nothing written)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
OrderStatus = Literal[
    "awaiting_payment", "paid", "expired", "cancelled", "failed", "refund_pending", "refunded", "flagged"
]
# An Idempotency-Key: printable ASCII, as Stripe's are.
IDEMPOTENCY_KEY = r"^[\x21-\x7e]{1,255}$"


class TierFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    price: int = Field(ge=0, le=100_000_000, description="In the currency's minor unit (cents); 0 is free")
    currency: Currency
    quota: int | None = Field(None, gt=0, le=10_000_000, description="Places of this tier; null: event capacity")
    sales_start: AwareDatetime | None = None
    sales_end: AwareDatetime | None = None
    max_per_order: int = Field(10, ge=1, le=100)

    @model_validator(mode="after")
    def _window(self) -> TierFields:
        if self.sales_start is not None and self.sales_end is not None and self.sales_start >= self.sales_end:
            raise ValueError("sales_start must be before sales_end")
        return self


class TierPatch(BaseModel):
    """Fields left out stay as they are. Price and currency are fixed once a tier exists."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    quota: int | None = Field(None, gt=0, le=10_000_000)
    sales_start: AwareDatetime | None = None
    sales_end: AwareDatetime | None = None
    max_per_order: int | None = Field(None, ge=1, le=100)

    @model_validator(mode="after")
    def _not_null(self) -> TierPatch:
        for name in ("name", "max_per_order"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class Tier(BaseModel):
    id: UUID
    event_id: UUID
    name: str
    price: int
    currency: str
    quota: int | None
    sales_start: datetime | None
    sales_end: datetime | None
    max_per_order: int
    places_left: int | None = Field(description="null when only the event's capacity bounds the tier")
    sold_out: bool


class TierList(BaseModel):
    items: list[Tier]


class OrderItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier_id: UUID
    quantity: int = Field(ge=1, le=100)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: UUID
    items: list[OrderItemIn] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _distinct(self) -> OrderIn:
        if len({item.tier_id for item in self.items}) != len(self.items):
            raise ValueError("each tier appears once in items")
        return self


class Payment(BaseModel):
    provider: str | None = Field(description="null for a free order (nothing to pay)")
    client_secret: str | None = Field(description="For Stripe Elements or a mobile SDK; null once paid or free")


class OrderItem(BaseModel):
    tier_id: UUID
    name: str
    quantity: int
    unit_price: int


class TicketRef(BaseModel):
    id: UUID
    code: str


class Order(BaseModel):
    id: UUID
    event_id: UUID
    status: OrderStatus
    amount: int
    currency: str
    application_fee: int | None
    expires_at: datetime
    created_at: datetime
    paid_at: datetime | None
    items: list[OrderItem]
    payment: Payment
    tickets: list[TicketRef]


class MyTicket(BaseModel):
    id: UUID
    event_id: UUID
    event_title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    tier_name: str | None
    order_id: UUID | None
    issued_at: datetime
    code: str = Field(description="The signed payload the QR code holds (also for manual entry)")
    qr_svg: str = Field(description="The QR code as an SVG data URI")
    checked_in_at: datetime | None
    door: str | None


class MyTicketPage(BaseModel):
    items: list[MyTicket]
    next_cursor: str | None


class CheckinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=200)
    door: str = Field(min_length=1, max_length=50)
    event_id: UUID | None = Field(None, description="The event the door admits to: a ticket of another is refused")
    scanned_at: AwareDatetime | None = Field(
        None,
        description="When a door admitted the ticket offline (the door's clock), recorded as the check-in time; "
        "at most 2 minutes ahead of the server's clock and 48 hours old",
    )


class Checkin(BaseModel):
    ticket_id: UUID
    event_id: UUID
    door: str
    checked_in_at: datetime


class ListedTicket(BaseModel):
    """Strings as signed (the signature covers these exact texts)."""

    id: str
    checked_in_at: str | None
    door: str | None


class CheckinList(BaseModel):
    event_id: str
    generated_at: str
    public_key: str = Field(description="Ed25519 public key (raw, base64url) that signs ticket codes and this list")
    tickets: list[ListedTicket]
    next_cursor: str | None
    signature: str = Field(description="Ed25519 over the canonical JSON of the other fields (sorted keys)")


class CheckinListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(None, ge=1, le=50_000)
    cursor: str | None = Field(None, max_length=512)


class SalesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bucket: Literal["hour", "day"] = Field("day", description="Hours or days of the event's own time zone")


class TierSales(BaseModel):
    tier_id: UUID
    name: str
    price: int
    currency: str
    quota: int | None
    sold: int
    held: int = Field(description="Places held by orders awaiting payment")
    revenue: int = Field(description="Takings of paid orders, in the currency's minor unit")
    refunded: int = Field(description="Tickets of refunded (or refunding) orders")
    refunded_amount: int


class SalesBucket(BaseModel):
    start: datetime = Field(description="The hour or day's start, with the event's UTC offset")
    tickets: int = Field(description="Tickets issued then that are valid now (paid and RSVP)")
    revenue: dict[str, int] = Field(description="Takings of orders paid then, by currency")


class Sales(BaseModel):
    event_id: UUID
    timezone: str
    bucket: Literal["hour", "day"]
    tiers: list[TierSales]
    buckets: list[SalesBucket] = Field(description="First to last bucket with a ticket, empty ones included")
    truncated: bool = Field(description="Older buckets were left out (the series holds at most 400)")
