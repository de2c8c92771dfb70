import {describe, expect, it} from 'vitest';
import {bucketLabel, chartModel, MAX_BAR, niceMax, PAD} from './saleschart';

const day = (d: number, tickets: number) => ({start: `2030-03-${String(d).padStart(2, '0')}T00:00:00+01:00`, tickets, revenue: {}});

describe('the sales chart', () => {
  it('rounds the scale up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 10, 11, 180, 501].map(niceMax)).toEqual([1, 1, 5, 10, 10, 20, 200, 1000]);
  });

  it('labels buckets in the event’s time zone', () => {
    expect(bucketLabel('2030-03-13T00:00:00+01:00', 'day', 'Europe/Paris')).toBe('13 Mar');
    expect(bucketLabel('2030-03-12T23:00:00Z', 'hour', 'Europe/Paris')).toBe('00:00');
  });

  it('draws one bar per bucket, tallest for the busiest, and a running total that ends at the top', () => {
    const m = chartModel([day(13, 2), day(14, 0), day(15, 4)], 'day', 'Europe/Paris', 340, 140);
    expect(m.bars).toHaveLength(3);
    const bottom = 140 - PAD.bottom;
    expect(m.bars[1].height).toBe(0);
    expect(m.bars[2].y + m.bars[2].height).toBeCloseTo(bottom); // 4 on a scale of 5
    expect(m.bars[2].height).toBeCloseTo(((bottom - PAD.top) * 4) / 5);
    expect(m.bars[0].x).toBeLessThan(m.bars[1].x);
    expect(m.maxTotal).toBe(10);
    expect(m.total.map((p) => p.y)).toEqual([...m.total.map((p) => p.y)].sort((a, b) => b - a));
    expect(m.ticks.map((t) => t.value)).toEqual([0, 5]);
    expect(chartModel([day(13, 10)], 'day', 'UTC').ticks.map((t) => t.value)).toEqual([0, 5, 10]);
  });

  it('keeps at most a handful of labels along the bottom', () => {
    const many = Array.from({length: 30}, (_, i) => day(i + 1, i % 3));
    expect(chartModel(many, 'day', 'UTC').labels.length).toBeLessThanOrEqual(6);
  });

  it('draws nothing for no sales', () => {
    const m = chartModel([], 'day', 'UTC');
    expect(m.bars).toEqual([]);
    expect(m.total).toEqual([]);
  });
});

describe('bar widths', () => {
  it('keeps a lone bar narrow and centred in its slot', () => {
    const [bar] = chartModel([day(13, 1)], 'day', 'UTC', 640, 220).bars;
    expect(bar.width).toBe(MAX_BAR);
    expect(bar.x + bar.width / 2).toBeCloseTo(PAD.left + (640 - PAD.left - PAD.right) / 2);
  });
});
