/**
 * A month or week view of the events in the current viewport, with the current filters.
 *
 * Days are the days of the place on the map (its time zone, asked of the server), as each event
 * sits on its own local date: over Beijing, "today" is Beijing's today. The month view is the
 * calendar month, Monday first; the week view is seven days from its first day — from today when
 * it opens, so it never shows a week that is mostly over.
 */
import {type ApiError, type EventItem, LatestOnly, type Page} from '../lib/api';
import {categoryColor} from '../lib/categories';
import {eventLocalDate, formatTimeOfDay} from '../lib/format';
import {addDays, type CivilDate, civilDate, compareDates, isoDate, weekday, zonedToInstant} from '../lib/time';
import type {CalendarScale} from '../lib/urlstate';
import {byId, dot, h} from './dom';

export interface Period {
  scale: CalendarScale;
  first: CivilDate; // first day shown: a Monday in the month view, the anchor in the week view
  days: number; // 7, or 28/35/42
  month: CivilDate; // the month being shown (day 1), for the title
}

const monday = (d: CivilDate) => addDays(d, -((weekday(d) + 6) % 7));

export function periodFor(scale: CalendarScale, anchor: CivilDate): Period {
  if (scale === 'week') return {scale, first: anchor, days: 7, month: {...anchor, day: 1}};
  const firstOfMonth = {...anchor, day: 1};
  const nextMonth = addDays({...firstOfMonth, day: 28}, 4);
  const lastOfMonth = addDays({...nextMonth, day: 1}, -1);
  const first = monday(firstOfMonth);
  const days = Math.round((Date.UTC(lastOfMonth.year, lastOfMonth.month - 1, lastOfMonth.day) - Date.UTC(first.year, first.month - 1, first.day)) / 86_400_000) + 1;
  return {scale, first, days: Math.ceil(days / 7) * 7, month: firstOfMonth};
}

export function periodContains(period: Period, day: CivilDate): boolean {
  return compareDates(day, period.first) >= 0 && compareDates(day, addDays(period.first, period.days)) < 0;
}

/** The instants a period covers in `timeZone`: from its first midnight to the midnight after its last day. */
export function periodRange(period: Period, timeZone: string): {start: Date; end: Date} {
  return {
    start: zonedToInstant(period.first, 0, 0, timeZone),
    end: zonedToInstant(addDays(period.first, period.days), 0, 0, timeZone),
  };
}

/** The previous or next period: a week moves by seven days, a month to the month before or after. */
export function shiftPeriod(period: Period, direction: 1 | -1): Period {
  const {scale, first, month} = period;
  return scale === 'week' ? periodFor(scale, addDays(first, 7 * direction)) : periodFor(scale, addDays({...month, day: 15}, 30 * direction));
}

export interface CalendarCallbacks {
  /** The time zone of the place in view. */
  zone: (signal: AbortSignal) => Promise<string>;
  load: (start: Date, end: Date, signal: AbortSignal) => Promise<Page<EventItem> | null>;
  onOpen: (item: EventItem, trigger: HTMLElement) => void;
  onScale: (scale: CalendarScale) => void;
  onClose: () => void;
}

const MAX_PER_DAY_IN_MONTH = 3;

export class CalendarView {
  private readonly root = byId('calendar');
  private readonly request = new LatestOnly();
  private period: Period;
  /** Whether the period is the one around today (it moves with the place's zone and the date). */
  private followsToday = true;

  constructor(
    private readonly cb: CalendarCallbacks,
    private readonly locale: string,
    private timeZone: string,
  ) {
    this.period = periodFor('month', this.today());
  }

  get isOpen(): boolean {
    return !this.root.hidden;
  }

  /** Open at `anchor`, or around today in the place's zone when `anchor` is null. */
  open(scale: CalendarScale, anchor: CivilDate | null): void {
    this.followsToday = anchor === null;
    this.period = periodFor(scale, anchor ?? this.today());
    this.root.hidden = false;
    document.getElementById('app')?.classList.add('calendar-open');
    void this.refresh();
  }

  close(): void {
    this.request.cancel();
    this.root.hidden = true;
    document.getElementById('app')?.classList.remove('calendar-open');
  }

  async refresh(): Promise<void> {
    if (!this.isOpen) return;
    this.draw(null, 'Loading events…');
    try {
      const result = await this.request.run(async (signal) => {
        this.setZone(await this.cb.zone(signal));
        const {start, end} = periodRange(this.period, this.timeZone);
        return this.cb.load(start, end, signal);
      });
      if (result.stale) return;
      const page = result.value;
      this.draw(page?.items ?? [], page?.next_cursor ? 'Showing the first 500 events in view; zoom in or filter to see all.' : null);
    } catch (error) {
      this.draw([], (error as ApiError).detail ?? 'The calendar could not be loaded.', true);
    }
  }

  /** The place's zone; a period around today follows it (and the date, past midnight). */
  private setZone(zone: string): void {
    this.timeZone = zone;
    if (this.followsToday) this.period = periodFor(this.period.scale, this.today());
  }

  private show(period: Period, followsToday: boolean): void {
    this.period = period;
    this.followsToday = followsToday;
    void this.refresh();
  }

  private shift(direction: 1 | -1): void {
    this.show(shiftPeriod(this.period, direction), false);
  }

  /** Switching scale keeps today in view when it is shown, else the start of what is shown. */
  private changeScale(scale: CalendarScale): void {
    const {first, month} = this.period;
    const today = this.today();
    if (periodContains(this.period, today)) this.show(periodFor(scale, today), true);
    else this.show(periodFor(scale, this.period.scale === 'week' ? first : month), false);
  }

