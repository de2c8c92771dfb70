import {describe, expect, it} from 'vitest';
import {canShareNatively, eventPageUrl, shareSignalUrl, slugify} from './share';

describe('event page addresses', () => {
  it('slugs titles like the server does', () => {
    expect(slugify('Jazz à la Cave — Nuit #3')).toBe('jazz-a-la-cave-nuit-3');
    expect(slugify('  Ünïcödé   Straße  ')).toBe('unicode-strae');
    expect(slugify('東京の夜')).toBe('event');
    expect(slugify('')).toBe('event');
    expect(slugify('a'.repeat(100))).toBe('a'.repeat(60));
    expect(slugify('</script><b>')).toBe('script-b');
  });

  it('builds the canonical page address', () => {
    expect(eventPageUrl('https://happenings.example', '0b5c', 'Late set')).toBe('https://happenings.example/e/0b5c-late-set');
  });

  it('shares natively only on touch devices that can', () => {
    const withShare = {share: () => Promise.resolve()} as unknown as Navigator;
    expect(canShareNatively(withShare, true)).toBe(true);
    expect(canShareNatively(withShare, false)).toBe(false);
    expect(canShareNatively({} as Navigator, true)).toBe(false);
  });
});

describe('share signals', () => {
  it('posts to the event\'s shares', () => {
    expect(shareSignalUrl('5f0c4b1e-0000-4000-8000-000000000001')).toBe('/api/v1/events/5f0c4b1e-0000-4000-8000-000000000001/shares');
  });
});
