/** The address of an event's own page (`/e/{id}-{slug}`), as the server makes it. */

const MAX_SLUG = 60;

/** Title → ASCII words joined by dashes (accents folded; nothing left → "event"), like app/sharing/slugs.py. */
export function slugify(title: string): string {
  const ascii = title.normalize('NFKD').replace(/[^\x00-\x7f]/g, '');
  const words = ascii.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const cut = words.slice(0, MAX_SLUG).replace(/-+$/, '');
  return cut || 'event';
}

export function eventPageUrl(origin: string, id: string, title: string): string {
  return `${origin}/e/${id}-${slugify(title)}`;
}

/** Phones share through the system sheet (Web Share API); elsewhere the link is copied. */
export function canShareNatively(nav: Navigator, coarsePointer: boolean): boolean {
  return typeof nav.share === 'function' && coarsePointer;
}

/** Where the share button records a share (`POST`, signed-in people only; a signal for recommendations). */
export function shareSignalUrl(id: string): string {
  return `/api/v1/events/${encodeURIComponent(id)}/shares`;
}
