/** An iCalendar (RFC 5545) file for one event, so "Add to calendar" works with every calendar app. */

export interface IcsEvent {
  id: string;
  title: string;
  description?: string | null;
  starts_at: string;
  ends_at: string | null;
  location?: string | null;
  lat?: number | null;
  lon?: number | null;
  url: string;
  status?: string;
}

function utcStamp(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** Escape TEXT values: backslash, semicolon, comma and newlines (RFC 5545 §3.3.11). */
export function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** Fold lines longer than 75 octets (RFC 5545 §3.1), never splitting a UTF-8 character. */
export function foldLine(line: string): string {
  const encoder = new TextEncoder();
  const out: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of line) {
    const bytes = encoder.encode(ch).length;
    const limit = out.length === 0 ? 75 : 74; // continuation lines start with a space
    if (size + bytes > limit) {
      out.push(current);
      current = '';
      size = 0;
    }
    current += ch;
    size += bytes;
  }
  out.push(current);
  return out.join('\r\n ');
}

export function buildIcs(event: IcsEvent, now: Date = new Date()): string {
  const end = event.ends_at && new Date(event.ends_at) > new Date(event.starts_at) ? event.ends_at : null;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Happenings//Event map//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${event.id}@happenings`,
    `DTSTAMP:${utcStamp(now)}`,
    `DTSTART:${utcStamp(event.starts_at)}`,
    end ? `DTEND:${utcStamp(end)}` : 'DURATION:PT2H',
    `SUMMARY:${escapeText(event.title)}`,
  ];
  if (event.description) lines.push(`DESCRIPTION:${escapeText(event.description)}`);
  if (event.location) lines.push(`LOCATION:${escapeText(event.location)}`);
  if (typeof event.lat === 'number' && typeof event.lon === 'number') {
    lines.push(`GEO:${event.lat.toFixed(6)};${event.lon.toFixed(6)}`);
  }
  lines.push(`URL:${event.url}`);
  if (event.status === 'cancelled') lines.push('STATUS:CANCELLED');
  lines.push('END:VEVENT', 'END:VCALENDAR');
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}

/** A safe file name for the download. */
export function icsFileName(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .toLowerCase()
    .slice(0, 60);
  return `${slug || 'event'}.ics`;
}

/** A geo: URI (RFC 5870) that phones open in their maps app for directions. */
export function geoUri(lat: number, lon: number, label?: string): string {
  const base = `geo:${lat.toFixed(6)},${lon.toFixed(6)}`;
  return label ? `${base}?q=${lat.toFixed(6)},${lon.toFixed(6)}(${encodeURIComponent(label)})` : base;
}
