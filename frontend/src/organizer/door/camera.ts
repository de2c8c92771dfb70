/**
 * The phone's camera reading QR codes: the browser's own `BarcodeDetector` where it has one (Chrome
 * on Android, Safari), otherwise zxing-wasm — zxing-cpp compiled to WebAssembly, the decoder the
 * server's tests read tickets with, maintained and released often. Its reader and its .wasm file are
 * loaded only when the camera starts on a browser without a detector, from our own `/assets/` (no
 * CDN: the door must work on a venue's bad network).
 */

export type Stop = () => void;

interface Detector {
  detect(source: HTMLVideoElement): Promise<{rawValue: string}[]>;
}

async function nativeDetector(): Promise<Detector | null> {
  const ctor = (globalThis as {BarcodeDetector?: {new (o: {formats: string[]}): Detector; getSupportedFormats(): Promise<string[]>}}).BarcodeDetector;
  if (!ctor) return null;
  try {
    return (await ctor.getSupportedFormats()).includes('qr_code') ? new ctor({formats: ['qr_code']}) : null;
  } catch {
    return null;
  }
}

/** The texts of the valid QR codes zxing-wasm finds in an image (its pixels, or an image file's bytes). */
export async function zxingRead(input: ImageData | Uint8Array): Promise<string[]> {
  const {readBarcodes} = await import('zxing-wasm/reader');
  const found = await readBarcodes(input, {formats: ['QRCode'], maxNumberOfSymbols: 1});
  return found.filter((r) => r.isValid).map((r) => r.text);
}

async function wasmDetector(): Promise<Detector> {
  const [{prepareZXingModule}, {default: wasmUrl}] = await Promise.all([import('zxing-wasm/reader'), import('zxing-wasm/reader/zxing_reader.wasm?url')]);
  prepareZXingModule({overrides: {locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path)}});
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', {willReadFrequently: true});
  return {
    async detect(video) {
      if (!context || !video.videoWidth) return [];
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      return (await zxingRead(context.getImageData(0, 0, canvas.width, canvas.height))).map((rawValue) => ({rawValue}));
    },
  };
}

/** Start the back camera in `video` and call `onCode` for each code read (the same code again only
 * after `repeatMs`). Resolves to a function that stops the camera. */
export async function startCamera(video: HTMLVideoElement, onCode: (text: string) => void, repeatMs = 3000): Promise<Stop> {
  const stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}, audio: false});
  video.srcObject = stream;
  video.setAttribute('playsinline', '');
  video.muted = true;
  await video.play();
  let detector: Detector;
  try {
    detector = (await nativeDetector()) ?? (await wasmDetector());
  } catch (error) {
    for (const track of stream.getTracks()) track.stop();
    throw error;
  }
  let running = true;
  let last = '';
  let lastAt = 0;
  const tick = async () => {
    if (!running) return;
    try {
      for (const {rawValue} of await detector.detect(video)) {
        const now = Date.now();
        if (rawValue !== last || now - lastAt > repeatMs) onCode(rawValue);
        last = rawValue;
        lastAt = now;
      }
    } catch {
      // A frame that could not be read: the next one will do.
    }
    if (running) setTimeout(() => void tick(), 200);
  };
  void tick();
  return () => {
    running = false;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
}
