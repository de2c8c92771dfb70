// Builds the offline basemap from Natural Earth 1:50m (npm package `world-atlas`, public domain) into
// vector tiles, dist/basemap/tiles/{z}/{x}/{y}.pbf for zooms 0-6, with three layers:
//   land (polygons), coastline and borders (lines), countries (label points: name, rank).
// Beyond zoom 6 MapLibre overzooms these tiles: the source has no more detail to give.
// Tiles with nothing in them (open ocean) are not written; the API answers 204 for them.
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {GeoJSONVT} from '@maplibre/geojson-vt';
import {fromGeojsonVt} from '@maplibre/vt-pbf';
import {feature, mesh} from 'topojson-client';

const MAX_ZOOM = 6;
const EXTENT = 4096;

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'basemap', 'tiles');
const require = createRequire(import.meta.url);
const atlas = (name) => JSON.parse(readFileSync(require.resolve(`world-atlas/${name}`), 'utf8'));

/** Area and centroid of a ring (planar, in degrees: good enough to place a label). */
function ringCentroid(ring) {
  let area = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [x0, y0] = ring[j];
    const [x1, y1] = ring[i];
    const cross = x0 * y1 - x1 * y0;
    area += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  area /= 2;
  return area === 0 ? {area: 0, point: ring[0]} : {area: Math.abs(area), point: [cx / (6 * area), cy / (6 * area)]};
}

/** A label point for a country: the centroid of its largest polygon, ranked by that area. */
function labelPoint(geometry) {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let best = {area: -1, point: [0, 0]};
  for (const polygon of polygons) {
    const c = ringCentroid(polygon[0]);
    if (c.area > best.area) best = c;
  }
  return best;
}

/**
 * world-atlas is made for spherical renderers (d3-geo): an edge that crosses 180° simply jumps from
 * +179 to -179, which a flat map draws as a stripe around the world. Make every line continuous
 * instead (longitudes may pass ±180; the tiler wraps them), and close a ring that goes all the way
 * round (Antarctica) through its pole.
 */
function continuous(coords) {
  const out = [coords[0].slice()];
  for (let i = 1; i < coords.length; i++) {
    let [lon, lat] = coords[i];
    const previous = out[i - 1][0];
    while (lon - previous > 180) lon -= 360;
    while (lon - previous < -180) lon += 360;
    out.push([lon, lat]);
  }
  return out;
}

function continuousRing(ring) {
  const out = continuous(ring);
  const first = out[0];
  const last = out[out.length - 1];
  if (Math.abs(last[0] - first[0]) > 180) {
    const pole = first[1] < 0 ? -90 : 90;
    out.push([last[0], pole], [first[0], pole], first.slice());
  }
  return out;
}

function continuousGeometry(geometry) {
  switch (geometry.type) {
    case 'Polygon':
      return {...geometry, coordinates: geometry.coordinates.map(continuousRing)};
    case 'MultiPolygon':
      return {...geometry, coordinates: geometry.coordinates.map((polygon) => polygon.map(continuousRing))};
    case 'LineString':
      return {...geometry, coordinates: continuous(geometry.coordinates)};
    case 'MultiLineString':
      return {...geometry, coordinates: geometry.coordinates.map(continuous)};
    default:
      return geometry;
  }
}

function layers() {
  const countries = atlas('countries-50m.json');
  const land = atlas('land-50m.json');
  const labels = feature(countries, countries.objects.countries)
    .features.filter((f) => f.geometry && f.properties?.name)
    .map((f) => {
      const {area, point} = labelPoint(f.geometry);
      // rank 0 = large countries (labelled from zoom 1), 2 = small ones (from zoom 3).
      const rank = area > 150 ? 0 : area > 15 ? 1 : 2;
      return {type: 'Feature', properties: {name: f.properties.name, rank}, geometry: {type: 'Point', coordinates: point}};
    });
  const landFeature = feature(land, land.objects.land);
  const landFeatures = landFeature.type === 'FeatureCollection' ? landFeature.features : [landFeature];
  const line = (geometry) => ({type: 'Feature', properties: {}, geometry: continuousGeometry(geometry)});
  return {
    land: {type: 'FeatureCollection', features: landFeatures.map((f) => ({...f, geometry: continuousGeometry(f.geometry)}))},
    // Coastlines as lines of their own: outlining the land polygons would also draw the edges
    // where tiles cut them.
    coastline: line(mesh(land, land.objects.land)),
    borders: line(mesh(countries, countries.objects.countries, (a, b) => a !== b)),
    countries: {type: 'FeatureCollection', features: labels},
  };
}

const options = {maxZoom: MAX_ZOOM, indexMaxZoom: MAX_ZOOM, indexMaxPoints: 0, extent: EXTENT, buffer: 64, tolerance: 3};
const indexes = Object.entries(layers()).map(([name, data]) => [name, new GeoJSONVT(data, options)]);

rmSync(out, {recursive: true, force: true});
let count = 0;
let bytes = 0;
for (let z = 0; z <= MAX_ZOOM; z++) {
  for (let x = 0; x < 2 ** z; x++) {
    for (let y = 0; y < 2 ** z; y++) {
      const tile = {};
      for (const [name, index] of indexes) {
        const t = index.getTile(z, x, y);
        if (t && t.features.length) tile[name] = t;
      }
      if (!Object.keys(tile).length) continue;
      const pbf = fromGeojsonVt(tile, {version: 2, extent: EXTENT});
      mkdirSync(join(out, String(z), String(x)), {recursive: true});
      writeFileSync(join(out, String(z), String(x), `${y}.pbf`), pbf);
      count++;
      bytes += pbf.length;
    }
  }
}
console.log(`basemap: ${count} vector tiles, zoom 0-${MAX_ZOOM}, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
