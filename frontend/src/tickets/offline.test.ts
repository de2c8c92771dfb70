import {describe, expect, it} from 'vitest';
import {shellFiles} from './offline';

describe('files kept for offline use', () => {
  it('are the page and our own hashed files', () => {
    const origin = 'https://happenings.example';
    const files = shellFiles(
      [
        `${origin}/assets/index-abc.js`,
        `${origin}/assets/pages-def.js`,
        `${origin}/assets/index-abc.js`,
        `${origin}/api/v1/me/tickets`,
        `${origin}/tiles/1/2/3.pbf`,
        'https://js.stripe.com/v3/',
        'not a url at all',
      ],
      origin,
    );
    expect(files).toEqual(['/', '/assets/index-abc.js', '/assets/pages-def.js']);
  });
});