  private title(): string {
    const {scale, first, month} = this.period;
    const at = (d: CivilDate) => zonedToInstant(d, 12, 0, this.timeZone);
    if (scale === 'month') return new Intl.DateTimeFormat(this.locale, {month: 'long', year: 'numeric', timeZone: this.timeZone}).format(at(month));
    const fmt = new Intl.DateTimeFormat(this.locale, {weekday: 'short', day: 'numeric', month: 'short', timeZone: this.timeZone});
    return `${fmt.format(at(first))} – ${fmt.format(at(addDays(first, 6)))}`;
  }

  private toolbar(): HTMLElement {
    const button = (label: string, text: string, onClick: () => void, attrs: Record<string, string> = {}) => {
      const b = h('button', {type: 'button', class: 'btn btn-secondary', 'aria-label': label, ...attrs}, text);
      b.addEventListener('click', onClick);
      return b;
    };
    const scale = (s: CalendarScale, text: string) =>
      button(`${text} view`, text, () => {
        this.cb.onScale(s);
        this.changeScale(s);
      }, {'aria-pressed': String(this.period.scale === s), class: 'seg'});
    return h(
      'div',
      {class: 'calendar-toolbar'},
      h('h2', {id: 'calendar-title'}, this.title()),
      h('div', {class: 'calendar-nav'},
        button('Previous', '‹', () => this.shift(-1)),
        button('Next', '›', () => this.shift(1)),
        h('div', {class: 'segmented', role: 'group', 'aria-label': 'Calendar scale'}, scale('month', 'Month'), scale('week', 'Week')),
        button('Close calendar', '×', () => this.cb.onClose(), {class: 'btn btn-icon'}),
      ),
    );
  }

  private draw(items: EventItem[] | null, note: string | null, isError = false): void {
    const byDay = new Map<string, EventItem[]>();
    for (const item of items ?? []) {
      const key = isoDate(eventLocalDate(item.starts_at, item.timezone));
      byDay.set(key, [...(byDay.get(key) ?? []), item]);
    }
    const {first, days, scale, month} = this.period;
    const weekdays = new Intl.DateTimeFormat(this.locale, {weekday: 'short', timeZone: 'UTC'});
    const dayName = (d: CivilDate) => weekdays.format(new Date(Date.UTC(d.year, d.month - 1, d.day, 12)));
    const head = h('tr', {}, ...Array.from({length: 7}, (_, i) => h('th', {scope: 'col'}, dayName(addDays(first, i)))));
    const rows: HTMLElement[] = [];
    for (let week = 0; week < days / 7; week++) {
      const cells = Array.from({length: 7}, (_, i) => {
        const day = addDays(first, week * 7 + i);
        return this.cell(day, byDay.get(isoDate(day)) ?? [], scale === 'month' && day.month !== month.month);
      });
      rows.push(h('tr', {}, ...cells));
    }
    const status = items === null ? h('p', {class: 'calendar-note', 'aria-live': 'polite'}, note) : note ? h('p', {class: isError ? 'calendar-note error' : 'calendar-note', role: isError ? 'alert' : null}, note) : null;
    const empty = items && items.length === 0 && !isError ? h('p', {class: 'calendar-note'}, 'Nothing here — zoom out or change filters.') : null;
    this.root.setAttribute('aria-busy', String(items === null));
    this.root.replaceChildren(
      this.toolbar(),
      status ?? empty ?? h('span', {hidden: true}),
      h('div', {class: 'calendar-scroll'}, h('table', {class: `calendar-grid calendar-${scale}`}, h('thead', {}, head), h('tbody', {}, ...rows))),
    );
  }

  private cell(day: CivilDate, items: EventItem[], outside: boolean): HTMLTableCellElement {
    const sorted = [...items].sort((a, b) => a.starts_at.localeCompare(b.starts_at));
    const limit = this.period.scale === 'month' ? MAX_PER_DAY_IN_MONTH : Infinity;
    const shown = sorted.slice(0, limit);
    const label = new Intl.DateTimeFormat(this.locale, {weekday: 'long', day: 'numeric', month: 'long', timeZone: this.timeZone}).format(zonedToInstant(day, 12, 0, this.timeZone));
    const more = sorted.length - shown.length;
    const moreButton = more > 0 ? h('button', {type: 'button', class: 'cal-more'}, `+${more} more`) : null;
    moreButton?.addEventListener('click', () => {
      this.cb.onScale('week');
      this.show(periodFor('week', day), compareDates(day, this.today()) === 0);
    });
    const today = compareDates(day, this.today()) === 0;
    return h(
      'td',
      {
        class: `${outside ? 'outside' : ''}${today ? ' today' : ''}`,
        'data-date': isoDate(day),
        'aria-current': today ? 'date' : null,
        'aria-label': `${label}: ${sorted.length} event${sorted.length === 1 ? '' : 's'}`,
      },
      h('span', {class: 'cal-day', 'aria-hidden': 'true'}, String(day.day)),
      h('ul', {class: 'cal-events'}, ...shown.map((item) => h('li', {}, this.entry(item)))),
      moreButton,
    );
  }

  /** Today at the place on the map. */
  private today(): CivilDate {
    return civilDate(new Date(), this.timeZone);
  }

  private entry(item: EventItem): HTMLButtonElement {
    const button = h('button', {type: 'button', class: 'cal-event', 'data-id': item.id, title: item.title}, dot(categoryColor(item.category)), h('span', {class: 'cal-time'}, formatTimeOfDay(item.starts_at, item.timezone, this.locale)), h('span', {class: 'cal-title'}, item.title));
    button.addEventListener('click', () => this.cb.onOpen(item, button));
    return button;
  }
}
