/**
 * The geofence editor's map: a circle around a picked point (drag the centre, drag the handle on its
 * edge or use the slider beside the map) or a drawn outline (click to add corners, click the first
 * corner or "Finish" to close it, drag corners to move them, the "+" on an edge to add one there,
 * Delete on a selected corner to remove it). Plain MapLibre: a GeoJSON source and three layers for
 * the shapes, DOM markers for the handles (they take pointer, touch and keyboard focus on their own).
 * The shapes' rules are in `lib/geofence`; this file only shows them and turns gestures into edits.
 */
import type {Feature, FeatureCollection} from 'geojson';
import {type GeoJSONSource, type Map as MapLibreMap, Marker} from 'maplibre-gl';
import {pageMap} from '../map/pagemap';
import {
  addVertex,
  bounds,
  clampRadius,
  deleteVertex,
  distanceM,
  moveVertex,
  near,
  outline,
  radiusHandle,
  splitEdge,
  type LatLon,
  type Position,
  type Shape,
} from '../lib/geofence';

const DRAFT = 'geofence-draft';
const SAVED = 'geofence-saved';
export const DEFAULT_RADIUS_M = 2000;

type Mode = 'circle' | 'polygon';

function features(shapes: Shape[]): FeatureCollection {
  const out: Feature[] = [];
  for (const shape of shapes) {
    const {ring, filled} = outline(shape);
    if (ring.length < 2) continue;
    if (filled) out.push({type: 'Feature', properties: {}, geometry: {type: 'Polygon', coordinates: [ring]}});
    else out.push({type: 'Feature', properties: {}, geometry: {type: 'LineString', coordinates: ring}});
  }
  return {type: 'FeatureCollection', features: out};
}

function handle(cls: string, label: string): HTMLButtonElement {
  const el = document.createElement('button');
  el.type = 'button';
  el.className = `geofence-handle ${cls}`;
  el.setAttribute('aria-label', label);
  return el;
}

export class GeofenceMap {
  readonly map: MapLibreMap;
  private mode: Mode = 'polygon';
  private shape: Shape | null = null;
  private saved: Shape[] = [];
  private selected: number | null = null;
  private handles: Marker[] = [];
  private loaded = false;
  private readonly removeMap: () => void;

  constructor(
    container: HTMLElement,
    center: LatLon,
    zoom: number,
    /** The shape changed by hand (null: nothing drawn yet). */
    private readonly onChange: (shape: Shape | null) => void,
  ) {
    // No double-click zoom: a quick second click adds a corner.
    ({map: this.map, remove: this.removeMap} = pageMap(container, center, zoom, {doubleClickZoom: false}));
    this.map.on('load', () => {
      this.map.addSource(SAVED, {type: 'geojson', data: features([])});
      this.map.addSource(DRAFT, {type: 'geojson', data: features([])});
      this.map.addLayer({id: 'geofence-saved-line', type: 'line', source: SAVED, paint: {'line-color': '#64748b', 'line-width': 1.5, 'line-dasharray': [2, 2]}});
      this.map.addLayer({id: 'geofence-fill', type: 'fill', source: DRAFT, filter: ['==', ['geometry-type'], 'Polygon'], paint: {'fill-color': '#4338ca', 'fill-opacity': 0.18}});
      this.map.addLayer({id: 'geofence-line', type: 'line', source: DRAFT, paint: {'line-color': '#312e81', 'line-width': 2.5}});
      this.loaded = true;
      container.dataset.ready = 'true'; // for the end-to-end tests: the shapes' layers exist
      this.draw();
    });
    this.map.on('click', (e) => {
      if ((e.originalEvent.target as Element | null)?.closest?.('.geofence-handle')) return;
      this.clicked([e.lngLat.lng, e.lngLat.lat]);
    });
    container.setAttribute('role', 'application');
    container.setAttribute(
      'aria-label',
      'Map for drawing an area: click to put a circle’s centre or an outline’s corners; corners and handles can be dragged',
    );
  }

  get current(): Shape | null {
    return this.shape;
  }

  get drawing(): Mode {
    return this.mode;
  }

  /** Switch between a circle and an outline; the other kind's shape is dropped. */
  setMode(mode: Mode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.set(null);
    this.onChange(null);
  }

  /** Show a shape (a saved one to edit, or null to start again), and move the map to it. */
  show(shape: Shape | null): void {
    if (shape) this.mode = shape.kind;
    this.set(shape);
    const box = shape && bounds(shape);
    if (box) this.map.fitBounds([box[0], box[1], box[2], box[3]], {padding: 48, duration: 0, maxZoom: 15});
  }

  /** Other saved areas, drawn dashed for reference. */
  showSaved(shapes: Shape[]): void {
    this.saved = shapes;
    this.draw();
  }

  /** The circle's radius from the slider. */
  setRadius(radius: number): void {
    if (this.shape?.kind !== 'circle') return;
    this.set({...this.shape, radius_m: clampRadius(radius)});
    this.onChange(this.shape);
  }

  /** Put the circle's centre at the middle of the map (for keyboards: no pointing needed). */
  centreHere(radius: number): void {
    const c = this.map.getCenter();
    this.set({kind: 'circle', center: {lat: c.lat, lon: c.lng}, radius_m: clampRadius(radius)});
    this.onChange(this.shape);
  }

  /** Close the outline (three corners or more). */
  finish(): boolean {
    if (this.shape?.kind !== 'polygon' || this.shape.vertices.length < 3) return false;
    this.set({...this.shape, closed: true});
    this.onChange(this.shape);
    return true;
  }

