/**
 * Geofences as the editor holds them and as the API takes them: a circle (a centre and a radius in
 * metres) or a polygon (its vertices, open: the closing position is added when it is sent).
 *
 * Longitudes of a polygon are kept continuous: each vertex is within 180° of the one before, so a
 * ring drawn across the antimeridian goes on past ±180 (179.5 → 180.5) instead of jumping back. The
 * API takes such a ring as it is (longitudes within ±540, the closing position equal to the first)
 * and splits it at ±180 itself; MapLibre draws it continuous too. Nothing here touches the DOM.
 */

/** The sphere PostGIS measures on (`use_spheroid => false`), in metres. */
export const EARTH_RADIUS_M = 6_371_008.771415;
/** What the API accepts (its defaults): the widest circle, the most vertices, latitudes. */
export const MAX_RADIUS_M = 50_000;
export const MIN_RADIUS_M = 100;
export const MAX_VERTICES = 200;
export const MAX_LAT = 85;

export interface LatLon {
  lat: number;
  lon: number;
}

export type Position = [number, number]; // [lon, lat], GeoJSON order

export type Shape = {kind: 'circle'; center: LatLon; radius_m: number} | {kind: 'polygon'; vertices: Position[]; closed: boolean};

export type CircleArea = {center: LatLon; radius_m: number};
export type PolygonArea = {type: 'Polygon'; coordinates: Position[][]};
export type ApiArea = CircleArea | PolygonArea;

const rad = (deg: number) => (deg * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

/** `lon` plus or minus whole turns, within 180° of `reference`. */
export function near(lon: number, reference: number): number {
  let out = lon;
  while (out - reference > 180) out -= 360;
  while (out - reference < -180) out += 360;
  return out;
}

/** A longitude in [-180, 180]. */
export function wrap(lon: number): number {
  const out = near(lon, 0);
  return out === -180 ? -180 : out;
}

/** Great-circle distance in metres (what the API's circle test measures). */
export function distanceM(a: LatLon, b: LatLon): number {
  const dp = rad(b.lat - a.lat);
  const dl = rad(b.lon - a.lon);
  const h = Math.sin(dp / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dl / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The point `distance` metres from `from` on the initial bearing `bearingDeg` (0 = north). */
export function destination(from: LatLon, distance: number, bearingDeg: number): LatLon {
  const d = distance / EARTH_RADIUS_M;
  const b = rad(bearingDeg);
  const p1 = rad(from.lat);
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = rad(from.lon) + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return {lat: deg(p2), lon: near(deg(l2), from.lon)};
}

/** A radius kept within what the API accepts, rounded to whole metres. */
export function clampRadius(radius: number): number {
  if (!Number.isFinite(radius)) return MIN_RADIUS_M;
  return Math.round(Math.min(MAX_RADIUS_M, Math.max(MIN_RADIUS_M, radius)));
}

/** A closed ring drawing the circle (`steps` sides, continuous longitudes around its centre). */
export function circleRing(center: LatLon, radius: number, steps = 64): Position[] {
  const ring: Position[] = [];
  for (let i = 0; i < steps; i++) {
    const p = destination(center, radius, (360 * i) / steps);
    ring.push([p.lon, p.lat]);
  }
  ring.push(ring[0]);
  return ring;
}

/** Where the circle's radius handle sits: due east of the centre, on the circle. */
export function radiusHandle(center: LatLon, radius: number): LatLon {
  return destination(center, radius, 90);
}

// ---- polygons -------------------------------------------------------------------------------

/** Longitudes made continuous along the ring (the first vertex's longitude wrapped into ±180). */
export function unwrap(vertices: Position[]): Position[] {
  const out: Position[] = [];
  for (const [lon, lat] of vertices) {
    const previous = out.length ? out[out.length - 1][0] : 0;
    out.push([out.length ? near(lon, previous) : wrap(lon), lat]);
  }
  return out;
}

/** Add a vertex at the end (its longitude continuous with the last one). */
export function addVertex(vertices: Position[], point: Position): Position[] {
  return unwrap([...vertices, point]);
}

/** Move vertex `i` (to the copy of the point nearest its neighbours: a drag never winds round). */
export function moveVertex(vertices: Position[], i: number, point: Position): Position[] {
  if (i < 0 || i >= vertices.length) return vertices;
  const neighbour = vertices[i - 1] ?? vertices[i + 1] ?? vertices[i];
  const moved = vertices.slice();
  moved[i] = [near(point[0], neighbour[0]), clampLat(point[1])];
  return i === 0 ? unwrap(moved) : moved;
}

/** Remove vertex `i`. */
export function deleteVertex(vertices: Position[], i: number): Position[] {
  if (i < 0 || i >= vertices.length) return vertices;
  return unwrap(vertices.filter((_, k) => k !== i));
}

/** Insert a vertex in the middle of the edge from vertex `i` to the next one (the ring's edges). */
export function splitEdge(vertices: Position[], i: number): Position[] {
  if (vertices.length < 2 || i < 0 || i >= vertices.length) return vertices;
  const a = vertices[i];
  const b = vertices[(i + 1) % vertices.length];
  const bLon = near(b[0], a[0]);
  const middle: Position = [(a[0] + bLon) / 2, (a[1] + b[1]) / 2];
  return unwrap([...vertices.slice(0, i + 1), middle, ...vertices.slice(i + 1)]);
}

/** The closed ring the API takes: the vertices, then the first again. */
export function closedRing(vertices: Position[]): Position[] {
  const ring = unwrap(vertices);
  return ring.length ? [...ring, ring[0]] : ring;
}

function clampLat(lat: number): number {
  return Math.max(-MAX_LAT, Math.min(MAX_LAT, lat));
}

function cross(o: Position, a: Position, b: Position): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

function segmentsCross(p1: Position, p2: Position, q1: Position, q2: Position): boolean {
  const d1 = cross(q1, q2, p1);
  const d2 = cross(q1, q2, p2);
  const d3 = cross(p1, p2, q1);
  const d4 = cross(p1, p2, q2);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  const on = (a: Position, b: Position, c: Position) =>
    Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);
  return (d1 === 0 && on(q1, q2, p1)) || (d2 === 0 && on(q1, q2, p2)) || (d3 === 0 && on(p1, p2, q1)) || (d4 === 0 && on(p1, p2, q2));
}

/** Whether two edges of the closed polygon cross or touch (other than neighbours at their shared vertex). */
export function selfIntersects(vertices: Position[]): boolean {
  const ring = unwrap(vertices);
  const n = ring.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue; // neighbours share a vertex
      if (segmentsCross(ring[i], ring[(i + 1) % n], ring[j], ring[(j + 1) % n])) return true;
    }
  }
  return false;
}

