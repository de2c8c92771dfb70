/**
 * Event categories: slug, display name and map colour.
 *
 * Hard-coded on purpose: the map style needs the colours before any request returns.
 * They mirror the `categories` table seeded by migration 0002_core_schema — change both together.
 */
export interface Category {
  slug: string;
  name: string;
  color: string;
}

export const CATEGORIES: readonly Category[] = [
  {slug: 'music', name: 'Music', color: '#e6194b'},
  {slug: 'nightlife', name: 'Nightlife', color: '#911eb4'},
  {slug: 'arts', name: 'Arts & Theatre', color: '#f58231'},
  {slug: 'film', name: 'Film', color: '#9a6324'},
  {slug: 'food', name: 'Food & Drink', color: '#3cb44b'},
  {slug: 'sports', name: 'Sports', color: '#4363d8'},
  {slug: 'outdoors', name: 'Outdoors', color: '#2e8b57'},
  {slug: 'family', name: 'Family', color: '#f032e6'},
  {slug: 'tech', name: 'Tech', color: '#008080'},
  {slug: 'community', name: 'Community', color: '#808000'},
  {slug: 'markets', name: 'Markets', color: '#b8860b'},
  {slug: 'wellness', name: 'Wellness', color: '#469990'},
];

const BY_SLUG = new Map(CATEGORIES.map((c) => [c.slug, c]));
export const FALLBACK_COLOR = '#6b7280';

export function isCategory(slug: string): boolean {
  return BY_SLUG.has(slug);
}

export function categoryName(slug: string): string {
  return BY_SLUG.get(slug)?.name ?? slug;
}

export function categoryColor(slug: string): string {
  return BY_SLUG.get(slug)?.color ?? FALLBACK_COLOR;
}
