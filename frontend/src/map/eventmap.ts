/**
 * The MapLibre map: basemap style from our server, events from the TileJSON the server describes.
 * The map never builds a tile URL; changing filters points the source at a new TileJSON URL.
 */
import {
  addProtocol,
  AttributionControl,
  type GeoJSONSource,
  type MapGeoJSONFeature,
  Map as MapLibreMap,
  type MapLayerMouseEvent,
  NavigationControl,
  Popup,
  ScaleControl,
  setWorkerUrl,
  type VectorTileSource,
} from 'maplibre-gl';
import type {FeatureCollection} from 'geojson';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import type {Bounds} from '../lib/geo';
import {type LivePoint, tileOf} from '../lib/live';
import type {MapView} from '../lib/urlstate';
import {EVENTS_SOURCE, eventLayers, HIGHLIGHT_SOURCE, LAYER, ME_SOURCE} from './layers';

setWorkerUrl(workerUrl);

/**
 * Street map extracts (`pmtiles://` sources in the server's style) are read by byte ranges with the
 * `pmtiles` package; it is loaded only when a style asks for one, so the plain map does not pay for it.
 */
let streets: Promise<import('pmtiles').Protocol> | null = null;
addProtocol('pmtiles', async (params, abort) => {
  streets ??= import('pmtiles').then(
    ({Protocol}) => new Protocol(),
    (error: unknown) => {
      streets = null; // try again with the next tile
      throw error;
    },
  );
  return (await streets).tile(params, abort);
});

/** What a vector tile says about one event (see the tile contract). */
export interface TileEvent {
  id: string;
  title: string;
  category: string;
  starts_at: string;
  timezone: string;
  is_free: boolean;
  price_min: number | null;
  currency: string | null;
  popularity: number;
  lon: number;
  lat: number;
}

export interface EventMapOptions {
  container: HTMLElement;
  view: MapView;
  styleUrl: string;
  /** Used when `styleUrl` cannot be loaded (an external style without network). */
  fallbackStyleUrl: string;
  tilesUrl: string;
  popupContent: (event: TileEvent) => Node;
  onMoveEnd: (view: MapView, bounds: Bounds) => void;
  onEventClick: (event: TileEvent) => void;
  onEventHover: (id: string | null) => void;
  onError: (message: string, key: string) => void;
  onBusy: (busy: boolean) => void;
}

const EMPTY: FeatureCollection = {type: 'FeatureCollection', features: []};

function pointCollection(point: {lon: number; lat: number} | null): FeatureCollection {
  if (!point) return EMPTY;
  return {
    type: 'FeatureCollection',
    features: [{type: 'Feature', properties: {}, geometry: {type: 'Point', coordinates: [point.lon, point.lat]}}],
  };
}

function tileEvent(feature: MapGeoJSONFeature): TileEvent | null {
  const p = feature.properties ?? {};
  if (feature.geometry.type !== 'Point' || p.id === undefined) return null;
  const [lon, lat] = feature.geometry.coordinates;
  return {
    id: String(p.id),
    title: String(p.title ?? ''),
    category: String(p.category ?? ''),
    starts_at: String(p.starts_at ?? ''),
    timezone: String(p.timezone ?? 'UTC'),
    is_free: p.is_free === true || p.is_free === 'true',
    price_min: typeof p.price_min === 'number' ? p.price_min : null,
    currency: typeof p.currency === 'string' ? p.currency : null,
    popularity: Number(p.popularity ?? 0),
    lon,
    lat,
  };
}

export class EventMap {
  readonly map: MapLibreMap;
  private tilesUrl: string;
  private styleReady = false;
  private triedFallback = false;
  private highlighted: {lon: number; lat: number} | null = null;
  private me: {lon: number; lat: number} | null = null;
  private hoverPopup = new Popup({closeButton: false, closeOnClick: false, offset: 12, maxWidth: '260px', className: 'event-popup'});
  private hoveredId: string | null = null;