/** Why the polygon cannot be saved yet (null when it can). */
export function polygonProblem(vertices: Position[]): string | null {
  if (vertices.length < 3) return 'Put at least three corners on the map.';
  if (vertices.length > MAX_VERTICES - 1) return `At most ${MAX_VERTICES - 1} corners.`;
  const ring = unwrap(vertices);
  const lons = ring.map((p) => p[0]);
  if (Math.max(...lons) - Math.min(...lons) >= 180) return 'An area must span less than half the globe.';
  if (selfIntersects(ring)) return 'The edges cross: move a corner so that the outline does not cross itself.';
  return null;
}

// ---- to and from the API --------------------------------------------------------------------

/** The `area` of a POST or PATCH body for a shape that can be saved (else null). */
export function toApiArea(shape: Shape): ApiArea | null {
  if (shape.kind === 'circle') {
    return {center: {lat: round(shape.center.lat), lon: round(wrap(shape.center.lon))}, radius_m: clampRadius(shape.radius_m)};
  }
  if (!shape.closed || polygonProblem(shape.vertices)) return null;
  const ring = closedRing(shape.vertices).map(([lon, lat]) => [round(lon), round(lat)] as Position);
  return {type: 'Polygon', coordinates: [ring]};
}

/** A saved area as the editor's shape (the closing position dropped; only the outer ring). */
export function fromApiArea(area: ApiArea | Record<string, unknown>): Shape | null {
  const a = area as Partial<CircleArea & PolygonArea>;
  if (a.center && typeof a.radius_m === 'number') return {kind: 'circle', center: {...a.center}, radius_m: a.radius_m};
  if (a.type === 'Polygon' && Array.isArray(a.coordinates) && a.coordinates[0]) {
    const ring = a.coordinates[0].map(([lon, lat]) => [lon, lat] as Position);
    const open = ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1] ? ring.slice(0, -1) : ring;
    return {kind: 'polygon', vertices: unwrap(open), closed: true};
  }
  return null;
}

