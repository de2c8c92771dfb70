/**
 * "Your areas" on the notifications page: the person's geofences listed (edit, delete), and an editor
 * with a map (a circle around a picked point, or a drawn outline) and the filters (categories, a
 * price ceiling, days of the week, a window of the day). Saving sends POST `/me/geofences` or PATCH
 * `/me/geofences/{id}` with every filter (null clears one); the server checks the area again.
 */
import './geofences.css';
import {CATEGORIES} from '../lib/categories';
import {describe, filterBody, filterFields, fromApiArea, toApiArea, type ApiArea, type FilterBody, type LatLon, type Shape, polygonProblem, MAX_RADIUS_M, MIN_RADIUS_M} from '../lib/geofence';
import {h} from '../ui/dom';
import {errorText, jsonBody} from './common';
import {choices, field, FormController, form, section, submitButton} from './forms';
import {DEFAULT_RADIUS_M, GeofenceMap} from './geofencemap';
import type {PageContext} from './pages';

interface Geofence extends FilterBody {
  id: string;
  area: ApiArea;
}

const DAYS: [string, string][] = [
  ['1', 'Mon'],
  ['2', 'Tue'],
  ['3', 'Wed'],
  ['4', 'Thu'],
  ['5', 'Fri'],
  ['6', 'Sat'],
  ['7', 'Sun'],
];
const FALLBACK: LatLon = {lat: 48.8566, lon: 2.3522};

function summary(g: Geofence, shape: Shape | null): string {
  const parts = [shape ? describe(shape) : 'an area'];
  if (g.categories) parts.push(g.categories.map((slug) => CATEGORIES.find((c) => c.slug === slug)?.name ?? slug).join(', '));
  if (g.price_max != null) parts.push(`up to ${(g.price_max / 100).toFixed(2)}`);
  if (g.days) parts.push(g.days.map((d) => DAYS[d - 1][1]).join(' '));
  const f = filterFields(g);
  if (f.timeFrom) parts.push(`${f.timeFrom}–${f.timeTo}`);
  return parts.join(' · ');
}