  /** Remove the selected corner (or the last one put, while drawing). */
  deleteCorner(): void {
    if (this.shape?.kind !== 'polygon' || !this.shape.vertices.length) return;
    const i = this.selected ?? this.shape.vertices.length - 1;
    const vertices = deleteVertex(this.shape.vertices, i);
    this.selected = null;
    this.set(vertices.length ? {...this.shape, vertices, closed: this.shape.closed && vertices.length >= 3} : null);
    this.onChange(this.shape);
  }

  remove(): void {
    this.removeMap();
  }

  // ---- gestures -----------------------------------------------------------------------------

  private clicked(point: Position): void {
    if (this.mode === 'circle') {
      const radius = this.shape?.kind === 'circle' ? this.shape.radius_m : DEFAULT_RADIUS_M;
      this.set({kind: 'circle', center: {lat: point[1], lon: point[0]}, radius_m: radius});
    } else {
      if (this.shape?.kind === 'polygon' && this.shape.closed) return; // drag corners or start again
      const vertices = this.shape?.kind === 'polygon' ? this.shape.vertices : [];
      this.set({kind: 'polygon', vertices: addVertex(vertices, point), closed: false});
    }
    this.onChange(this.shape);
  }

  private set(shape: Shape | null): void {
    this.shape = shape;
    if (shape?.kind !== 'polygon' || (this.selected !== null && this.selected >= shape.vertices.length)) this.selected = null;
    this.draw();
    this.placeHandles();
  }

  private draw(): void {
    if (!this.loaded) return;
    (this.map.getSource(DRAFT) as GeoJSONSource).setData(features(this.shape ? [this.shape] : []));
    (this.map.getSource(SAVED) as GeoJSONSource).setData(features(this.saved));
  }

  private placeHandles(): void {
    for (const marker of this.handles) marker.remove();
    this.handles = [];
    const shape = this.shape;
    if (!shape) return;
    if (shape.kind === 'circle') this.circleHandles(shape);
    else this.polygonHandles(shape);
  }

  private add(el: HTMLElement, at: Position, draggable: boolean): Marker {
    const marker = new Marker({element: el, draggable}).setLngLat(at).addTo(this.map);
    this.handles.push(marker);
    return marker;
  }

  private circleHandles(shape: Extract<Shape, {kind: 'circle'}>): void {
    const centre = this.add(handle('geofence-centre', 'Centre of the circle (drag to move)'), [shape.center.lon, shape.center.lat], true);
    const edge = radiusHandle(shape.center, shape.radius_m);
    const radius = this.add(handle('geofence-radius', 'Edge of the circle (drag to change the radius)'), [edge.lon, edge.lat], true);
    centre.on('drag', () => {
      const at = centre.getLngLat();
      const moved = {...shape, center: {lat: at.lat, lon: near(at.lng, shape.center.lon)}};
      this.shape = moved;
      const e = radiusHandle(moved.center, moved.radius_m);
      radius.setLngLat([e.lon, e.lat]);
      this.draw();
    });
    radius.on('drag', () => {
      if (this.shape?.kind !== 'circle') return;
      const at = radius.getLngLat();
      this.shape = {...this.shape, radius_m: clampRadius(distanceM(this.shape.center, {lat: at.lat, lon: at.lng}))};
      this.draw();
    });
    for (const marker of [centre, radius]) marker.on('dragend', () => this.committed());
  }

  private polygonHandles(shape: Extract<Shape, {kind: 'polygon'}>): void {
    const n = shape.vertices.length;
    shape.vertices.forEach((vertex, i) => {
      const first = i === 0 && !shape.closed && n >= 3;
      const label = first ? `Corner 1: click to finish the outline` : `Corner ${i + 1} of ${n} (drag to move, Delete to remove)`;
      const el = handle(`geofence-vertex${first ? ' geofence-first' : ''}`, label);
      el.setAttribute('aria-pressed', String(this.selected === i));
      const marker = this.add(el, vertex, true);
      el.addEventListener('click', (e) => {
        e.stopPropagation();
        if (first) {
          this.finish();
          return;
        }
        this.selected = this.selected === i ? null : i;
        for (const [k, m] of this.handles.entries()) m.getElement().setAttribute('aria-pressed', String(k === this.selected));
      });
      el.addEventListener('keydown', (e) => {
        if (e.key !== 'Delete' && e.key !== 'Backspace') return;
        e.preventDefault();
        this.selected = i;
        this.deleteCorner();
      });
      marker.on('drag', () => {
        if (this.shape?.kind !== 'polygon') return;
        const at = marker.getLngLat();
        this.shape = {...this.shape, vertices: moveVertex(this.shape.vertices, i, [at.lng, at.lat])};
        this.draw();
      });
      marker.on('dragend', () => this.committed());
    });
    if (!shape.closed) return;
    // A "+" in the middle of each edge adds a corner there.
    shape.vertices.forEach((a, i) => {
      const b = shape.vertices[(i + 1) % n];
      const middle: Position = [(a[0] + near(b[0], a[0])) / 2, (a[1] + b[1]) / 2];
      const el = handle('geofence-midpoint', `Add a corner between corners ${i + 1} and ${((i + 1) % n) + 1}`);
      el.textContent = '+';
      el.addEventListener('click', (e) => {
        e.stopPropagation();
        if (this.shape?.kind !== 'polygon') return;
        this.selected = i + 1;
        this.set({...this.shape, vertices: splitEdge(this.shape.vertices, i)});
        this.onChange(this.shape);
      });
      this.add(el, middle, false);
    });
  }

  /** A drag ended: redraw the handles where the shape now is, and tell the page. */
  private committed(): void {
    this.set(this.shape);
    this.onChange(this.shape);
  }
}
