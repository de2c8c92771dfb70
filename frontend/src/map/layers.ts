/**
 * The events layers, defined here rather than taken from a server style so they sit on top of any
 * basemap: our offline one or an external MapLibre style.
 */
import type {ExpressionSpecification, LayerSpecification} from 'maplibre-gl';
import {CATEGORIES, FALLBACK_COLOR} from '../lib/categories';

export const EVENTS_SOURCE = 'events';
export const EVENTS_LAYER = 'events'; // the vector layer inside the tiles
export const HIGHLIGHT_SOURCE = 'events-highlight';
export const ME_SOURCE = 'me';

export const LAYER = {
  clusters: 'events-clusters',
  clusterCount: 'events-cluster-count',
  points: 'events-points',
  labels: 'events-labels',
  highlight: 'events-highlight',
  me: 'me',
} as const;

/** Works with any text-font the basemap's glyph server has; rendered locally when it has none. */
const BOLD = ['Noto Sans Bold'];
const REGULAR = ['Noto Sans Regular'];

export const categoryColor: ExpressionSpecification = [
  'match',
  ['get', 'category'],
  ...CATEGORIES.flatMap((c) => [c.slug, c.color]),
  FALLBACK_COLOR,
] as unknown as ExpressionSpecification;

const isCluster: ExpressionSpecification = ['==', ['get', 'cluster'], true];
/** A point's `availability` tile property: "sold_out", "few_left", or absent (places enough, or no capacity). */
const availability: ExpressionSpecification = ['coalesce', ['get', 'availability'], ''];
const soldOut: ExpressionSpecification = ['==', availability, 'sold_out'];
const fewLeft: ExpressionSpecification = ['==', availability, 'few_left'];
export const SOLD_OUT_COLOR = '#9ca3af';
export const FEW_LEFT_RING = '#f59e0b';
const count: ExpressionSpecification = ['to-number', ['get', 'count'], 1];

export function eventLayers(): LayerSpecification[] {
  return [
    {
      id: LAYER.clusters,
      type: 'circle',
      source: EVENTS_SOURCE,
      'source-layer': EVENTS_LAYER,
      filter: isCluster,
      paint: {
        // Sized by count: 16 px for a handful, up to 34 px for thousands.
        'circle-radius': ['interpolate', ['linear'], ['ln', ['max', count, 1]], 0, 14, 2.3, 17, 4.6, 23, 6.9, 29, 9.2, 34],
        'circle-color': '#ffffff',
        'circle-stroke-color': categoryColor,
        'circle-stroke-width': 5,
        'circle-stroke-opacity': 0.95,
      },
    },
    {
      id: LAYER.clusterCount,
      type: 'symbol',
      source: EVENTS_SOURCE,
      'source-layer': EVENTS_LAYER,
      filter: isCluster,
      layout: {
        'text-field': [
          'case',
          ['>=', count, 10000],
          ['concat', ['to-string', ['round', ['/', count, 1000]]], 'k'],
          ['>=', count, 1000],
          ['concat', ['to-string', ['/', ['round', ['/', count, 100]], 10]], 'k'],
          ['to-string', count],
        ],
        'text-font': BOLD,
        'text-size': 13,
        'text-allow-overlap': true,
        'text-ignore-placement': true,
      },
      paint: {'text-color': '#111827'},
    },
    {
      id: LAYER.highlight,
      type: 'circle',
      source: HIGHLIGHT_SOURCE,
      paint: {
        'circle-radius': 14,
        'circle-color': 'rgba(79, 70, 229, 0.18)',
        'circle-stroke-color': '#4338ca',
        'circle-stroke-width': 3,
      },
    },
    {
      id: LAYER.points,
      type: 'circle',
      source: EVENTS_SOURCE,
      'source-layer': EVENTS_LAYER,
      filter: ['!', isCluster],
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 5, 14, 8, 17, 11],
        // Sold out: a grey, faded marker ringed in the category's colour; few places left: an amber ring.
        'circle-color': ['case', soldOut, SOLD_OUT_COLOR, categoryColor],
        'circle-opacity': ['case', soldOut, 0.7, 1],
        'circle-stroke-color': ['case', soldOut, categoryColor, fewLeft, FEW_LEFT_RING, '#ffffff'],
        'circle-stroke-width': ['case', fewLeft, 3, 2],
      },
    },
    {
      id: LAYER.labels,
      type: 'symbol',
      source: EVENTS_SOURCE,
      'source-layer': EVENTS_LAYER,
      filter: ['!', isCluster],
      minzoom: 14,
      layout: {
        'text-field': [
          'case',
          soldOut,
          ['concat', ['get', 'title'], ' (sold out)'],
          fewLeft,
          ['concat', ['get', 'title'], ' (few left)'],
          ['get', 'title'],
        ],
        'text-font': REGULAR,
        'text-size': 12,
        'text-offset': [0, 1.1],
        'text-anchor': 'top',
        'text-max-width': 10,
        'text-optional': true,
        'symbol-sort-key': ['-', 0, ['to-number', ['get', 'popularity'], 0]],
      },
      paint: {'text-color': '#1f2937', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5},
    },
    {
      id: LAYER.me,
      type: 'circle',
      source: ME_SOURCE,
      paint: {
        'circle-radius': 8,
        'circle-color': '#2563eb',
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 3,
      },
    },
  ];
}
