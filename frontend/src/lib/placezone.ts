/**
 * The time zone of the place on the map. The calendar counts days where the events are: "today"
 * over Beijing is Beijing's today, whatever the viewer's clock says.
 */
import {getJson, isAbort} from './api';
import {wrapLon} from './geo';

/** One decimal (about 10 km): views of one city share one answer, and the browser's cache keeps it. */
export function zoneQuery(lat: number, lon: number): string {
  const round = (v: number) => (Math.round(v * 10) / 10).toFixed(1);
  return `lat=${round(Math.max(-90, Math.min(90, lat)))}&lon=${round(wrapLon(lon))}`;
}

export function isTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || !name) return false;
  try {
    new Intl.DateTimeFormat('en', {timeZone: name});
    return true;
  } catch {
    return false;
  }
}

/** Asks the server (`/basemap/timezone`) once per rounded position; `fallback` when it cannot say. */
export class PlaceZones {
  private readonly known = new Map<string, string>();

  constructor(
    private readonly fallback: string,
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  async at(lat: number, lon: number, signal?: AbortSignal): Promise<string> {
    const query = zoneQuery(lat, lon);
    const cached = this.known.get(query);
    if (cached) return cached;
    try {
      const {timezone} = await getJson<{timezone?: unknown}>(`/basemap/timezone?${query}`, signal, this.fetcher);
      const zone = isTimeZone(timezone) ? timezone : this.fallback;
      this.known.set(query, zone);
      return zone;
    } catch (error) {
      if (isAbort(error)) throw error;
      return this.fallback; // not remembered: the next view asks again
    }
  }
}
