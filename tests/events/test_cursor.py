"""Signed cursors (app.kit.cursor) and discovery's use of them (app.events.paging)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from app.errors import InvalidParameter
from app.events.criteria import Criteria
from app.events.paging import decode_cursor, encode_cursor
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
    as_of = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    event_id = uuid.uuid4()
    keys = {
        "start": datetime(2026, 5, 2, 20, 15, 0, 654321, tzinfo=UTC),
        "popularity": 42,
        "distance": 1234.567891234,
        "relevance": 1.0607927,
    }
    for sort, key in keys.items():
        area = Circle(48.85, 2.35, 1000) if sort == "distance" else BBox(2.2, 48.8, 2.5, 48.9)
        criteria = Criteria(area=area, sort=sort, text="jazz" if sort == "relevance" else None)  # type: ignore[arg-type]
        position = decode_cursor(SIGNER, criteria, encode_cursor(SIGNER, criteria, as_of, (key, event_id)))
        assert position.as_of == as_of and position.after == (key, event_id)


def test_paging_cursor_is_bound_to_the_criteria() -> None:
    criteria = Criteria(area=BBox(2.2, 48.8, 2.5, 48.9), sort="start")
    token = encode_cursor(SIGNER, criteria, datetime.now(UTC), (datetime.now(UTC), uuid.uuid4()))
    for other in (
        Criteria(area=BBox(2.2, 48.8, 2.5, 48.91), sort="start"),
        Criteria(area=BBox(2.2, 48.8, 2.5, 48.9), sort="start", categories=("food",)),
        Criteria(area=BBox(2.2, 48.8, 2.5, 48.9), sort="popularity"),
    ):
        with pytest.raises(InvalidParameter) as caught:
            decode_cursor(SIGNER, other, token)
        assert caught.value.param == "cursor"
