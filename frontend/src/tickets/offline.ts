/**
 * The app's files kept for offline use, by the service worker (`/sw.js`): the page, and every file
 * of ours this page has loaded (the map's code, the pages, the tickets view or the door scanner).
 * Asked for when the person's tickets are shown, so that "My tickets" opens at the door without a
 * connection, and when the door scanner has its list, so that it reloads without one.
 */

/** Our own hashed files among `urls` (same origin, under /assets/), and the app's page. */
export function shellFiles(urls: string[], origin: string): string[] {
  const files = new Set<string>(['/']);
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url, origin);
    } catch {
      continue;
    }
    if (parsed.origin === origin && parsed.pathname.startsWith('/assets/')) files.add(parsed.pathname);
  }
  return [...files];
}

/** Register the service worker and have it keep the files this page runs on (for `purpose`). */
export async function keepOffline(purpose: 'tickets' | 'door' = 'tickets'): Promise<void> {
  if (!('serviceWorker' in navigator) || !('caches' in window)) return;
  try {
    await navigator.serviceWorker.register('/sw.js');
    const registration = await navigator.serviceWorker.ready;
    const loaded = [
      ...performance.getEntriesByType('resource').map((e) => e.name),
      ...[...document.querySelectorAll<HTMLScriptElement>('script[src]')].map((s) => s.src),
      ...[...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"], link[rel="modulepreload"]')].map((l) => l.href),
    ];
    registration.active?.postMessage({type: 'keep-offline', purpose, files: shellFiles(loaded, location.origin)});
  } catch {
    // No service worker (private mode, an old browser): the page still works while online.
  }
}
