// Writes dist/basemap/protomaps-layers.json: the Protomaps basemap layers (npm @protomaps/basemaps,
// "light" flavour) for a source named `protomaps`, without label layers: those need glyph files,
// while our place labels are drawn with the browser's fonts. The API builds the street map's style
// from this list when .pmtiles extracts are configured (app/web/streets.py).
import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {layers, namedFlavor} from '@protomaps/basemaps';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'basemap', 'protomaps-layers.json');
// No `lang` option: @protomaps/basemaps then leaves out every label layer.
const list = layers('protomaps', namedFlavor('light'));
const symbols = list.filter((layer) => layer.type === 'symbol');
if (symbols.length) throw new Error(`label layers would need glyphs: ${symbols.map((l) => l.id).join(', ')}`);
mkdirSync(dirname(out), {recursive: true});
writeFileSync(out, JSON.stringify(list));
console.log(`street map: ${list.length} Protomaps layers, no labels`);
