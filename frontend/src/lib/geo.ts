/** Viewport geometry: what the map shows, as the discovery API wants it. */

export interface Bounds {
  west: number;
  south: number;
  east: number;
  north: number;
}

/** Wrap a longitude into [-180, 180]. */
export function wrapLon(lon: number): number {
  const wrapped = ((((lon + 180) % 360) + 360) % 360) - 180;
  return wrapped === -180 && lon > 0 ? 180 : wrapped;
}

/**
 * The API's bbox for a viewport whose longitudes may run past ±180 (MapLibre keeps them unwrapped
 * when the map is panned across the antimeridian). A box that crosses 180° comes out with west > east.
 */
export function normalizeBounds(b: Bounds): Bounds {
  const clampLat = (v: number) => Math.max(-90, Math.min(90, v));
  const south = clampLat(b.south);
  const north = clampLat(b.north);
  if (b.east - b.west >= 360) return {west: -180, south, east: 180, north};
  return {west: wrapLon(b.west), south, east: wrapLon(b.east), north};
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

export function haversineM(a: {lat: number; lon: number}, b: {lat: number; lon: number}): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The radius of the circle around `center` that covers the whole viewport. */
export function coveringRadiusM(center: {lat: number; lon: number}, b: Bounds): number {
  const corners = [
    {lat: b.north, lon: b.west},
    {lat: b.north, lon: b.east},
    {lat: b.south, lon: b.west},
    {lat: b.south, lon: b.east},
  ];
  return Math.max(...corners.map((c) => haversineM(center, c)));
}
