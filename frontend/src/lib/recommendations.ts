/** Recommendations: the API's answers and the one place their URLs are built. */

export interface Reason {
  code: string;
  text: string;
}

export interface RecommendedEvent {
  id: string;
  title: string;
  category: string;
  tags: string[];
  starts_at: string;
  ends_at: string;
  timezone: string;
  lat: number;
  lon: number;
  organizer: {id: string; name: string};
  distance_m: number;
  score: number;
  reasons: Reason[];
}

export interface RecommendationPage {
  items: RecommendedEvent[];
  next_cursor: string | null;
  basis: 'personal' | 'popular';
  model_version: number;
  origin: 'here' | 'home' | 'usual_area';
}

export interface SimilarEvents {
  similar: RecommendedEvent[];
  also_went: RecommendedEvent[];
  model_version: number;
}

/** "For you" for a signed-in person, "popular near here" otherwise: the same list, one code path. */
export function recommendationsUrl(point: {lat: number; lon: number}, signedIn: boolean, limit = 20, cursor: string | null = null): string {
  const params = new URLSearchParams({lat: point.lat.toFixed(5), lon: point.lon.toFixed(5), limit: String(limit)});
  if (cursor) params.set('cursor', cursor);
  return `${signedIn ? '/api/v1/me/recommendations' : '/api/v1/recommendations'}?${params}`;
}

export function similarUrl(eventId: string, limit = 5): string {
  return `/api/v1/events/${encodeURIComponent(eventId)}/similar?limit=${limit}`;
}

/** The reasons as one line: "because you went to X · 3 km from here". */
export function reasonLine(item: Pick<RecommendedEvent, 'reasons'>, max = 2): string {
  return item.reasons
    .slice(0, max)
    .map((r) => r.text)
    .join(' · ');
}

/** The heading of the list: what it is based on. */
export function basisTitle(page: Pick<RecommendationPage, 'basis'>): string {
  return page.basis === 'personal' ? 'For you' : 'Popular near here now';
}
