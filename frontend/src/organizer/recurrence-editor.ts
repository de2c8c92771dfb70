/**
 * The recurrence editor: "Repeats" opens a few plain controls (how often, every how many, which
 * days, until when or how many times, dates left out) and a live sentence with the next dates.
 * The rule it holds is `Recurrence` (rrule.ts), which makes the RRULE sent to the server.
 */
import {isoDate, parseIsoDate, type CivilDate} from '../lib/time';
import {h} from '../ui/dom';
import {defaultRecurrence, describe, type Freq, longDate, nthOfMonth, occurrenceDates, ordinal, type Recurrence, WEEKDAY_NAMES, WEEKDAYS, type Weekday, weekdayOf} from './rrule';

let serial = 0;

const UNITS: Record<Freq, [string, string]> = {DAILY: ['day', 'days'], WEEKLY: ['week', 'weeks'], MONTHLY: ['month', 'months'], YEARLY: ['year', 'years']};

export class RecurrenceEditor {
  readonly root: HTMLElement;
  private rule: Recurrence | null = null;
  private start: CivilDate | null = null;
  private readonly toggle: HTMLInputElement;
  private readonly body: HTMLElement;
  private readonly sentence = h('p', {class: 'rrule-sentence', 'aria-live': 'polite'});
  private readonly next = h('p', {class: 'muted rrule-next'});
  private readonly id = `rr${++serial}`;

  constructor(private readonly onChange: () => void) {
    this.toggle = h('input', {type: 'checkbox', id: `${this.id}-on`, name: 'repeats'});
    this.toggle.addEventListener('change', () => {
      this.rule = this.toggle.checked ? this.rule ?? defaultRecurrence(this.start ?? {year: 2026, month: 1, day: 1}) : null;
      this.render();
      this.onChange();
    });
    this.body = h('div', {class: 'rrule-body'});
    this.root = h(
      'fieldset',
      {class: 'field rrule', 'data-field': 'recurrence.rule'},
      h('legend', {}, 'Repeats'),
      h('div', {class: 'field-check'}, this.toggle, h('label', {for: `${this.id}-on`}, 'This event repeats')),
      this.body,
    );
    this.render();
  }

  get value(): Recurrence | null {
    return this.rule;
  }

  /** Set the rule (from an event being edited or copied); null: does not repeat. */
  set(rule: Recurrence | null): void {
    this.rule = rule;
    this.toggle.checked = rule !== null;
    this.render();
  }

  /** The first occurrence's local date moved: defaults follow it, the sentence is said again. */
  setStart(start: CivilDate | null): void {
    const before = this.start;
    this.start = start;
    if (this.rule && start && before && isoDate(before) !== isoDate(start)) {
      // Weekly on the old start's day only: move to the new day, as people expect.
      if (this.rule.byDay.length === 1 && this.rule.byDay[0] === weekdayOf(before)) this.rule.byDay = [weekdayOf(start)];
      if (this.rule.monthly.kind === 'nth') this.rule.monthly = {kind: 'nth', nth: nthOfMonth(start), weekday: weekdayOf(start)};
      else this.rule.monthly = {kind: 'day', day: start.day};
      this.render();
    } else this.speak();
  }

  private update(change: (r: Recurrence) => void, rerender = false): void {
    if (!this.rule) return;
    change(this.rule);
    if (rerender) this.render();
    else this.speak();
    this.onChange();
  }

  private speak(): void {
    if (!this.rule || !this.start) {
      this.sentence.textContent = this.rule ? 'Choose the start first.' : '';
      this.next.textContent = '';
      return;
    }
    this.sentence.textContent = describe(this.rule, this.start);
    const dates = occurrenceDates(this.rule, this.start, 5);
    this.next.textContent = dates.length ? `Next: ${dates.map((d) => `${WEEKDAY_NAMES[weekdayOf(d)].slice(0, 3)} ${longDate(d, d.year !== this.start!.year)}`).join(', ')}${dates.length === 5 ? '…' : ''}` : 'No dates: check the rule.';
  }

