// Writes a .gz beside every compressible file in dist/, so the API can send it as-is
// (Content-Encoding: gzip) without compressing on each request.
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {dirname, extname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.html', '.json', '.geojson', '.svg', '.pbf', '.wasm']);

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let raw = 0;
let packed = 0;
for (const path of files(dist)) {
  if (!COMPRESSIBLE.has(extname(path))) continue;
  const data = readFileSync(path);
  if (data.length < 1024) continue;
  const gz = gzipSync(data, {level: 9});
  writeFileSync(`${path}.gz`, gz);
  raw += data.length;
  packed += gz.length;
}
console.log(`precompress: ${(raw / 1024).toFixed(0)} KiB -> ${(packed / 1024).toFixed(0)} KiB gzip`);
