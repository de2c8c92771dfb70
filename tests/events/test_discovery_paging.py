"""In which order: every sort, and keyset paging that neither repeats nor skips while rows arrive."""

from __future__ import annotations

from datetime import timedelta

from app.events import queries
from app.events.criteria import Criteria
from app.events.filters import Filters
from app.events.paging import first_page
from geo.bbox import BBox
from geo.cells import cells_covering_bbox
from geo.circle import Circle
from tests.events.conftest import World, bbox_param, get_page, ids, walk

PARIS_BOX = bbox_param(2.2, 48.8, 2.5, 48.9)


async def test_sort_start_is_chronological_with_id_as_tie_breaker(client, world: World) -> None:
    later = await world.event(starts_in=timedelta(days=2))
    same_a = await world.event(starts_in=timedelta(days=1))
    same_b = await world.event(starts_at=same_a["starts_at"])

    body = await get_page(client, bbox=PARIS_BOX, sort="start")

    tied = sorted([str(same_a["id"]), str(same_b["id"])])
    assert ids(body) == [*tied, str(later["id"])]


async def test_sort_popularity_is_most_popular_first(client, world: World) -> None:
    quiet = await world.event(popularity=1)
    hot = await world.event(popularity=900)
    warm_a = await world.event(popularity=50)
    warm_b = await world.event(popularity=50)

    body = await get_page(client, bbox=PARIS_BOX, sort="popularity")

    assert ids(body) == [str(hot["id"]), *sorted([str(warm_a["id"]), str(warm_b["id"])]), str(quiet["id"])]


async def test_sort_distance_needs_a_centre_and_orders_by_it(client, world: World) -> None:
    far = await world.event(48.90, 2.35)
    near = await world.event(48.857, 2.352)

    body = await get_page(client, lat=48.8566, lon=2.3522, radius_m=20_000, sort="distance")

    assert ids(body) == [str(near["id"]), str(far["id"])]
    assert body["items"][0]["distance_m"] < body["items"][1]["distance_m"]


async def test_walking_every_sort_visits_each_event_once_in_order(client, world: World) -> None:
    created = []
    for n in range(23):
        created.append(
            await world.event(
                48.85 + n * 0.001, 2.35, starts_in=timedelta(hours=n % 7 + 1), popularity=n % 5, title=f"Jazz night {n}"
            )
        )
    everyone = sorted(str(e["id"]) for e in created)
    where = {"lat": 48.85, "lon": 2.35, "radius_m": 5_000}

    for sort in ("start", "popularity", "distance", "relevance"):
        extra = {"q": "jazz"} if sort == "relevance" else {}
        pages = await walk(client, **where, **extra, sort=sort, limit=5)
        assert [len(p) for p in pages] == [5, 5, 5, 5, 3], sort
        flat = [i for page in pages for i in page]
        assert sorted(flat) == everyone, sort
        whole = ids(await get_page(client, **where, **extra, sort=sort, limit=100))
        assert flat == whole, f"pages of {sort} differ from one long page"


async def test_no_duplicates_and_no_gaps_while_events_are_inserted(client, world: World) -> None:
    """Between page fetches, insert events that sort before the cursor, at it, and after it."""
    for sort in ("start", "popularity"):
        originals = [
            await world.event(starts_in=timedelta(hours=10 + n), popularity=100 - n, title=f"{sort} {n}")
            for n in range(12)
        ]
        first = await get_page(client, bbox=PARIS_BOX, sort=sort, limit=4)
        seen = ids(first)
        cursor = first["next_cursor"]
        late_arrivals = []
        while cursor:
            # One event sorting before every remaining one (not expected in this walk), one after all.
            await world.event(starts_in=timedelta(hours=1), popularity=1_000, title="early bird")
            late_arrivals.append(await world.event(starts_in=timedelta(days=30), popularity=0, title="latecomer"))
            body = await get_page(client, bbox=PARIS_BOX, sort=sort, limit=4, cursor=cursor)
            seen += ids(body)
            cursor = body["next_cursor"]

        assert len(seen) == len(set(seen)), f"{sort}: duplicates"
        assert {str(e["id"]) for e in originals} <= set(seen), f"{sort}: gaps"
        assert {str(e["id"]) for e in late_arrivals} <= set(seen), f"{sort}: rows inserted after the cursor lost"
        await world.conn.execute("DELETE FROM events")


async def test_rows_tied_with_the_cursor_are_split_by_id(client, world: World) -> None:
    anchor = await world.event(starts_in=timedelta(days=1))
    twins = [await world.event(starts_at=anchor["starts_at"]) for _ in range(6)]

    pages = await walk(client, bbox=PARIS_BOX, sort="start", limit=2)

    assert [i for page in pages for i in page] == sorted(str(e["id"]) for e in [anchor, *twins])


async def test_limit_may_change_between_pages(client, world: World) -> None:
    for n in range(6):
        await world.event(starts_in=timedelta(hours=n + 1))
    first = await get_page(client, bbox=PARIS_BOX, limit=2)
    rest = await get_page(client, bbox=PARIS_BOX, limit=10, cursor=first["next_cursor"])
    assert len(ids(first) + ids(rest)) == 6 and rest["next_cursor"] is None


