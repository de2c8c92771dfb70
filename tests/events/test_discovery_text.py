"""Full text: ranked, stemmed, accent-insensitive, tolerant of a typo."""

from __future__ import annotations

from tests.events.conftest import World, bbox_param, get_page, ids, walk

PARIS_BOX = bbox_param(2.2, 48.8, 2.5, 48.9)


async def search(client, q: str, **params) -> list[str]:
    return ids(await get_page(client, bbox=PARIS_BOX, q=q, **params))


async def test_stemmed(client, world: World) -> None:
    concert = await world.event(title="Jazz Concert in the Park")
    await world.event(title="Poetry reading")

    assert await search(client, "concerts") == [str(concert["id"])]
    assert await search(client, "parks jazz") == [str(concert["id"])]


async def test_accent_insensitive_both_ways(client, world: World) -> None:
    cafe = await world.event(title="Café Müller")
    creme = await world.event(title="Creme brulee workshop")

    assert await search(client, "cafe") == [str(cafe["id"])]
    assert await search(client, "MULLER") == [str(cafe["id"])]
    assert await search(client, "crème brûlée") == [str(creme["id"])]


async def test_tolerates_a_typo(client, world: World) -> None:
    concert = await world.event(title="Symphony Orchestra")
    await world.event(title="Street food market")

    assert await search(client, "symphny") == [str(concert["id"])]
    assert await search(client, "orchestre") == [str(concert["id"])]


async def test_ranked_title_then_tags_then_description(client, world: World) -> None:
    in_description = await world.event(title="Evening out", description="With a salsa band from Cali")
    in_title = await world.event(title="Salsa social")
    in_tags = await world.event(title="Dance night", tags=["salsa"])
    await world.event(title="Tango", description="No latin music here")

    assert await search(client, "salsa") == [str(in_title["id"]), str(in_tags["id"]), str(in_description["id"])]


async def test_typo_matches_come_after_every_exact_match_even_across_pages(client, world: World) -> None:
    exact = [await world.event(title=f"Jazz brunch {n}") for n in range(5)]
    fuzzy = [await world.event(title=f"Jazzy {n}") for n in range(3)]  # 'jazzy' stems to 'jazzi'
    await world.event(title="Opera gala")

    pages = await walk(client, bbox=PARIS_BOX, q="jazz", limit=3)
    flat = [i for page in pages for i in page]

    assert set(flat[:5]) == {str(e["id"]) for e in exact}
    assert set(flat[5:]) == {str(e["id"]) for e in fuzzy}
    assert len(flat) == len(set(flat)) == 8


async def test_text_filter_with_another_sort_keeps_typo_matches(client, world: World) -> None:
    exact = await world.event(title="Tango milonga", popularity=5)
    typo = await world.event(title="Tangos at dusk", popularity=50)
    await world.event(title="Rock night", popularity=500)

    assert await search(client, "tanga", sort="popularity") == [str(typo["id"]), str(exact["id"])]


async def test_query_text_is_data_never_sql(client, world: World, db) -> None:
    await world.event(title="Robert'); DROP TABLE events;--")

    for q in ["'; DROP TABLE events; --", "Robert');", "%%s %(q)s", "a:* & !b | (c", '"unclosed']:
        response = await client.get("/api/v1/events", params={"bbox": PARIS_BOX, "q": q})
        assert response.status_code == 200, (q, response.text)
    cur = await db.execute("SELECT count(*) AS n FROM events")
    assert (await cur.fetchone())["n"] == 1
    assert len(await search(client, "Robert DROP TABLE")) == 1
