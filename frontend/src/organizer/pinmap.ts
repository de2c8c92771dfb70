/**
 * A small map with one pin: a click (or tap) puts it there, it can be dragged, and `set` moves it
 * (from an address search or typed coordinates). Same offline basemap as the big map; MapLibre is
 * the chunk the map already loaded.
 */
import {type Map as MapLibreMap, Marker} from 'maplibre-gl';
import {pageMap} from '../map/pagemap';

export interface LatLon {
  lat: number;
  lon: number;
}

export class PinMap {
  readonly map: MapLibreMap;
  private marker: Marker | null = null;
  private readonly removeMap: () => void;

  constructor(
    container: HTMLElement,
    center: LatLon,
    zoom: number,
    /** The pin was put or dropped by hand (not by `set`). */
    private readonly onPin: (point: LatLon) => void,
  ) {
    ({map: this.map, remove: this.removeMap} = pageMap(container, center, zoom, {cooperativeGestures: false}));
    this.map.on('click', (e) => {
      const point = {lat: e.lngLat.lat, lon: e.lngLat.lng};
      this.place(point);
      this.onPin(point);
    });
    // The map is a mouse and touch convenience: the fields beside it say the same, for keyboards.
    container.setAttribute('role', 'application');
    container.setAttribute('aria-label', 'Map: click or tap to put the venue’s pin, drag the pin to move it');
  }

  get pin(): LatLon | null {
    const at = this.marker?.getLngLat();
    return at ? {lat: at.lat, lon: at.lng} : null;
  }

  /** Move the pin (and the map to it). */
  set(point: LatLon, zoom?: number): void {
    this.place(point);
    this.map.easeTo({center: [point.lon, point.lat], zoom: zoom ?? Math.max(this.map.getZoom(), 15), duration: 300});
  }

  private place(point: LatLon): void {
    if (!this.marker) {
      const el = document.createElement('div');
      el.className = 'venue-pin';
      el.setAttribute('aria-hidden', 'true');
      this.marker = new Marker({element: el, draggable: true, anchor: 'bottom'}).setLngLat([point.lon, point.lat]).addTo(this.map);
      this.marker.on('dragend', () => {
        const at = this.marker!.getLngLat();
        this.onPin({lat: at.lat, lon: at.lng});
      });
    } else this.marker.setLngLat([point.lon, point.lat]);
  }

  center(): LatLon {
    const c = this.map.getCenter();
    return {lat: c.lat, lon: c.lng};
  }

  remove(): void {
    this.removeMap();
  }
}
