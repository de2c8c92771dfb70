"""Signed cursors (app.kit.cursor) and discovery's use of them (app.events.paging)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from app.errors import InvalidParameter
from app.events.criteria import Criteria
from app.events.filters import Filters
from app.events.paging import Position, decode_cursor, encode_cursor
from app.kit.cursor import CursorSigner, InvalidCursor
from geo.bbox import BBox
from geo.circle import Circle

SIGNER = CursorSigner("test-secret")


def test_round_trip_keeps_values_exactly() -> None:
    values = [1, 1_700_000_000_123_456, 1234.5678901234567, "0f" * 16, None]
    assert SIGNER.decode(SIGNER.encode(values, b"scope"), b"scope") == values


@pytest.mark.parametrize(
    "token",
    ["", ".", "abc", "a.b.c", "!!!.???", "eyJ4IjoxfQ.", "x" * 1000, "W10.AAAAAAAAAAAAAAAAAAAAAA", "ñ.ñ"],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        SIGNER.decode(token, b"scope")


def test_another_scope_another_secret_or_an_edit_is_refused() -> None:
    token = SIGNER.encode([1, 2, 3], b"scope")
    with pytest.raises(InvalidCursor):
        SIGNER.decode(token, b"other scope")
    with pytest.raises(InvalidCursor):
        CursorSigner("other-secret").decode(token, b"scope")
    _body, mac = token.split(".")
    forged = SIGNER.encode([1, 2, 4], b"scope").split(".")[0]
    with pytest.raises(InvalidCursor):
        SIGNER.decode(f"{forged}.{mac}", b"scope")


def test_paging_cursor_round_trip_for_every_sort() -> None:
    now = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    event_id = uuid.uuid4()
    keys = {
        "start": datetime(2026, 5, 2, 20, 15, 0, 654321, tzinfo=UTC),
        "popularity": 42,
        "distance": 1234.567891234,
        "relevance": 1.0607927,
    }
    for sort, key in keys.items():
        area = Circle(48.85, 2.35, 1000) if sort == "distance" else BBox(2.2, 48.8, 2.5, 48.9)
        text = "jazz" if sort == "relevance" else None
        criteria = Criteria(area=area, sort=sort, filters=Filters(text=text))  # type: ignore[arg-type]
        position = decode_cursor(SIGNER, criteria, encode_cursor(SIGNER, criteria, (key, event_id)), now)
        assert position.as_of == now and position.after == (key, event_id)


def test_a_cursor_is_bound_to_the_data_not_to_the_clock() -> None:
    """Equal pages carry equal cursors whenever they are served: equal answers, equal ETags."""
    criteria = Criteria(area=BBox(2.2, 48.8, 2.5, 48.9), sort="start")
    key = (datetime(2026, 5, 2, 20, 15, tzinfo=UTC), uuid.uuid4())
    token = encode_cursor(SIGNER, criteria, key)
    assert encode_cursor(SIGNER, criteria, key) == token
    later = datetime(2026, 5, 9, tzinfo=UTC)
    assert decode_cursor(SIGNER, criteria, token, later) == Position(as_of=later, after=key)


def test_a_cursor_of_the_former_layout_has_expired() -> None:
    criteria = Criteria(area=BBox(2.2, 48.8, 2.5, 48.9), sort="start")
    former = SIGNER.encode([1, 1_777_000_000_000_000, 1_777_000_000_000_000, uuid.uuid4().hex], criteria.fingerprint())
    with pytest.raises(InvalidParameter, match="expired"):
        decode_cursor(SIGNER, criteria, former)


def test_paging_cursor_is_bound_to_the_criteria() -> None:
    criteria = Criteria(area=BBox(2.2, 48.8, 2.5, 48.9), sort="start")
    token = encode_cursor(SIGNER, criteria, (datetime(2026, 5, 2, tzinfo=UTC), uuid.uuid4()))
    for other in (
        Criteria(area=BBox(2.2, 48.8, 2.5, 48.91), sort="start"),
        Criteria(area=BBox(2.2, 48.8, 2.5, 48.9), sort="start", filters=Filters(categories=("food",))),
        Criteria(area=BBox(2.2, 48.8, 2.5, 48.9), sort="popularity"),
    ):
        with pytest.raises(InvalidParameter) as caught:
            decode_cursor(SIGNER, other, token)
        assert caught.value.param == "cursor"
