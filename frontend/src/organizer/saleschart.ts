/**
 * The sales-over-time chart: tickets per bucket (hour or day of the event's time zone) as bars, and
 * the running total as a line, drawn as SVG by hand (a dozen shapes; no charting library needed).
 * `chartModel` is the pure part (scales, bars, ticks, labels); `salesChart` draws it.
 */

export interface SalesBucket {
  start: string;
  tickets: number;
  revenue: Record<string, number>;
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  tickets: number;
  label: string;
}

export interface ChartModel {
  width: number;
  height: number;
  bars: Bar[];
  /** Running total of tickets, one point per bucket (at the bar's middle), on the right-hand scale. */
  total: {x: number; y: number}[];
  ticks: {y: number; value: number}[];
  maxTotal: number;
  /** At most `maxLabels` labels along the bottom, evenly spaced. */
  labels: {x: number; text: string}[];
}

export const PAD = {top: 12, right: 40, bottom: 28, left: 36};
/** A few buckets make bars no wider than this (a single day is not a wall of colour). */
export const MAX_BAR = 48;

/** A round upper bound for an axis (1, 2, 5 × 10ⁿ), at least 1. */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** The label of a bucket's start in the event's time zone: `14:00` for hours, `Mar 14` for days. */
export function bucketLabel(start: string, bucket: 'hour' | 'day', timeZone: string, locale = 'en-GB'): string {
  const options: Intl.DateTimeFormatOptions = bucket === 'hour' ? {hour: '2-digit', minute: '2-digit', hourCycle: 'h23'} : {month: 'short', day: 'numeric'};
  return new Intl.DateTimeFormat(locale, {...options, timeZone}).format(new Date(start));
}

export function chartModel(buckets: SalesBucket[], bucket: 'hour' | 'day', timeZone: string, width = 640, height = 220, maxLabels = 6): ChartModel {
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const top = niceMax(Math.max(0, ...buckets.map((b) => b.tickets)));
  let running = 0;
  const totals = buckets.map((b) => (running += b.tickets));
  const maxTotal = niceMax(running);
  const slot = buckets.length ? innerW / buckets.length : innerW;
  const bars = buckets.map((b, i) => {
    const h = (b.tickets / top) * innerH;
    const w = Math.min(slot * 0.8, MAX_BAR);
    return {x: PAD.left + (i + 0.5) * slot - w / 2, y: PAD.top + innerH - h, width: w, height: h, tickets: b.tickets, label: bucketLabel(b.start, bucket, timeZone)};
  });
  const total = totals.map((t, i) => ({x: PAD.left + (i + 0.5) * slot, y: PAD.top + innerH - (t / maxTotal) * innerH}));
  const ticks = [0, top / 2, top].filter(Number.isInteger).map((v) => ({y: PAD.top + innerH - (v / top) * innerH, value: v}));
  const every = Math.max(1, Math.ceil(buckets.length / maxLabels));
  const labels = bars.filter((_, i) => i % every === 0).map((b) => ({x: b.x + b.width / 2, text: b.label}));
  return {width, height, bars, total, ticks, maxTotal, labels};
}

const SVG = 'http://www.w3.org/2000/svg';

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The chart as an SVG element, described for screen readers (a table of the same figures sits beside it). */
export function salesChart(buckets: SalesBucket[], bucket: 'hour' | 'day', timeZone: string): SVGElement {
  const m = chartModel(buckets, bucket, timeZone);
  const sold = buckets.reduce((n, b) => n + b.tickets, 0);
  const svg = el('svg', {viewBox: `0 0 ${m.width} ${m.height}`, class: 'sales-chart', role: 'img', 'aria-label': `Tickets per ${bucket}: ${sold} in all over ${buckets.length} ${bucket}s`});
  const innerBottom = m.height - PAD.bottom;
  for (const t of m.ticks) {
    svg.append(el('line', {x1: PAD.left, x2: m.width - PAD.right, y1: t.y, y2: t.y, class: 'grid'}));
    svg.append(el('text', {x: PAD.left - 6, y: t.y + 4, 'text-anchor': 'end', class: 'tick'}, String(t.value)));
  }
  for (const b of m.bars) {
    const bar = el('rect', {x: b.x, y: b.y, width: b.width, height: Math.max(b.height, 0), class: 'bar'});
    bar.append(el('title', {}, `${b.label}: ${b.tickets} ticket${b.tickets === 1 ? '' : 's'}`));
    svg.append(bar);
  }
  if (m.total.length) {
    svg.append(el('polyline', {points: m.total.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' '), class: 'total'}));
    svg.append(el('text', {x: m.width - PAD.right + 4, y: PAD.top + 4, class: 'tick'}, String(m.maxTotal)));
  }
  for (const l of m.labels) svg.append(el('text', {x: l.x, y: innerBottom + 18, 'text-anchor': 'middle', class: 'tick'}, l.text));
  return svg;
}