export function geofenceSection(ctx: PageContext): {element: HTMLElement; dispose: () => void} {
  let editing: Geofence | null = null;
  let saved: Geofence[] = [];
  const list = h('ul', {class: 'plain-list geofence-list', 'aria-label': 'Your areas'});
  const heading = h('h3', {id: 'geofence-editor-title', tabindex: '-1'}, 'New area');
  const hint = h('p', {class: 'field-hint', role: 'status', 'aria-live': 'polite'});

  const mapBox = h('div', {class: 'geofence-map'});
  const map = new GeofenceMap(mapBox, ctx.mapCenter() ?? FALLBACK, 12, () => shapeChanged());

  // ---- the kind of area, and its controls
  const modes = choices('mode', 'Kind of area', 'radio', [['polygon', 'Draw an outline'], ['circle', 'A circle around a point']], ['polygon']);
  const radius = h('input', {id: 'geofence-radius', type: 'range', min: String(MIN_RADIUS_M), max: String(MAX_RADIUS_M), step: '100', value: String(DEFAULT_RADIUS_M)});
  const radiusText = h('output', {for: 'geofence-radius'});
  const centreHere = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Put the circle at the map’s centre');
  const circleTools = h('div', {class: 'geofence-tools', hidden: true}, h('label', {for: 'geofence-radius'}, 'Radius '), radius, radiusText, centreHere);
  const finish = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Finish the outline');
  const deleteCorner = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Delete corner');
  const restart = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Start again');
  const polygonTools = h('div', {class: 'geofence-tools'}, finish, deleteCorner, restart);

  const showRadius = (m: number) => {
    radius.value = String(m);
    radiusText.textContent = m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${m} m`;
  };
  showRadius(DEFAULT_RADIUS_M);

  function shapeChanged(): void {
    const shape = map.current;
    circleTools.hidden = map.drawing !== 'circle';
    polygonTools.hidden = map.drawing !== 'polygon';
    for (const input of modes.querySelectorAll<HTMLInputElement>('input')) input.checked = input.value === map.drawing;
    if (shape?.kind === 'circle') showRadius(Math.round(shape.radius_m));
    finish.disabled = !(shape?.kind === 'polygon' && !shape.closed && shape.vertices.length >= 3);
    deleteCorner.disabled = !(shape?.kind === 'polygon' && shape.vertices.length > 0);
    hint.textContent = hintFor(shape);
  }

  function hintFor(shape: Shape | null): string {
    if (map.drawing === 'circle') return shape ? `The circle: ${describe(shape)}. Drag its centre or its edge, or use the slider.` : 'Click the map where the circle’s centre goes.';
    if (!shape || shape.kind !== 'polygon') return 'Click the map to put the first corner of the outline.';
    if (!shape.closed) return `${shape.vertices.length} corner${shape.vertices.length === 1 ? '' : 's'}. Click to add more; click the first corner or “Finish the outline” to close it.`;
    return polygonProblem(shape.vertices) ?? `Outline closed, ${shape.vertices.length} corners. Drag a corner to move it, “+” adds one, select a corner and Delete removes it.`;
  }

  modes.addEventListener('change', (e) => {
    map.setMode((e.target as HTMLInputElement).value as 'circle' | 'polygon');
    shapeChanged();
  });
  radius.addEventListener('input', () => {
    showRadius(Number(radius.value));
    map.setRadius(Number(radius.value));
  });
  centreHere.addEventListener('click', () => map.centreHere(Number(radius.value)));
  finish.addEventListener('click', () => map.finish());
  deleteCorner.addEventListener('click', () => map.deleteCorner());
  restart.addEventListener('click', () => {
    map.show(null);
    shapeChanged();
  });

  // ---- filters and saving
  const cancel = h('button', {type: 'button', class: 'btn btn-secondary', hidden: true}, 'Cancel editing');
  const editor = form(
    'Area',
    field({name: 'name', label: 'Name', value: 'Near home', maxlength: 80}),
    choices('categories', 'Only these categories (none ticked: any)', 'checkbox', CATEGORIES.map((c) => [c.slug, c.name] as const), []),
    field({name: 'price', label: 'Price ceiling', type: 'number', min: '0', step: '0.01', inputmode: 'decimal', hint: 'Free events always count. Leave empty for any price.'}),
    choices('days', 'Only on these days (none ticked: any day)', 'checkbox', DAYS, []),
    h(
      'div',
      {class: 'field-row'},
      field({name: 'time_from', label: 'Starting from', type: 'time', hint: 'Local time of the event.'}),
      field({name: 'time_to', label: 'Until', type: 'time'}),
    ),
    h('div', {class: 'actions'}, submitButton('Save area'), cancel),
  );
  const controller = new FormController(editor, async (data) => {
    const shape = map.current;
    const area = shape && toApiArea(shape);
    if (!area) throw new Error(shape?.kind === 'polygon' ? (polygonProblem(shape.vertices) ?? 'Finish the outline first (click its first corner).') : 'Draw an area on the map first.');
    const filters = filterBody({
      name: String(data.get('name') ?? ''),
      categories: data.getAll('categories').map(String),
      price: String(data.get('price') ?? ''),
      days: data.getAll('days').map(Number),
      timeFrom: String(data.get('time_from') ?? ''),
      timeTo: String(data.get('time_to') ?? ''),
    });
    const body = {...filters, area};
    if (editing) await ctx.session.json(`/api/v1/me/geofences/${editing.id}`, jsonBody('PATCH', body));
    else await ctx.session.json('/api/v1/me/geofences', jsonBody('POST', body));
    ctx.notify(editing ? 'Area changed.' : 'Area saved.');
    startNew();
    await load();
  });
  cancel.addEventListener('click', () => startNew());

  function fillForm(values: ReturnType<typeof filterFields>): void {
    const input = (name: string) => editor.querySelector<HTMLInputElement>(`[name="${name}"]`)!;
    input('name').value = values.name;
    input('price').value = values.price;
    input('time_from').value = values.timeFrom;
    input('time_to').value = values.timeTo;
    for (const box of editor.querySelectorAll<HTMLInputElement>('input[name="categories"]')) box.checked = values.categories.includes(box.value);
    for (const box of editor.querySelectorAll<HTMLInputElement>('input[name="days"]')) box.checked = values.days.includes(Number(box.value));
  }

  function startNew(): void {
    editing = null;
    heading.textContent = 'New area';
    cancel.hidden = true;
    controller.clear();
    fillForm({...filterFields({}), name: 'Near home'});
    map.show(null);
    map.showSaved(saved.map((g) => fromApiArea(g.area)).filter((s): s is Shape => s !== null));
    shapeChanged();
  }

  function edit(g: Geofence): void {
    editing = g;
    heading.textContent = `Edit “${g.name || 'Area'}”`;
    cancel.hidden = false;
    controller.clear();
    fillForm(filterFields(g));
    map.showSaved(saved.filter((o) => o.id !== g.id).map((o) => fromApiArea(o.area)).filter((s): s is Shape => s !== null));
    map.show(fromApiArea(g.area));
    shapeChanged();
    heading.focus();
    heading.scrollIntoView({block: 'start'});
  }

  async function remove(g: Geofence): Promise<void> {
    try {
      await ctx.session.json(`/api/v1/me/geofences/${g.id}`, {method: 'DELETE'});
      ctx.notify(`“${g.name || 'Area'}” removed.`);
      if (editing?.id === g.id) startNew();
      await load();
    } catch (error) {
      ctx.notify(errorText(error), 'error');
    }
  }

  async function load(): Promise<void> {
    const {items} = await ctx.session.json<{items: Geofence[]}>('/api/v1/me/geofences');
    saved = items;
    list.replaceChildren(
      ...items.map((g) => {
        const name = g.name || 'Area';
        const editButton = h('button', {type: 'button', class: 'btn btn-secondary', 'aria-label': `Edit ${name}`}, 'Edit');
        const deleteButton = h('button', {type: 'button', class: 'btn btn-secondary', 'aria-label': `Delete ${name}`}, 'Delete');
        editButton.addEventListener('click', () => edit(g));
        deleteButton.addEventListener('click', () => void remove(g));
        return h('li', {class: 'geofence-item'}, h('span', {}, h('strong', {}, name), ` — ${summary(g, fromApiArea(g.area))}`), h('span', {class: 'geofence-actions'}, editButton, deleteButton));
      }),
    );
    if (!items.length) list.append(h('li', {class: 'muted'}, 'No areas yet: draw one below.'));
    if (!editing) map.showSaved(items.map((g) => fromApiArea(g.area)).filter((s): s is Shape => s !== null));
  }

  void load().catch((error) => ctx.notify(errorText(error), 'error'));
  shapeChanged();
  const element = section(
    'geofences',
    'Your areas',
    h('p', {}, 'We tell you when an event is published, moved or rescheduled inside one of them.'),
    list,
    heading,
    modes,
    mapBox,
    circleTools,
    polygonTools,
    hint,
    editor,
  );
  return {element, dispose: () => map.remove()};
}
