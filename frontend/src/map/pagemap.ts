/**
 * A small map inside a page (the organizer's venue pin, the geofence editor): the offline basemap,
 * zoom buttons, and a size that follows its box (it is built before the page puts it in the document).
 * MapLibre is the chunk the big map already loaded.
 */
import {Map as MapLibreMap, type MapOptions, NavigationControl, setWorkerUrl} from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';

setWorkerUrl(workerUrl);

export interface PageMap {
  map: MapLibreMap;
  /** Stop following the box and remove the map. */
  remove: () => void;
}

export function pageMap(container: HTMLElement, center: {lat: number; lon: number}, zoom: number, options: Partial<MapOptions> = {}): PageMap {
  const map = new MapLibreMap({
    container,
    style: `${location.origin}/basemap/style.json`,
    center: [center.lon, center.lat],
    zoom,
    attributionControl: {compact: true},
    ...options,
  });
  const resizer = new ResizeObserver(() => map.resize());
  resizer.observe(container);
  map.addControl(new NavigationControl({showCompass: false}), 'top-right');
  return {
    map,
    remove: () => {
      resizer.disconnect();
      map.remove();
    },
  };
}
