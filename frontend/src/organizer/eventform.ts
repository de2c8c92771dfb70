/**
 * `#/organizers/ID/events/new` (optionally `?venue=` and `?from=` an event to copy) and
 * `#/organizers/ID/events/EID/edit`: the event form. Times are typed in the venue's wall clock
 * (its zone is named beside them, with the viewer's own time when it differs). Mistakes show while
 * typing, next to their field, as the server would word them; the server's own refusals land in the
 * same places. A preview shows the card exactly as the map's list will.
 */
import {ApiError, type FieldError} from '../lib/api';
import {CATEGORIES} from '../lib/categories';
import {routeHash} from '../lib/router';
import {viewerTimeZone} from '../lib/time';
import {eventCard} from '../ui/card';
import {h} from '../ui/dom';
import {errorText} from '../accounts/common';
import {checkbox, choices, field, form, FormController, section, select, submitButton} from '../accounts/forms';
import type {Page} from '../accounts/pages';
import type {OrgEvent, OrgVenue, Scope} from './api';
import {checkDraft, createBody, IMAGE_MAX_BYTES, IMAGE_TYPES, imageProblem, DESCRIPTION_MAX, EMPTY_DRAFT, type EventDraft, formatMoneyInput, formParam, parseMoney, TITLE_MAX, updateBody} from './eventdraft';
import {addMinutesLocal, describeLocal, inGap, instantToLocal, isZone, localToInstant, parseLocal} from './localtime';
import type {OrganizerContext} from './organizer-pages';
import {RecurrenceEditor} from './recurrence-editor';
import {parseRRule} from './rrule';

const LOCALE = navigator.language || 'en';
const VIEWER_ZONE = viewerTimeZone();
/** Fields whose check a change of another field can start (their errors show once that one is left). */
const RELATED: Record<string, string[]> = {price_min: ['currency', 'price_max'], price_max: ['currency', 'price_min'], starts_at: ['ends_at'], ends_at: ['starts_at']};

export interface FormTarget {
  venueId: string | null;
  copyOf: string | null;
  eventId: string | null;
}

/** The server's refusal of an image, in words. */
function imageRefusal(error: unknown): string {
  if (error instanceof ApiError && error.status === 413) return 'This image is larger than the server accepts. Choose a smaller one.';
  if (error instanceof ApiError && (error.status === 415 || error.status === 422 || error.status === 400)) return `This image was refused: ${errorText(error)}`;
  return `The image could not be sent: ${errorText(error)}`;
}

function draftOf(e: OrgEvent): EventDraft {
  const zone = e.timezone;
  const startsAt = e.local_starts_at ? e.local_starts_at.slice(0, 16) : instantToLocal(e.starts_at, zone);
  const start = parseLocal(startsAt)!;
  const rule = e.recurrence?.rrule ? parseRRule(e.recurrence.rrule, zone, start.date) : null;
  if (rule) rule.exdates = (e.recurrence?.exdates ?? []).map((x) => (x.length > 10 && /[Z+]|-\d\d:\d\d$/.test(x.slice(10)) ? instantToLocal(x, zone) : x).slice(0, 10));
  return {
    title: e.title,
    description: e.description ?? '',
    category: e.category,
    venueId: e.venue?.id ?? e.venue_id ?? null,
    timezone: zone,
    startsAt,
    endsAt: e.local_ends_at ? e.local_ends_at.slice(0, 16) : e.ends_at ? instantToLocal(e.ends_at, zone) : addMinutesLocal(startsAt, 120, zone)!,
    isFree: e.is_free,
    priceMin: formatMoneyInput(e.price_min, e.currency),
    priceMax: formatMoneyInput(e.price_max, e.currency),
    currency: e.currency ?? '',
    capacity: e.capacity ? String(e.capacity) : '',
    approximate: Boolean(e.location_approximate),
    recurrence: rule,
  };
}

/** A week from now at 19:00 in `zone`, for three hours: a sensible start to change. */
function defaultTimes(zone: string): {startsAt: string; endsAt: string} {
  const day = instantToLocal(new Date(Date.now() + 7 * 86_400_000), zone).slice(0, 10);
  const startsAt = `${day}T19:00`;
  return {startsAt, endsAt: addMinutesLocal(startsAt, 180, zone) ?? `${day}T22:00`};
}

function zones(current: string): [string, string][] {
  const all: string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const list = all.includes(current) || !current ? all : [current, ...all];
  return (list.length ? list : [current || 'UTC']).map((z) => [z, z.replace(/_/g, ' ')]);
}