/** The outline to draw for a shape (a closed ring; an open polygon draws as a line, not filled). */
export function outline(shape: Shape): {ring: Position[]; filled: boolean} {
  if (shape.kind === 'circle') return {ring: circleRing(shape.center, shape.radius_m), filled: true};
  const ring = unwrap(shape.vertices);
  return shape.closed && ring.length >= 3 ? {ring: [...ring, ring[0]], filled: true} : {ring, filled: false};
}

/** The [west, south, east, north] box of a shape (west may exceed 180 for a ring across ±180). */
export function bounds(shape: Shape): [number, number, number, number] | null {
  const ring = outline(shape).ring;
  if (!ring.length) return null;
  const lons = ring.map((p) => p[0]);
  const lats = ring.map((p) => p[1]);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}

/** A short description for lists and screen readers. */
export function describe(shape: Shape): string {
  if (shape.kind === 'circle') {
    const r = shape.radius_m >= 1000 ? `${(shape.radius_m / 1000).toFixed(1)} km` : `${Math.round(shape.radius_m)} m`;
    return `${r} around ${shape.center.lat.toFixed(3)}, ${wrap(shape.center.lon).toFixed(3)}`;
  }
  return `a drawn area with ${shape.vertices.length} corners`;
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

// ---- filters --------------------------------------------------------------------------------

export interface FilterFields {
  name: string;
  categories: string[];
  /** The price ceiling in major units as typed ('' = any price). */
  price: string;
  days: number[];
  /** 'HH:MM' or '' (both or neither). */
  timeFrom: string;
  timeTo: string;
}

export interface FilterBody {
  name: string;
  categories: string[] | null;
  price_max: number | null;
  days: number[] | null;
  time_from: number | null;
  time_to: number | null;
}

/** 'HH:MM' → minutes of the day (null for ''), '24:00' is 1440. */
export function minutes(time: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  if (!m) return null;
  const value = Number(m[1]) * 60 + Number(m[2]);
  return value >= 0 && value <= 1440 && Number(m[2]) < 60 ? value : null;
}

/** Minutes of the day → 'HH:MM'. */
export function clockTime(value: number): string {
  const v = Math.max(0, Math.min(1440, Math.round(value)));
  return `${String(Math.floor(v / 60)).padStart(2, '0')}:${String(v % 60).padStart(2, '0')}`;
}

/** The filters of a POST or PATCH body, every one given (null clears it); throws a sentence on bad input. */
export function filterBody(fields: FilterFields): FilterBody {
  const price = fields.price.trim();
  let priceMax: number | null = null;
  if (price !== '') {
    const value = Number(price.replace(',', '.'));
    if (!Number.isFinite(value) || value < 0) throw new Error('The price ceiling is a number of at least 0.');
    priceMax = Math.round(value * 100);
  }
  const from = fields.timeFrom ? minutes(fields.timeFrom) : null;
  const to = fields.timeTo ? minutes(fields.timeTo) : null;
  if ((fields.timeFrom !== '') !== (fields.timeTo !== '') || (fields.timeFrom && from === null) || (fields.timeTo && to === null)) {
    throw new Error('Give both times of the window (from and until), or neither.');
  }
  const days = [...new Set(fields.days)].filter((d) => d >= 1 && d <= 7).sort((a, b) => a - b);
  return {
    name: fields.name.trim().slice(0, 80),
    categories: fields.categories.length ? [...new Set(fields.categories)] : null,
    price_max: priceMax,
    days: days.length && days.length < 7 ? days : null,
    time_from: from,
    time_to: to,
  };
}

/** A saved geofence's filters as the form's fields. */
export function filterFields(saved: Partial<FilterBody>): FilterFields {
  return {
    name: saved.name ?? '',
    categories: saved.categories ?? [],
    price: saved.price_max == null ? '' : String(saved.price_max / 100),
    days: saved.days ?? [],
    timeFrom: saved.time_from == null ? '' : clockTime(saved.time_from),
    timeTo: saved.time_to == null ? '' : clockTime(saved.time_to),
  };
}
