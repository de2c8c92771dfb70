// Reports the size of our own JavaScript (everything but the MapLibre chunk and worker), raw and gzip.
import {readdirSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';

const assets = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'assets');
const rows = [];
for (const name of readdirSync(assets)) {
  if (!/\.(m?js|css)$/.test(name)) continue;
  const data = readFileSync(join(assets, name));
  rows.push({name, raw: data.length, gzip: gzipSync(data, {level: 9}).length, maplibre: /maplibre/.test(name)});
}
const sum = (list, key) => list.reduce((n, r) => n + r[key], 0);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const r of rows) console.log(`${r.name.padEnd(44)} ${kib(r.raw).padStart(10)} ${kib(r.gzip).padStart(10)} gzip`);
const ours = rows.filter((r) => !r.maplibre && /\.m?js$/.test(r.name));
console.log(`our JavaScript (without MapLibre): ${kib(sum(ours, 'raw'))} raw, ${kib(sum(ours, 'gzip'))} gzip`);