export async function eventFormPage(ctx: OrganizerContext, organizerId: string, target: FormTarget, signal: AbortSignal): Promise<Page> {
  const [organizer, venuePage, source] = await Promise.all([
    ctx.api.organizer(organizerId),
    ctx.api.venues(organizerId),
    target.eventId ? ctx.api.event(organizerId, target.eventId) : target.copyOf ? ctx.api.event(organizerId, target.copyOf) : Promise.resolve(null),
  ]);
  const venues: OrgVenue[] = venuePage.items;
  const editing = target.eventId !== null;
  let savedId: string | null = target.eventId;
  let before: EventDraft | null = source && editing ? draftOf(source) : null;

  const initialVenue = venues.find((v) => v.id === (target.venueId ?? source?.venue?.id ?? source?.venue_id)) ?? (venues.length === 1 ? venues[0] : null);
  if (initialVenue && target.venueId && !venues.some((v) => v.id === initialVenue.id)) venues.push(initialVenue);
  const zone0 = source?.timezone ?? initialVenue?.timezone ?? VIEWER_ZONE;
  const start: EventDraft = source ? {...draftOf(source), venueId: initialVenue?.id ?? draftOf(source).venueId} : {...EMPTY_DRAFT, venueId: initialVenue?.id ?? null, timezone: zone0, ...defaultTimes(zone0)};

  // ---- fields
  const venueSelect = select('venue_id', 'Venue', [['', venues.length ? 'Choose a venue' : 'No venues yet: pin one'], ...venues.map((v) => [v.id, v.name] as [string, string])], start.venueId ?? '');
  venueSelect.append(h('p', {class: 'field-hint'}, h('a', {href: routeHash({name: 'venue-new', organizerId})}, 'Pin a new venue on the map')));
  const description = h('textarea', {id: 'ev-description', name: 'description', rows: 4, maxlength: DESCRIPTION_MAX, 'data-label': 'Description'});
  description.value = start.description;
  const zoneNote = h('p', {class: 'field-hint', id: 'ev-zone-note'});
  const startHint = h('p', {class: 'field-hint time-hint', 'aria-live': 'polite'});
  const endHint = h('p', {class: 'field-hint time-hint', 'aria-live': 'polite'});
  const recurrence = new RecurrenceEditor(() => refresh());
  const imageInput = h('input', {id: 'ev-image', name: 'image', type: 'file', accept: IMAGE_TYPES.join(','), 'aria-describedby': 'ev-image-hint'});
  const imagePreview = h('img', {class: 'image-preview', alt: '', hidden: true});
  const imageMessage = h('p', {class: 'field-hint', id: 'ev-image-hint'}, `JPEG, PNG or WebP, up to ${IMAGE_MAX_BYTES / 1048576} MB.`);
  if (source?.image_url) {
    imagePreview.src = source.image_url;
    imagePreview.hidden = false;
  }

  const fields = form(
    editing ? 'Edit event' : 'New event',
    venueSelect,
    field({name: 'title', label: 'Title', required: true, maxlength: TITLE_MAX + 50, value: start.title, missing: 'Enter a title', autocomplete: 'off'}),
    select('category', 'Category', [['', 'Choose a category'], ...CATEGORIES.map((c) => [c.slug, c.name] as [string, string])], start.category),
    h('div', {class: 'field', 'data-field': 'description'}, h('label', {for: 'ev-description'}, 'Description', h('span', {class: 'optional'}, ' (optional)')), description),
    h(
      'fieldset',
      {class: 'field when'},
      h('legend', {}, 'When'),
      zoneNote,
      h('div', {class: 'field-row'}, field({name: 'starts_at', label: 'Starts', type: 'datetime-local', value: start.startsAt, required: true, missing: 'Enter when it starts'}), field({name: 'ends_at', label: 'Ends', type: 'datetime-local', value: start.endsAt, required: true, missing: 'Enter when it ends'})),
      startHint,
      endHint,
      select('timezone', 'Time zone', zones(start.timezone), start.timezone, 'The venue’s, unless the event keeps another clock.'),
    ),
    recurrence.root,
    h(
      'fieldset',
      {class: 'field price'},
      h('legend', {}, 'Price'),
      checkbox('is_free', 'Free entry', start.isFree),
      h('div', {class: 'field-row price-row'}, field({name: 'price_min', label: 'From', inputmode: 'decimal', value: start.priceMin, autocomplete: 'off'}), field({name: 'price_max', label: 'Up to', inputmode: 'decimal', value: start.priceMax, autocomplete: 'off'}), field({name: 'currency', label: 'Currency', value: start.currency, maxlength: 3, autocomplete: 'off', hint: 'EUR, USD…'})),
    ),
    field({name: 'capacity', label: 'Places', inputmode: 'numeric', value: start.capacity, hint: 'How many can come; empty when there is no limit.'}),
    checkbox('location_approximate', 'Show only the area, not the exact place, until people have a ticket or RSVP', start.approximate),
    h('div', {class: 'field', 'data-field': 'image'}, h('label', {for: 'ev-image'}, 'Image', h('span', {class: 'optional'}, ' (optional)')), imageMessage, imageInput, imagePreview),
    h('p', {class: 'actions form-buttons'}, submitButton(editing ? 'Save changes' : 'Save draft', 'btn btn-secondary'), editing && source?.status !== 'draft' ? null : h('button', {type: 'submit', class: 'btn btn-primary', 'data-publish': ''}, 'Save and publish')),
  );
  recurrence.set(start.recurrence);
  // An occurrence of a series: the rule stays as it is; the edit says which dates it changes.
  const inSeries = editing && Boolean(source?.series_id);
  if (inSeries) {
    recurrence.root.replaceWith(
      choices('scope', 'Change', 'radio', [['occurrence', 'This date only'], ['following', 'This date and the later ones'], ['series', 'Every date from now on']], ['occurrence']),
    );
  }

  const el = <T extends HTMLElement = HTMLInputElement>(name: string) => fields.querySelector<T>(`[name="${name}"]`)!;
  const preview = h('div', {class: 'preview-card'});
  const previewNote = h('p', {class: 'muted preview-note'});

  const read = (): EventDraft => ({
    title: el('title').value,
    description: description.value,
    category: el<HTMLSelectElement>('category').value,
    venueId: el<HTMLSelectElement>('venue_id').value || null,
    timezone: el<HTMLSelectElement>('timezone').value,
    startsAt: el('starts_at').value,
    endsAt: el('ends_at').value,
    isFree: el('is_free').checked,
    priceMin: el('price_min').value,
    priceMax: el('price_max').value,
    currency: el('currency').value.toUpperCase(),
    capacity: el('capacity').value,
    approximate: el('location_approximate').checked,
    recurrence: recurrence.value,
  });

  // ---- live: hints, preview, checks of the fields already touched
  const touched = new Set<string>();
  let submitted = false;
  let chosenImage: File | null = null;
  /** The chosen file's problem: kept across the live checks, which redraw every message. */
  let imageError: string | null = null;
  let previewUrl: string | null = null;

  function refresh(): void {
    const d = read();
    const venue = venues.find((v) => v.id === d.venueId) ?? null;
    zoneNote.textContent = isZone(d.timezone) ? `Times are the venue’s wall clock, in ${d.timezone.replace(/_/g, ' ')}.` : '';
    const hint = (node: HTMLElement, value: string) => {
      node.textContent = parseLocal(value) && isZone(d.timezone) ? `${node === startHint ? 'Starts' : 'Ends'} ${describeLocal(value, d.timezone, VIEWER_ZONE, LOCALE)}${inGap(value, d.timezone) ? ' — this time does not exist that night (clocks go forward)' : ''}` : '';
    };
    hint(startHint, d.startsAt);
    hint(endHint, d.endsAt);
    for (const name of ['price_min', 'price_max', 'currency']) el(name).disabled = d.isFree;
    recurrence.setStart(parseLocal(d.startsAt)?.date ?? null);
    const instant = localToInstant(d.startsAt, d.timezone);
    const currency = d.currency.trim();
    preview.replaceChildren(
      eventCard(
        {
          id: savedId ?? 'preview',
          title: d.title.trim() || 'Your event’s title',
          category: d.category || 'community',
          starts_at: instant ? instant.toISOString() : new Date().toISOString(),
          timezone: isZone(d.timezone) ? d.timezone : 'UTC',
          venue: venue ? {id: venue.id, name: venue.name, lat: venue.lat, lon: venue.lon} : null,
          is_free: d.isFree,
          price_min: !d.isFree && d.priceMin ? parseMoney(d.priceMin, currency) : null,
          price_max: !d.isFree && d.priceMax ? parseMoney(d.priceMax, currency) : null,
          currency: currency || null,
          status: source?.status === 'cancelled' ? 'cancelled' : 'published',
        },
        LOCALE,
        VIEWER_ZONE,
        'div',
      ),
    );
    previewNote.textContent = recurrence.value ? 'Each date of the series shows as its own card on the map.' : '';
    if (submitted || touched.size) {
      controller.clear();
      const errors = checkDraft(d).filter((e) => submitted || touched.has(fieldName(e.param)));
      controller.showErrors([...errors.map((e) => ({...e, param: fieldName(e.param)})), ...(imageError ? [{param: 'image', message: imageError}] : [])], false);
    }
  }

  const fieldName = (param: string | null): string => {
    const p = formParam(param) ?? '';
    return p;
  };

  fields.addEventListener('input', () => refresh());
  fields.addEventListener('change', () => refresh());
  fields.addEventListener('focusout', (e) => {
    const target = e.target as HTMLInputElement;
    const wrapper = target.closest<HTMLElement>('[data-field]');
    if (wrapper?.dataset.field && target.value !== '') {
      touched.add(wrapper.dataset.field);
      // A price asks for its currency; a start is checked against the end.
      for (const other of RELATED[wrapper.dataset.field] ?? []) touched.add(other);
      refresh();
    }
  });
  el<HTMLSelectElement>('venue_id').addEventListener('change', () => {
    const venue = venues.find((v) => v.id === el<HTMLSelectElement>('venue_id').value);
    if (venue?.timezone && isZone(venue.timezone)) el<HTMLSelectElement>('timezone').value = venue.timezone;
  });
  // Moving the start keeps the length: the end follows.
  let lastStart = start.startsAt;
  el('starts_at').addEventListener('change', () => {
    const d = read();
    const a = localToInstant(lastStart, d.timezone);
    const b = localToInstant(d.endsAt, d.timezone);
    const now = localToInstant(d.startsAt, d.timezone);
    if (a && b && now && b > a) el('ends_at').value = instantToLocal(new Date(now.getTime() + (b.getTime() - a.getTime())), d.timezone);
    lastStart = d.startsAt;
  });
  imageInput.addEventListener('change', () => {
    const file = imageInput.files?.[0] ?? null;
    chosenImage = null;
    imageError = null;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    imagePreview.hidden = true;
    if (!file) return;
    const problem = imageProblem(file);
    if (problem) {
      imageError = problem;
      imageInput.value = '';
      touched.add('image');
      return; // shown by the live check the same change starts
    }
    chosenImage = file;
    previewUrl = URL.createObjectURL(file);
    imagePreview.src = previewUrl;
    imagePreview.alt = 'The chosen image';
    imagePreview.hidden = false;
  });

  let publish = false;
  fields.addEventListener('click', (e) => {
    const button = (e.target as HTMLElement).closest('button[type=submit]');
    if (button) publish = button.hasAttribute('data-publish');
  });
  fields.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') publish = false; // Enter saves; publishing is a choice made with its button
  });

  const controller = new FormController(fields, async () => {
    submitted = true;
    const d = read();
    const errors = checkDraft(d);
    if (errors.length) throw new ApiError(422, 'Check the form', 'Some fields need a look.', null, errors.map((e) => ({...e, param: fieldName(e.param)})));
    let event: OrgEvent;
    try {
      const scope = inSeries ? ((fields.querySelector<HTMLInputElement>('input[name=scope]:checked')?.value ?? 'occurrence') as Scope) : null;
      if (savedId && before) event = await ctx.api.updateEvent(savedId, updateBody(d, before), scope);
      else event = await ctx.api.createEvent(createBody(d, organizerId));
    } catch (error) {
      if (error instanceof ApiError && error.errors.length) {
        const mapped: FieldError[] = error.errors.map((x) => ({...x, param: fieldName(x.param)}));
        throw new ApiError(error.status, error.title, error.detail, null, mapped, error.code, error.retryAfter);
      }
      throw error;
    }
    savedId = event.id;
    before = d;
    if (chosenImage) {
      try {
        await ctx.api.uploadImage(event.id, chosenImage);
        chosenImage = null;
      } catch (error) {
        controller.showErrors([{param: 'image', message: `${imageRefusal(error)} The event itself is saved${editing ? '' : ' as a draft'}.`}]);
        return;
      }
    }
    if (publish) {
      await ctx.api.action(event.id, 'publish');
      ctx.notify(`${d.title.trim()} is published: it is on the map now.`);
    } else ctx.notify(editing ? `${d.title.trim()} is saved.` : `${d.title.trim()} is saved as a draft.`);
    ctx.go(`${routeHash({name: 'my-events', organizerId})}`);
  });

  refresh();
  if (!venues.length) ctx.notify('Pin a venue first: events take place somewhere.');

  const title = editing ? `Edit ${source?.title ?? 'event'}` : target.copyOf && source ? `New event, copied from ${source.title}` : `New event for ${organizer.name}`;
  return {
    title,
    body: [
      h(
        'div',
        {class: 'event-editor'},
        section('event-form', editing ? 'Details' : 'Details', fields),
        h('aside', {class: 'panel preview', 'aria-labelledby': 'preview-title'}, h('h2', {id: 'preview-title'}, 'Preview'), h('p', {class: 'muted'}, 'As it shows in the list beside the map.'), preview, previewNote),
      ),
      h('p', {}, h('a', {href: routeHash({name: 'my-events', organizerId})}, 'Back to your events')),
    ],
    dispose: () => {
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      void signal;
    },
  };
}
