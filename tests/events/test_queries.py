"""The discovery SQL builder: values are bound, never written into the SQL; partitions are pruned."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from app.events.criteria import Criteria
from app.events.filters import Filters
from app.events.paging import Position
from app.events.queries import detail_statement, list_statement
from geo.bbox import BBox
from geo.circle import Circle

NOW = datetime(2026, 5, 1, tzinfo=UTC)
HOSTILE = "zz'); DROP TABLE events; --"


@pytest.mark.parametrize("sort", ["start", "popularity", "distance", "relevance"])
@pytest.mark.parametrize("geojson", [False, True])
def test_client_values_are_parameters(sort: str, geojson: bool) -> None:
    area = Circle(12.345678, 98.765432, 4321.5) if sort == "distance" else BBox(170.111, -20.222, -170.333, -10.444)
    filters = Filters.model_construct(  # past the rules: the SQL must bind whatever it is given
        categories=(HOSTILE,), tags=(HOSTILE,), text=HOSTILE, starts_after=NOW,
        starts_before=datetime(2027, 1, 1, tzinfo=UTC), free=True, price_max=1234567, min_popularity=7654321,
    )  # fmt: skip
    criteria = Criteria(area=area, sort=sort, filters=filters)  # type: ignore[arg-type]
    position = Position(as_of=NOW, after=(1.5 if sort in ("distance", "relevance") else 3, uuid.uuid4()))

    statement = list_statement(criteria, position, 51, geojson=geojson)

    for literal in ("DROP", "12.345678", "98.765432", "4321.5", "170.111", "20.222", "170.333", "10.444",
                    "1234567", "7654321", "2026", "2027", str(position.after[1])):  # fmt: skip
        assert literal not in statement.sql, literal
    assert HOSTILE in statement.params.values() or [HOSTILE] in statement.params.values()
    # Pruned to the cover: the whole cover at once, or one walk per covering cell.
    assert "e.cell = ANY(%(cells)s)" in statement.sql or "e.cell = %(cell0)s" in statement.sql
    assert statement.params["cells"]


def test_antimeridian_box_is_two_envelopes() -> None:
    statement = list_statement(Criteria(area=BBox(170, -20, -170, -10), sort="start"), Position(as_of=NOW), 10)
    assert "%(w0)s" in statement.sql and "%(w1)s" in statement.sql and "%(w2)s" not in statement.sql
    assert (statement.params["w0"], statement.params["e0"], statement.params["w1"], statement.params["e1"]) == (
        170, 180, -180, -170
    )


def test_detail_binds_the_id_and_its_cell() -> None:
    event_id = uuid.uuid4()
    statement = detail_statement(event_id, 599686042433355775)
    assert str(event_id) not in statement.sql and "599686042433355775" not in statement.sql
    assert statement.params == {"id": event_id, "cell": 599686042433355775}
    assert "e.cell = %(cell)s" in statement.sql
    assert "e.cell" not in detail_statement(event_id, None).sql.split("WHERE")[-1]