  constructor(private readonly opts: EventMapOptions) {
    this.tilesUrl = opts.tilesUrl;
    this.map = new MapLibreMap({
      container: opts.container,
      style: opts.styleUrl,
      center: [opts.view.lon, opts.view.lat],
      zoom: opts.view.zoom,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      cooperativeGestures: false,
      maxPitch: 0,
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.keyboard.enable();
    this.map.addControl(new NavigationControl({showCompass: false}), 'top-right');
    this.map.addControl(new ScaleControl({unit: 'metric'}), 'bottom-left');
    this.map.addControl(new AttributionControl({compact: true}), 'bottom-right');
    this.wire();
  }

  private wire(): void {
    const {map} = this;
    map.on('style.load', () => {
      this.styleReady = true;
      this.addEventLayers();
    });
    map.on('error', (e) => this.onMapError(e as unknown as {error?: Error; sourceId?: string}));
    map.on('moveend', () => this.opts.onMoveEnd(this.view(), this.bounds()));
    map.on('dataloading', () => this.opts.onBusy(true));
    map.on('idle', () => this.opts.onBusy(false));

    map.on('click', LAYER.clusters, (e) => this.zoomIntoCluster(e));
    map.on('click', LAYER.points, (e) => {
      const event = this.firstEvent(e);
      if (event) this.opts.onEventClick(event);
    });
    for (const layer of [LAYER.clusters, LAYER.points]) {
      map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = 'pointer'));
      map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = ''));
    }
    map.on('mousemove', LAYER.points, (e) => {
      const event = this.firstEvent(e);
      if (!event || event.id === this.hoveredId) return;
      this.hoveredId = event.id;
      this.showPopup(event);
      this.opts.onEventHover(event.id);
    });
    map.on('mouseleave', LAYER.points, () => {
      this.hoveredId = null;
      this.hoverPopup.remove();
      this.opts.onEventHover(null);
    });
  }

  private onMapError(e: {error?: Error; sourceId?: string}): void {
    const message = e.error?.message ?? 'unknown error';
    if (!this.styleReady && !e.sourceId && !this.triedFallback) {
      // The configured basemap could not be loaded: fall back to our own offline basemap.
      this.triedFallback = true;
      this.opts.onError('The basemap could not be loaded; showing the built-in offline map instead.', 'basemap');
      this.map.setStyle(this.opts.fallbackStyleUrl);
      return;
    }
    if (e.sourceId === EVENTS_SOURCE) {
      this.opts.onError(`Events could not be loaded on the map (${message}).`, 'tiles');
    } else {
      this.opts.onError(`The map had a problem: ${message}`, 'map');
    }
  }

  private addEventLayers(): void {
    const {map} = this;
    if (!map.getSource(EVENTS_SOURCE)) map.addSource(EVENTS_SOURCE, {type: 'vector', url: this.tilesUrl});
    if (!map.getSource(HIGHLIGHT_SOURCE)) map.addSource(HIGHLIGHT_SOURCE, {type: 'geojson', data: pointCollection(this.highlighted)});
    if (!map.getSource(ME_SOURCE)) map.addSource(ME_SOURCE, {type: 'geojson', data: pointCollection(this.me)});
    for (const layer of eventLayers()) if (!map.getLayer(layer.id)) map.addLayer(layer);
  }

  private firstEvent(e: MapLayerMouseEvent): TileEvent | null {
    const feature = e.features?.[0];
    return feature ? tileEvent(feature) : null;
  }

  private zoomIntoCluster(e: MapLayerMouseEvent): void {
    const feature = e.features?.[0];
    if (!feature || feature.geometry.type !== 'Point') return;
    const current = this.map.getZoom();
    const expansion = Number(feature.properties?.expansion_zoom);
    const zoom = Number.isFinite(expansion) && expansion > current ? expansion : current + 2;
    const [lon, lat] = feature.geometry.coordinates;
    this.map.easeTo({center: [lon, lat], zoom: Math.min(zoom, this.map.getMaxZoom())});
  }

  showPopup(event: TileEvent): void {
    this.hoverPopup.setLngLat([event.lon, event.lat]).setDOMContent(this.opts.popupContent(event)).addTo(this.map);
  }

  hidePopup(): void {
    this.hoverPopup.remove();
  }

  /** Point the events source at the TileJSON for new filters (a no-op when nothing changed). */
  setTilesUrl(url: string): void {
    if (url === this.tilesUrl) return;
    this.tilesUrl = url;
    const source = this.map.getSource(EVENTS_SOURCE) as VectorTileSource | undefined;
    source?.setUrl(url);
  }

  /**
   * Load again the event tiles that show these points at the current zoom (a live change there):
   * each tile is fetched once past the browser's cache (so the copy MapLibre then reads is fresh),
   * then MapLibre reloads just those tiles; markers elsewhere do not flicker.
   */
  async refreshAround(points: LivePoint[]): Promise<void> {
    const source = this.map.getSource(EVENTS_SOURCE) as (VectorTileSource & {tiles?: string[]}) | undefined;
    if (!source || points.length === 0) return;
    const z = Math.max(source.minzoom, Math.min(source.maxzoom, Math.floor(this.map.getZoom())));
    const ids = [...new Map(points.map((p) => tileOf(p, z)).map((t) => [`${t.z}/${t.x}/${t.y}`, t])).values()];
    const template = source.tiles?.[0];
    if (template) {
      const urls = ids.map((t) => template.replace('{z}', String(t.z)).replace('{x}', String(t.x)).replace('{y}', String(t.y)));
      await Promise.all(urls.map((url) => fetch(url, {cache: 'reload'}).catch(() => undefined)));
    }
    this.map.refreshTiles(EVENTS_SOURCE, ids);
  }

  get currentTilesUrl(): string {
    return this.tilesUrl;
  }

  highlight(point: {lon: number; lat: number} | null): void {
    this.highlighted = point;
    (this.map.getSource(HIGHLIGHT_SOURCE) as GeoJSONSource | undefined)?.setData(pointCollection(point));
  }

  showMe(point: {lon: number; lat: number} | null): void {
    this.me = point;
    (this.map.getSource(ME_SOURCE) as GeoJSONSource | undefined)?.setData(pointCollection(point));
  }

  view(): MapView {
    const c = this.map.getCenter();
    return {lon: c.lng, lat: c.lat, zoom: this.map.getZoom()};
  }

  bounds(): Bounds {
    const b = this.map.getBounds();
    return {west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth()};
  }

  jumpTo(view: MapView): void {
    this.map.jumpTo({center: [view.lon, view.lat], zoom: view.zoom});
  }

  flyTo(point: {lon: number; lat: number}, zoom?: number): void {
    this.map.flyTo({center: [point.lon, point.lat], zoom: zoom ?? Math.max(this.map.getZoom(), 14), maxDuration: 2500, essential: true});
  }

  resize(): void {
    this.map.resize();
  }
}
