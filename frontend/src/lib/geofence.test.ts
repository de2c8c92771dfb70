import {describe, expect, it} from 'vitest';
import {
  addVertex,
  circleRing,
  clampRadius,
  closedRing,
  deleteVertex,
  distanceM,
  filterBody,
  filterFields,
  fromApiArea,
  moveVertex,
  outline,
  polygonProblem,
  radiusHandle,
  selfIntersects,
  splitEdge,
  toApiArea,
  unwrap,
  wrap,
  type Position,
} from './geofence';

const PARIS = {lat: 48.8566, lon: 2.3522};
const square: Position[] = [
  [2.3, 48.85],
  [2.4, 48.85],
  [2.4, 48.9],
  [2.3, 48.9],
];

describe('circles', () => {
  it('draws a closed ring whose every point is the radius away from the centre', () => {
    const ring = circleRing(PARIS, 3000, 32);
    expect(ring).toHaveLength(33);
    expect(ring[32]).toEqual(ring[0]);
    for (const [lon, lat] of ring) expect(distanceM(PARIS, {lat, lon})).toBeCloseTo(3000, 3);
  });

  it('puts the radius handle due east on the circle, and a dragged handle gives the radius back', () => {
    const handle = radiusHandle(PARIS, 2500);
    expect(handle.lat).toBeCloseTo(PARIS.lat, 2);
    expect(handle.lon).toBeGreaterThan(PARIS.lon);
    expect(distanceM(PARIS, handle)).toBeCloseTo(2500, 3);
  });

  it('keeps the radius within what the API accepts', () => {
    expect(clampRadius(10)).toBe(100);
    expect(clampRadius(1e9)).toBe(50_000);
    expect(clampRadius(1234.4)).toBe(1234);
    expect(clampRadius(Number.NaN)).toBe(100);
  });

  it('stays continuous around a centre near the antimeridian', () => {
    const ring = circleRing({lat: -17, lon: 179.99}, 20_000);
    const lons = ring.map((p) => p[0]);
    expect(Math.max(...lons)).toBeGreaterThan(180);
    expect(Math.max(...lons) - Math.min(...lons)).toBeLessThan(1);
  });

  it('goes to the API with a wrapped centre and a whole radius', () => {
    expect(toApiArea({kind: 'circle', center: {lat: 10, lon: 190}, radius_m: 999.6})).toEqual({center: {lat: 10, lon: -170}, radius_m: 1000});
  });
});

describe('polygon editing', () => {
  it('adds, moves, splits and deletes vertices', () => {
    let v: Position[] = [];
    for (const p of square) v = addVertex(v, p);
    expect(v).toEqual(square);
    v = moveVertex(v, 2, [2.45, 48.95]);
    expect(v[2]).toEqual([2.45, 48.95]);
    v = splitEdge(v, 3); // the closing edge, from the last vertex back to the first
    expect(v).toHaveLength(5);
    expect(v[4]).toEqual([2.3, 48.875]);
    v = deleteVertex(v, 1);
    expect(v).toEqual([
      [2.3, 48.85],
      [2.45, 48.95],
      [2.3, 48.9],
      [2.3, 48.875],
    ]);
    expect(moveVertex(v, 9, [0, 0])).toBe(v);
    expect(deleteVertex(v, -1)).toBe(v);
  });

  it('keeps longitudes continuous across the antimeridian, as the API expects', () => {
    // Clicked on either side of ±180 (MapLibre gives -179.5 on the far side).
    let v: Position[] = [];
    for (const p of [[179.5, -16], [-179.5, -16], [-179.5, -17], [179.5, -17]] as Position[]) v = addVertex(v, p);
    expect(v.map((p) => p[0])).toEqual([179.5, 180.5, 180.5, 179.5]);
    expect(polygonProblem(v)).toBeNull();
    const area = toApiArea({kind: 'polygon', vertices: v, closed: true});
    expect(area).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [179.5, -16],
          [180.5, -16],
          [180.5, -17],
          [179.5, -17],
          [179.5, -16],
        ],
      ],
    });
    // A vertex dragged across ±180 stays on the side of its neighbours.
    expect(moveVertex(v, 2, [-179, -17.2])[2]).toEqual([181, -17.2]);
    // A world copy's longitude (MapLibre reports 540.5 three turns on) comes back near ±180.
    expect(unwrap([[539.5, 0]])[0][0]).toBeCloseTo(179.5, 9);
    expect(wrap(-180)).toBe(-180);
    expect(wrap(180)).toBe(180);
  });

  it('finds crossing edges and says why a polygon cannot be saved', () => {
    const bowtie: Position[] = [
      [0, 0],
      [1, 1],
      [1, 0],
      [0, 1],
    ];
    expect(selfIntersects(bowtie)).toBe(true);
    expect(selfIntersects(square)).toBe(false);
    expect(polygonProblem(bowtie)).toMatch(/cross/);
    expect(polygonProblem(square.slice(0, 2))).toMatch(/three/);
    expect(polygonProblem([[0, 0], [170, 0], [-170, 1], [0, 1]])).toMatch(/half the globe/);
    expect(toApiArea({kind: 'polygon', vertices: bowtie, closed: true})).toBeNull();
    expect(toApiArea({kind: 'polygon', vertices: square, closed: false})).toBeNull();
  });

  it('closes the ring for the API and reads a saved one back open', () => {
    expect(closedRing(square)).toEqual([...square, square[0]]);
    const area = toApiArea({kind: 'polygon', vertices: square, closed: true});
    expect(fromApiArea(area!)).toEqual({kind: 'polygon', vertices: square, closed: true});
    expect(fromApiArea({center: PARIS, radius_m: 3000})).toEqual({kind: 'circle', center: PARIS, radius_m: 3000});
    expect(fromApiArea({type: 'Point'})).toBeNull();
  });

  it('draws an open polygon as a line and a closed one filled', () => {
    expect(outline({kind: 'polygon', vertices: square.slice(0, 2), closed: false})).toEqual({ring: square.slice(0, 2), filled: false});
    const closed = outline({kind: 'polygon', vertices: square, closed: true});
    expect(closed.filled).toBe(true);
    expect(closed.ring).toHaveLength(5);
  });
});

describe('filters', () => {
  const blank = {name: '', categories: [], price: '', days: [], timeFrom: '', timeTo: ''};

  it('sends every filter, null when not set', () => {
    expect(filterBody(blank)).toEqual({name: '', categories: null, price_max: null, days: null, time_from: null, time_to: null});
  });

  it('turns the form into minor units, ISO weekdays and minutes of the day', () => {
    const body = filterBody({name: ' Jazz ', categories: ['music', 'music'], price: '12,50', days: [7, 6, 6], timeFrom: '18:00', timeTo: '01:30'});
    expect(body).toEqual({name: 'Jazz', categories: ['music'], price_max: 1250, days: [6, 7], time_from: 1080, time_to: 90});
    expect(filterFields(body)).toEqual({name: 'Jazz', categories: ['music'], price: '12.5', days: [6, 7], timeFrom: '18:00', timeTo: '01:30'});
  });

  it('treats every day as no day filter, and refuses half a time window or a negative price', () => {
    expect(filterBody({...blank, days: [1, 2, 3, 4, 5, 6, 7]}).days).toBeNull();
    expect(() => filterBody({...blank, timeFrom: '18:00'})).toThrow(/both times/);
    expect(() => filterBody({...blank, price: '-1'})).toThrow(/at least 0/);
    expect(filterBody({...blank, timeFrom: '00:00', timeTo: '24:00'})).toMatchObject({time_from: 0, time_to: 1440});
  });
});
