import {describe, expect, it} from 'vitest';
import {isTimeZone, PlaceZones, zoneQuery} from './placezone';

const answering = (body: unknown, status = 200) => {
  const asked: string[] = [];
  const fetcher = (async (input: RequestInfo | URL) => {
    asked.push(String(input));
    return new Response(JSON.stringify(body), {status, headers: {'Content-Type': 'application/json'}});
  }) as typeof fetch;
  return {asked, fetcher};
};

describe('the zone of the place on the map', () => {
  it('asks for a rounded, wrapped position', () => {
    expect(zoneQuery(39.90421, 116.40739)).toBe('lat=39.9&lon=116.4');
    expect(zoneQuery(40.7, -74.0 - 720)).toBe('lat=40.7&lon=-74.0');
    expect(zoneQuery(91, 0)).toBe('lat=90.0&lon=0.0');
  });

  it('asks once per rounded position', async () => {
    const {asked, fetcher} = answering({timezone: 'Asia/Shanghai'});
    const zones = new PlaceZones('Europe/Paris', fetcher);
    expect(await zones.at(39.904, 116.407)).toBe('Asia/Shanghai');
    expect(await zones.at(39.93, 116.36)).toBe('Asia/Shanghai');
    expect(asked).toEqual(['/basemap/timezone?lat=39.9&lon=116.4']);
  });

  it("falls back to the viewer's zone on an error or an unknown name", async () => {
    expect(await new PlaceZones('Europe/Paris', answering({detail: 'down'}, 503).fetcher).at(1, 2)).toBe('Europe/Paris');
    expect(await new PlaceZones('Europe/Paris', answering({timezone: 'Mars/Olympus'}).fetcher).at(1, 2)).toBe('Europe/Paris');
    expect(isTimeZone('Etc/GMT-8')).toBe(true);
    expect(isTimeZone(42)).toBe(false);
  });
});