async def test_a_cursor_belongs_to_its_query(client, world: World) -> None:
    for n in range(4):
        await world.event(starts_in=timedelta(hours=n + 1), category="music")
    cursor = (await get_page(client, bbox=PARIS_BOX, limit=2))["next_cursor"]

    for other in ({"category": "food"}, {"sort": "popularity"}, {"bbox": bbox_param(2.2, 48.8, 2.5, 48.95)}):
        response = await client.get("/api/v1/events", params={"bbox": PARIS_BOX, **other, "cursor": cursor})
        assert response.status_code == 400, other
        assert response.json()["param"] == "cursor"

    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    response = await client.get("/api/v1/events", params={"bbox": PARIS_BOX, "cursor": tampered})
    assert response.status_code == 400 and response.json()["param"] == "cursor"


async def test_a_sparse_area_falls_back_to_the_exact_query(client, world: World, monkeypatch) -> None:
    """The ordered walk reads at most a few candidates of the covering cells; when they miss the
    box, the exact query must still find the page (here: events in the box start last)."""
    monkeypatch.setattr(queries, "MIN_SCAN_CAP", 2)
    monkeypatch.setattr(queries, "SCAN_CAP_PER_ROW", 1)
    for n in range(6):  # same H3 cell as the box, outside it, earliest
        await world.event(48.95, 2.6, starts_in=timedelta(hours=1 + n), popularity=100 + n)
    inside = [await world.event(48.85, 2.35, starts_in=timedelta(days=1 + n), popularity=n) for n in range(3)]

    for sort in ("start", "popularity"):
        pages = await walk(client, bbox=PARIS_BOX, sort=sort, limit=2)
        expected = [str(e["id"]) for e in (inside if sort == "start" else reversed(inside))]
        assert [i for page in pages for i in page] == expected, sort


async def test_cell_walks_merge_into_one_order_when_some_cells_are_capped(client, world: World, monkeypatch) -> None:
    """A box over several partition cells is walked cell by cell. With a tiny scan cap the cells
    crowded with events outside the box stop early; the merged pages must still be exactly the
    box's events in order, with nothing repeated or skipped across pages."""
    monkeypatch.setattr(queries, "MIN_SCAN_CAP", 3)
    monkeypatch.setattr(queries, "SCAN_CAP_PER_ROW", 1)
    west, south, east, north = 1.9, 48.6, 2.8, 49.1
    assert len(cells_covering_bbox(BBox(west, south, east, north)) or []) > 2
    inside = []
    for n in range(30):
        lat, lon = south + 0.5 * ((n * 7) % 30) / 30, west + 0.9 * ((n * 11) % 30) / 30
        inside.append(
            await world.event(lat, lon, starts_in=timedelta(hours=5 + (n * 13) % 30), popularity=(n * 17) % 30)
        )
    for n in range(12):  # just outside the box, in its covering cells: earliest and most popular
        lat, lon = (north + 0.05, west + 0.08 * n) if n % 2 else (south + 0.04 * n, west - 0.05)
        await world.event(lat, lon, starts_in=timedelta(minutes=10 + n), popularity=100 + n)

    for sort, key in (("start", "starts_at"), ("popularity", "popularity")):
        pages = await walk(client, bbox=bbox_param(west, south, east, north), sort=sort, limit=4)
        ordered = sorted(inside, key=lambda e: (e[key] if sort == "start" else -e[key], str(e["id"])))
        assert [i for page in pages for i in page] == [str(e["id"]) for e in ordered], sort


def test_walks_go_cell_by_cell_unless_text_or_too_many_cells() -> None:
    paris = BBox(1.9, 48.6, 2.8, 49.1)
    first = first_page()
    assert "walked" in queries.list_statement(Criteria(area=paris, sort="start"), first, 10).sql
    with_text = Criteria(area=paris, sort="popularity", filters=Filters(text="jazz"))
    assert "walked" not in queries.list_statement(with_text, first, 10).sql
    europe = BBox(-10.0, 40.0, 10.0, 55.0)
    assert len(cells_covering_bbox(europe) or []) > queries.MAX_WALKED_CELLS
    assert "walked" not in queries.list_statement(Criteria(area=europe, sort="start"), first, 10).sql


def test_nearest_walks_the_mercator_index_unless_it_cannot_bound_it() -> None:
    first = first_page()
    paris = queries.list_statement(Criteria(area=Circle(48.85, 2.35, 5_000), sort="distance"), first, 10)
    assert "point(e.px, e.py) <->" in paris.sql
    for lat, lon in ((0.0, 179.99), (85.0, 10.0)):  # across the antimeridian; near the pole
        statement = queries.list_statement(Criteria(area=Circle(lat, lon, 5_000), sort="distance"), first, 10)
        assert "point(e.px, e.py)" not in statement.sql and "geography <->" in statement.sql
