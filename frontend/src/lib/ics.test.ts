import {describe, expect, it} from 'vitest';
import {buildIcs, escapeText, foldLine, geoUri, icsFileName} from './ics';

describe('iCalendar export', () => {
  const event = {
    id: 'abc',
    title: 'Jazz, wine; and more',
    description: 'Line one\nLine two',
    starts_at: '2025-11-28T18:30:00Z',
    ends_at: '2025-11-28T22:00:00Z',
    location: 'Le Baiser Salé',
    lat: 48.8585,
    lon: 2.3477,
    url: 'http://127.0.0.1:8000/?event=abc',
  };

  it('writes a valid VEVENT in UTC with CRLF endings', () => {
    const ics = buildIcs(event, new Date('2025-11-01T00:00:00Z'));
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(ics).toContain('DTSTART:20251128T183000Z\r\n');
    expect(ics).toContain('DTEND:20251128T220000Z\r\n');
    expect(ics).toContain('DTSTAMP:20251101T000000Z\r\n');
    expect(ics).toContain('SUMMARY:Jazz\\, wine\\; and more\r\n');
    expect(ics).toContain('DESCRIPTION:Line one\\nLine two\r\n');
    expect(ics).toContain('GEO:48.858500;2.347700\r\n');
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
  });

  it('falls back to a duration when there is no end', () => {
    expect(buildIcs({...event, ends_at: null})).toContain('DURATION:PT2H');
  });

  it('escapes and folds', () => {
    expect(escapeText('a\\b')).toBe('a\\\\b');
    const folded = foldLine(`SUMMARY:${'é'.repeat(60)}`);
    for (const line of folded.split('\r\n')) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    expect(folded.replace(/\r\n /g, '')).toBe(`SUMMARY:${'é'.repeat(60)}`);
  });

  it('names the file and builds a geo: link', () => {
    expect(icsFileName('Café Night: Jazz!')).toBe('cafe-night-jazz.ics');
    expect(geoUri(48.8585, 2.3477)).toBe('geo:48.858500,2.347700');
  });
});
