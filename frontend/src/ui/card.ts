/**
 * An event's card, as the map's list shows it; the organizer's form previews the event with the
 * same card, so what they see is what visitors will see.
 */
import type {EventItem} from '../lib/api';
import {categoryColor, categoryName} from '../lib/categories';
import {formatDistance, formatEventStart, formatPrice} from '../lib/format';
import {h} from './dom';

export type CardFields = Pick<EventItem, 'id' | 'title' | 'category' | 'starts_at' | 'timezone' | 'venue' | 'is_free' | 'price_min' | 'price_max' | 'currency' | 'status'> &
  Partial<Pick<EventItem, 'distance_m'>>;

export function eventCard(item: CardFields, locale: string, viewerZone: string, tag: 'button' | 'div' = 'button'): HTMLElement {
  const price = formatPrice(item, locale);
  const venue = item.venue?.name;
  const color = h('span', {class: 'card-color', 'aria-hidden': 'true'});
  color.style.background = categoryColor(item.category);
  return h(
    tag,
    {type: tag === 'button' ? 'button' : null, class: 'card', 'data-id': item.id},
    color,
    h(
      'span',
      {class: 'card-body'},
      h('span', {class: 'card-title'}, item.title, item.status === 'cancelled' ? h('span', {class: 'tag tag-warn'}, 'Cancelled') : null),
      h('span', {class: 'card-meta'}, h('time', {datetime: item.starts_at}, formatEventStart(item.starts_at, item.timezone, locale, viewerZone)), venue ? ` · ${venue}` : ''),
      h(
        'span',
        {class: 'card-tags'},
        h('span', {class: 'tag'}, categoryName(item.category)),
        price ? h('span', {class: item.is_free ? 'tag tag-free' : 'tag'}, price) : null,
        typeof item.distance_m === 'number' ? h('span', {class: 'tag'}, formatDistance(item.distance_m, locale)) : null,
      ),
    ),
  );
}
