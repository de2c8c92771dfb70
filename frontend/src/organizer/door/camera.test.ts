import {expect, it} from 'vitest';
import {prepareZXingModule} from 'zxing-wasm/reader';
// A ticket's QR code as the server draws it (segno, error level M, not raised, scale 4, border 2).
import qrPng from './ticket-qr.test.png?inline';
import {zxingRead} from './camera';
import {parseCode} from './ticketcode';

const bytes = (dataUrl: string) => Uint8Array.from(atob(dataUrl.slice(dataUrl.indexOf(',') + 1)), (c) => c.charCodeAt(0));
// The package's own .wasm, read from disk: left to itself the module would fetch it from a CDN (in the
// browser the scanner points it at our /assets).
const fs = (globalThis as unknown as {process: {getBuiltinModule(name: 'fs'): {readFileSync(path: URL): Uint8Array}}}).process.getBuiltinModule('fs');
const WASM = new URL('../../../node_modules/zxing-wasm/dist/reader/zxing_reader.wasm', import.meta.url);

it('the fallback decoder reads a ticket’s QR code back to its code', async () => {
  await prepareZXingModule({overrides: {wasmBinary: fs.readFileSync(WASM).slice().buffer}, fireImmediately: true});
  const [text] = await zxingRead(bytes(qrPng));
  expect(parseCode(text)?.ticketId).toBe('11111111-2222-4333-8444-555555555555');
});
