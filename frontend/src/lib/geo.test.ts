import {describe, expect, it} from 'vitest';
import {coveringRadiusM, haversineM, normalizeBounds, wrapLon} from './geo';

describe('viewport geometry', () => {
  it('wraps longitudes', () => {
    expect(wrapLon(190)).toBe(-170);
    expect(wrapLon(-190)).toBe(170);
    expect(wrapLon(180)).toBe(180);
  });

  it('gives west > east across the antimeridian', () => {
    expect(normalizeBounds({west: 170, south: -20, east: 190, north: -10})).toEqual({west: 170, south: -20, east: -170, north: -10});
  });

  it('clamps a world-wide view', () => {
    expect(normalizeBounds({west: -300, south: -95, east: 300, north: 95})).toEqual({west: -180, south: -90, east: 180, north: 90});
  });

  it('measures distances', () => {
    expect(haversineM({lat: 48.8566, lon: 2.3522}, {lat: 51.5074, lon: -0.1278}) / 1000).toBeCloseTo(343.5, 0);
    expect(coveringRadiusM({lat: 0, lon: 0}, {west: -1, south: -1, east: 1, north: 1})).toBeCloseTo(157_249, -2);
  });
});
