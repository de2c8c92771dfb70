import {describe, expect, it} from 'vitest';
import {holds, LiveFeed, liveBbox, tileOf, type LiveChange} from './live';

const PARIS = {west: 2.25, south: 48.81, east: 2.42, north: 48.9};

describe('liveBbox', () => {
  it('snaps the view outward to a quarter degree', () => {
    expect(liveBbox(PARIS)).toBe('2.25,48.75,2.5,49');
  });
  it('keeps a view across the antimeridian as west > east', () => {
    expect(liveBbox({west: 179.9, south: -17.2, east: -179.8, north: -16.9})).toBe('179.75,-17.25,-179.75,-16.75');
  });
  it('gives nothing for a continental view', () => {
    expect(liveBbox({west: -10, south: 35, east: 30, north: 60})).toBeNull();
  });
});

describe('holds', () => {
  it('says whether a streamed box still holds the view', () => {
    expect(holds('2.25,48.75,2.5,49', PARIS)).toBe(true);
    expect(holds('2.25,48.75,2.5,49', {...PARIS, east: 2.6})).toBe(false);
    expect(holds('179.75,-17.25,-179.75,-16.75', {west: 179.8, south: -17, east: -179.9, north: -16.8})).toBe(true);
  });
});

describe('tileOf', () => {
  it('finds the tile of a point', () => {
    expect(tileOf({lat: 48.8566, lon: 2.3522}, 12)).toEqual({x: 2074, y: 1409, z: 12}) // as tiles.grid.tile_of says;
    expect(tileOf({lat: 0, lon: 0}, 0)).toEqual({x: 0, y: 0, z: 0});
  });
});

class FakeSource {
  closed = false;
  listeners: ((event: MessageEvent<string>) => void)[] = [];
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true;
  }
  addEventListener(_type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.push(listener);
  }
  emit(data: unknown): void {
    for (const listener of this.listeners) listener({data: JSON.stringify(data)} as MessageEvent<string>);
  }
}

describe('LiveFeed', () => {
  it('resubscribes only when the view leaves the streamed box, and hands over changes', () => {
    const opened: FakeSource[] = [];
    const heard: LiveChange[] = [];
    const feed = new LiveFeed((change) => heard.push(change), (url) => {
      const source = new FakeSource(url);
      opened.push(source);
      return source as unknown as EventSource;
    });
    feed.watch(PARIS);
    feed.watch({...PARIS, west: 2.3, east: 2.45}); // a small pan: same stream
    expect(opened).toHaveLength(1);
    expect(opened[0].url).toContain('/api/v1/live?bbox=2.25,48.75,2.5,49');
    opened[0].emit({event_id: 'e1', kind: 'created', aspects: ['published'], before: null, after: {lat: 48.86, lon: 2.35}});
    expect(heard.map((c) => c.kind)).toEqual(['created']);
    feed.watch({west: 4.8, south: 45.7, east: 4.9, north: 45.8}); // Lyon
    expect(opened).toHaveLength(2);
    expect(opened[0].closed).toBe(true);
    feed.watch({west: -10, south: 35, east: 30, north: 60}); // zoomed out: no stream
    expect(opened[1].closed).toBe(true);
    expect(feed.streaming).toBeNull();
  });
});
