/**
 * The live map's feed: one Server-Sent Events stream (`GET /api/v1/live?bbox=`) for the view, opened
 * again only when the view leaves the box it asked for (the box is grown and snapped outward, so
 * small pans keep the stream). The browser's EventSource reconnects on its own after a dropped
 * connection and sends `Last-Event-ID`, so nothing said meanwhile is lost.
 */
import type {Bounds} from './geo';

export interface LivePoint {
  lat: number;
  lon: number;
}

export interface LiveChange {
  event_id: string;
  kind:
    | 'created'
    | 'moved'
    | 'rescheduled'
    | 'cancelled'
    | 'removed'
    | 'sold_out'
    | 'available'
    | 'few_left'
    | 'capacity'
    | 'updated';
  aspects: string[];
  before: LivePoint | null;
  after: LivePoint | null;
}

/** Grid the asked-for box snaps to (degrees), and the widest view that gets live updates. */
const SNAP_DEG = 0.25;
const MAX_AREA_DEG2 = 40;

const snapDown = (v: number) => Math.floor(v / SNAP_DEG) * SNAP_DEG;
const snapUp = (v: number) => Math.ceil(v / SNAP_DEG) * SNAP_DEG;
const clampLon = (v: number) => Math.max(-180, Math.min(180, v));
const clampLat = (v: number) => Math.max(-90, Math.min(90, v));
const text = (v: number) => String(Number(v.toFixed(4)));

/** The box to stream for a view (`west,south,east,north`), or null when the view is too wide. */
export function liveBbox(b: Bounds): string | null {
  const width = b.east >= b.west ? b.east - b.west : 360 - b.west + b.east;
  if (width * (b.north - b.south) > MAX_AREA_DEG2) return null;
  const west = clampLon(snapDown(b.west));
  const east = clampLon(snapUp(b.east));
  return [west, clampLat(snapDown(b.south)), east, clampLat(snapUp(b.north))].map(text).join(',');
}

/** Whether the streamed box still holds the view (then no new stream is needed). */
export function holds(bbox: string, b: Bounds): boolean {
  const [west, south, east, north] = bbox.split(',').map(Number);
  const inLon = (lon: number) => (west <= east ? lon >= west && lon <= east : lon >= west || lon <= east);
  return b.south >= south && b.north <= north && inLon(b.west) && inLon(b.east);
}

/** The Web Mercator tile (x, y) holding a point at zoom `z`. */
export function tileOf(point: LivePoint, z: number): {x: number; y: number; z: number} {
  const n = 2 ** z;
  const lat = Math.max(-85.0511, Math.min(85.0511, point.lat));
  const x = Math.min(n - 1, Math.floor(((point.lon + 180) / 360) * n));
  const rad = (lat * Math.PI) / 180;
  const y = Math.min(n - 1, Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n));
  return {x, y, z};
}

type Source = Pick<EventSource, 'close' | 'addEventListener'>;

export class LiveFeed {
  private source: Source | null = null;
  private bbox: string | null = null;

  constructor(
    private readonly onChange: (change: LiveChange) => void,
    private readonly open: (url: string) => Source = (url) => new EventSource(url),
  ) {}

  /** Stream changes for this view (a no-op while the current stream's box still holds it). */
  watch(view: Bounds): void {
    if (this.bbox !== null && holds(this.bbox, view)) return;
    const bbox = liveBbox(view);
    if (bbox === this.bbox) return;
    this.close();
    this.bbox = bbox;
    if (bbox === null) return;
    const source = this.open(`/api/v1/live?bbox=${bbox}`);
    source.addEventListener('change', (event) => {
      try {
        this.onChange(JSON.parse((event as MessageEvent<string>).data) as LiveChange);
      } catch {
        // A message this version does not understand: the next tile load shows the truth anyway.
      }
    });
    this.source = source;
  }

  get streaming(): string | null {
    return this.bbox;
  }

  close(): void {
    this.source?.close();
    this.source = null;
    this.bbox = null;
  }
}
