import {describe, expect, it} from 'vitest';
import {basisTitle, reasonLine, recommendationsUrl, similarUrl} from './recommendations';

describe('recommendation URLs', () => {
  it('asks for the personal list when signed in and the popular list otherwise', () => {
    expect(recommendationsUrl({lat: 48.85661, lon: 2.35222}, true)).toBe('/api/v1/me/recommendations?lat=48.85661&lon=2.35222&limit=20');
    expect(recommendationsUrl({lat: 48.85661, lon: 2.35222}, false, 10, 'abc.def')).toBe(
      '/api/v1/recommendations?lat=48.85661&lon=2.35222&limit=10&cursor=abc.def',
    );
  });

  it('escapes the event id of the similar events', () => {
    expect(similarUrl('a/b', 3)).toBe('/api/v1/events/a%2Fb/similar?limit=3');
  });
});

describe('reasons', () => {
  it('joins the first reasons into one line', () => {
    const reasons = [
      {code: 'went_to', text: 'because you went to Jazz night'},
      {code: 'distance', text: '3 km from home'},
      {code: 'trending', text: 'trending near here'},
    ];
    expect(reasonLine({reasons})).toBe('because you went to Jazz night · 3 km from home');
  });

  it('names the basis of the list', () => {
    expect(basisTitle({basis: 'personal'})).toBe('For you');
    expect(basisTitle({basis: 'popular'})).toBe('Popular near here now');
  });
});