  private render(): void {
    const r = this.rule;
    if (!r) {
      this.body.replaceChildren();
      this.body.hidden = true;
      this.speak();
      return;
    }
    this.body.hidden = false;
    const id = (name: string) => `${this.id}-${name}`;
    const freq = h('select', {id: id('freq'), name: 'recurrence.freq'});
    for (const [value, label] of [['DAILY', 'Daily'], ['WEEKLY', 'Weekly'], ['MONTHLY', 'Monthly'], ['YEARLY', 'Yearly']] as const) freq.append(h('option', {value, selected: r.freq === value}, label));
    freq.addEventListener('change', () => this.update((x) => (x.freq = freq.value as Freq), true));

    const interval = h('input', {id: id('interval'), name: 'recurrence.interval', type: 'number', min: '1', max: '99', step: '1', inputmode: 'numeric', value: String(r.interval), class: 'input-narrow'});
    const [one, many] = UNITS[r.freq];
    const unit = h('span', {'aria-hidden': 'true'}, r.interval === 1 ? one : many);
    interval.addEventListener('input', () => {
      this.update((x) => (x.interval = Number(interval.value) || 0));
      unit.textContent = Number(interval.value) === 1 ? one : many;
    });

    const parts: HTMLElement[] = [
      h('div', {class: 'field-row rrule-row'}, h('div', {class: 'field', 'data-field': 'recurrence.freq'}, h('label', {for: id('freq')}, 'How often'), freq), h('div', {class: 'field', 'data-field': 'recurrence.interval'}, h('label', {for: id('interval')}, `Every how many ${many}`), h('span', {class: 'with-unit'}, interval, unit))),
    ];

    if (r.freq === 'WEEKLY') {
      const days = h('div', {class: 'choices-list weekdays'});
      for (const d of WEEKDAYS) {
        const box = h('input', {type: 'checkbox', id: id(`day-${d}`), name: 'recurrence.byday', value: d, checked: r.byDay.includes(d)});
        box.addEventListener('change', () => this.update((x) => (x.byDay = WEEKDAYS.filter((w) => (w === d ? box.checked : x.byDay.includes(w))))));
        days.append(h('span', {class: 'choice day-chip'}, box, h('label', {for: id(`day-${d}`)}, h('span', {'aria-hidden': 'true'}, WEEKDAY_NAMES[d].slice(0, 2)), h('span', {class: 'sr-only'}, WEEKDAY_NAMES[d]))));
      }
      parts.push(h('fieldset', {class: 'field choices', 'data-field': 'recurrence.byday'}, h('legend', {}, 'On'), days));
    }

    if (r.freq === 'MONTHLY' && this.start) {
      const s = this.start;
      const options: [string, string, () => void][] = [
        ['day', `On day ${s.day}`, () => (r.monthly = {kind: 'day', day: s.day})],
      ];
      const nth = nthOfMonth(s);
      const wd: Weekday = weekdayOf(s);
      options.push(['nth', `On the ${ordinal(nth)} ${WEEKDAY_NAMES[wd]}`, () => (r.monthly = {kind: 'nth', nth, weekday: wd})]);
      if (nth === 4 && s.day + 7 > new Date(Date.UTC(s.year, s.month, 0)).getUTCDate()) options.push(['last', `On the last ${WEEKDAY_NAMES[wd]}`, () => (r.monthly = {kind: 'nth', nth: -1, weekday: wd})]);
      const current = r.monthly.kind === 'day' ? 'day' : r.monthly.nth === -1 && nth !== -1 ? 'last' : 'nth';
      const list = h('div', {class: 'choices-list'});
      for (const [value, label, apply] of options) {
        const radio = h('input', {type: 'radio', id: id(`m-${value}`), name: `${this.id}-monthly`, value, checked: current === value});
        radio.addEventListener('change', () => this.update(apply));
        list.append(h('span', {class: 'choice'}, radio, h('label', {for: id(`m-${value}`)}, label)));
      }
      parts.push(h('fieldset', {class: 'field choices', 'data-field': 'recurrence.monthly'}, h('legend', {}, 'Which day of the month'), list));
    }

    // Ends: never (the server materialises up to its horizon), after N times, or on a date.
    const endList = h('div', {class: 'choices-list rrule-end'});
    const count = h('input', {id: id('count'), name: 'recurrence.count', type: 'number', min: '1', step: '1', inputmode: 'numeric', class: 'input-narrow', value: r.end.kind === 'count' ? String(r.end.count) : '10', 'aria-label': 'Number of times'});
    const until = h('input', {id: id('until'), name: 'recurrence.until', type: 'date', value: r.end.kind === 'until' ? r.end.until : '', 'aria-label': 'Last date'});
    const ends: [string, string, HTMLElement | null][] = [
      ['never', 'No end date', null],
      ['count', 'After', count],
      ['until', 'Until', until],
    ];
    for (const [value, label, extra] of ends) {
      const radio = h('input', {type: 'radio', id: id(`end-${value}`), name: `${this.id}-end`, value, checked: r.end.kind === value});
      radio.addEventListener('change', () =>
        this.update((x) => {
          x.end = value === 'count' ? {kind: 'count', count: Number(count.value) || 0} : value === 'until' ? {kind: 'until', until: until.value} : {kind: 'never'};
        }),
      );
      const row = h('span', {class: 'choice end-choice'}, radio, h('label', {for: id(`end-${value}`)}, label));
      if (extra) row.append(extra, value === 'count' ? h('span', {'aria-hidden': 'true'}, ' times') : '');
      endList.append(row);
    }
    const pick = (kind: 'count' | 'until') => {
      endList.querySelector<HTMLInputElement>(`#${id(`end-${kind}`)}`)!.checked = true;
      this.update((x) => (x.end = kind === 'count' ? {kind: 'count', count: Number(count.value) || 0} : {kind: 'until', until: until.value}));
    };
    count.addEventListener('input', () => pick('count'));
    until.addEventListener('input', () => pick('until'));
    parts.push(h('fieldset', {class: 'field choices', 'data-field': 'recurrence.end'}, h('legend', {}, 'How long it repeats'), endList));

    // Exceptions: dates left out.
    const exInput = h('input', {type: 'date', id: id('ex'), name: 'recurrence.exdate'});
    const exAdd = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Leave out');
    const exList = h('ul', {class: 'exdates', 'aria-label': 'Dates left out'});
    const drawEx = () => {
      exList.replaceChildren(
        ...r.exdates.map((x) => {
          const d = parseIsoDate(x);
          const remove = h('button', {type: 'button', class: 'btn btn-link', 'aria-label': `Put back ${d ? longDate(d) : x}`}, '×');
          remove.addEventListener('click', () => {
            this.update((y) => (y.exdates = y.exdates.filter((e) => e !== x)));
            drawEx();
            exInput.focus();
          });
          return h('li', {class: 'tag'}, d ? longDate(d) : x, remove);
        }),
      );
    };
    exAdd.addEventListener('click', () => {
      const value = exInput.value;
      if (!parseIsoDate(value) || r.exdates.includes(value)) return;
      this.update((y) => (y.exdates = [...y.exdates, value].sort()));
      exInput.value = '';
      drawEx();
    });
    drawEx();
    parts.push(h('div', {class: 'field', 'data-field': 'recurrence.exdates'}, h('label', {for: id('ex')}, 'Leave out a date'), h('span', {class: 'inline-add'}, exInput, exAdd), exList));

    this.body.replaceChildren(h('div', {class: 'rrule-summary'}, this.sentence, this.next), ...parts);
    this.speak();
  }
}
