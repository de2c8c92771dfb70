/**
 * `#/organizers/ID/venues/new`: pin a venue. Search an address (`GET /geocode?q=`), or click or tap
 * the map, then drag the pin where the door is; a dropped pin asks what is there
 * (`GET /geocode/reverse`). Latitude and longitude are fields too, for the keyboard. A venue of the
 * same name within 50 m already exists: the page offers it instead of making a second.
 */
import {debounce, isAbort} from '../lib/api';
import {routeHash} from '../lib/router';
import {h} from '../ui/dom';
import {errorText, text} from '../accounts/common';
import {field, form, FormController, section, submitButton} from '../accounts/forms';
import type {Page} from '../accounts/pages';
import {type OrgVenue, type Place, VenueExists} from './api';
import type {OrganizerContext} from './organizer-pages';
import {type LatLon, PinMap} from './pinmap';

const NAME_MAX = 200;

export function validPoint(lat: number, lon: number): boolean {
  return Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
}

export async function venuePage(ctx: OrganizerContext, organizerId: string, signal: AbortSignal): Promise<Page> {
  const organizer = await ctx.api.organizer(organizerId);
  const start = ctx.mapCenter() ?? {lat: 48.8566, lon: 2.3522};

  // ---- address search
  const results = h('ul', {class: 'place-results', 'aria-label': 'Places found'});
  const searchStatus = h('p', {class: 'form-status', role: 'status', 'aria-live': 'polite'});
  const search = form('Find an address', field({name: 'q', label: 'Address or place', type: 'search', autocomplete: 'off', maxlength: 200, hint: 'Or click the map where the venue is.'}), h('p', {class: 'actions'}, submitButton('Search', 'btn btn-secondary')));
  const searchForm = new FormController(search, async (data) => {
    const q = text(data, 'q').trim();
    if (!q) return;
    searchStatus.textContent = 'Searching…';
    const places = await ctx.api.geocode(q, signal);
    results.replaceChildren(...places.slice(0, 8).map((p) => h('li', {}, placeButton(p))));
    searchStatus.textContent = places.length ? `${places.length} place${places.length === 1 ? '' : 's'} found. Choose one to put the pin there.` : 'Nothing found by that name. Try a town, or click the map.';
  });
  void searchForm;

  // ---- the venue form
  const mapBox = h('div', {class: 'pin-map'});
  const near = h('p', {class: 'muted pin-near', role: 'status', 'aria-live': 'polite'}, 'No pin yet: click or tap the map, or search an address.');
  const venueForm = form(
    'Venue',
    field({name: 'name', label: 'Venue name', required: true, maxlength: NAME_MAX, missing: 'Enter the venue’s name', autocomplete: 'off'}),
    field({name: 'address', label: 'Address', maxlength: 300, autocomplete: 'off', hint: 'Filled from the pin; change it if you like.'}),
    h(
      'div',
      {class: 'field-row'},
      field({name: 'lat', label: 'Latitude', inputmode: 'decimal', required: true, missing: 'Put the pin on the map'}),
      field({name: 'lon', label: 'Longitude', inputmode: 'decimal', required: true, missing: 'Put the pin on the map'}),
    ),
    field({name: 'timezone', label: 'Time zone', autocomplete: 'off', hint: 'Found from the pin when left empty.'}),
    h('div', {class: 'venue-exists', hidden: true}),
    h('p', {class: 'actions'}, submitButton('Save venue')),
  );
  const input = (name: string) => venueForm.querySelector<HTMLInputElement>(`[name="${name}"]`)!;
  const exists = venueForm.querySelector<HTMLElement>('.venue-exists')!;

  let reverseController: AbortController | null = null;
  const lookUp = async (point: LatLon) => {
    reverseController?.abort();
    const controller = new AbortController();
    reverseController = controller;
    near.textContent = 'Looking up the address…';
    try {
      const place = await ctx.api.reverse(point.lat, point.lon, controller.signal);
      if (controller.signal.aborted) return;
      near.textContent = place ? `Near ${place.label}${place.timezone ? ` · ${place.timezone}` : ''}` : 'Pin placed.';
      if (place) {
        input('address').value = place.label;
        if (place.timezone) input('timezone').value = place.timezone;
      }
    } catch (error) {
      if (!isAbort(error) && !controller.signal.aborted) near.textContent = `Pin placed (the address could not be looked up: ${errorText(error)})`;
    }
  };
  const showPoint = (point: LatLon) => {
    input('lat').value = point.lat.toFixed(6);
    input('lon').value = point.lon.toFixed(6);
    exists.hidden = true;
  };
  const pinMap = new PinMap(mapBox, start, 13, (point) => {
    showPoint(point);
    void lookUp(point);
  });

  function placeButton(p: Place): HTMLButtonElement {
    const b = h('button', {type: 'button', class: 'place-result'}, p.label);
    b.addEventListener('click', () => {
      pinMap.set(p, 16);
      showPoint(p);
      input('address').value = p.label;
      if (p.timezone) input('timezone').value = p.timezone;
      near.textContent = `Pin at ${p.label}. Drag it onto the door if it is not there.`;
      input('name').focus();
    });
    return b;
  }

  // Typed coordinates move the pin.
  const typed = debounce(() => {
    const lat = Number(input('lat').value);
    const lon = Number(input('lon').value);
    if (input('lat').value.trim() && input('lon').value.trim() && validPoint(lat, lon)) pinMap.set({lat, lon});
  }, 500);
  input('lat').addEventListener('input', typed);
  input('lon').addEventListener('input', typed);

  const useVenue = (v: OrgVenue) => ctx.replace(routeHash({name: 'event-new', organizerId, venueId: v.id, copyOf: null}));
  const controller = new FormController(venueForm, async (data) => {
    const lat = Number(text(data, 'lat'));
    const lon = Number(text(data, 'lon'));
    if (!validPoint(lat, lon)) {
      controller.showErrors([{param: 'lat', message: 'Put the pin on the map, or enter a latitude from -90 to 90 and a longitude from -180 to 180.'}]);
      return;
    }
    const zone = text(data, 'timezone').trim();
    try {
      const venue = await ctx.api.createVenue({organizer_id: organizerId, name: text(data, 'name').trim(), lat, lon, address: text(data, 'address').trim() || null, ...(zone ? {timezone: zone} : {})});
      ctx.notify(`${venue.name} is saved.`);
      useVenue(venue);
    } catch (error) {
      if (!(error instanceof VenueExists)) throw error;
      const use = h('button', {type: 'button', class: 'btn btn-primary'}, `Use ${error.venue.name || 'that venue'}`);
      use.addEventListener('click', () => useVenue(error.venue));
      exists.replaceChildren(
        h('p', {}, h('strong', {}, 'This venue is already there. '), `${error.detail} Use it for your event, or give this one another name if it is a different place.`),
        h('p', {class: 'actions'}, use),
      );
      exists.hidden = false;
      use.focus();
    }
  });

  return {
    title: `Pin a venue for ${organizer.name}`,
    body: [
      section('find', 'Find the place', search, searchStatus, results),
      section('pin', 'Put the pin', mapBox, near, venueForm),
      h('p', {}, h('a', {href: routeHash({name: 'my-events', organizerId})}, 'Back to your events')),
    ],
    dispose: () => {
      reverseController?.abort();
      typed.cancel();
      pinMap.remove();
    },
  };
}
