/** Drag through the coming days; the map and the list show what is on that day. */
import {type Filters, singleDay} from '../lib/filters';
import {addDays, type CivilDate, civilDate, compareDates, parseIsoDate, zonedToInstant} from '../lib/time';
import {byId, h} from './dom';

export const SLIDER_DAYS = 14;

export class TimeSlider {
  private readonly root = byId('time-slider');
  private readonly range = byId<HTMLInputElement>('ts-range');
  private readonly value = byId<HTMLOutputElement>('ts-value');
  private readonly clear = byId<HTMLButtonElement>('ts-clear');
  private today: CivilDate;

  /** `onPick(day, settled)`: settled is false while dragging, true when released. */
  constructor(
    private readonly locale: string,
    private readonly timeZone: string,
    now: Date,
    onPick: (day: CivilDate | null, settled: boolean) => void,
  ) {
    this.today = civilDate(now, timeZone);
    this.range.max = String(SLIDER_DAYS - 1);
    this.range.addEventListener('input', () => {
      this.describe(this.day());
      onPick(this.day(), false);
    });
    this.range.addEventListener('change', () => onPick(this.day(), true));
    this.clear.addEventListener('click', () => onPick(null, true));
    this.ticks();
  }

  private day(): CivilDate {
    return addDays(this.today, Number(this.range.value));
  }

  private label(day: CivilDate, long = false): string {
    const instant = zonedToInstant(day, 12, 0, this.timeZone);
    const fmt = new Intl.DateTimeFormat(this.locale, {
      weekday: long ? 'long' : 'short',
      day: 'numeric',
      month: long ? 'long' : 'short',
      timeZone: this.timeZone,
    });
    const offset = compareDates(day, this.today) === 0 ? 'Today, ' : compareDates(day, addDays(this.today, 1)) === 0 ? 'Tomorrow, ' : '';
    return offset + fmt.format(instant);
  }

  private ticks(): void {
    const fmt = new Intl.DateTimeFormat(this.locale, {weekday: 'narrow', timeZone: this.timeZone});
    const ticks = [];
    for (let i = 0; i < SLIDER_DAYS; i++) {
      const day = addDays(this.today, i);
      const weekday = new Date(Date.UTC(day.year, day.month - 1, day.day)).getUTCDay();
      ticks.push(h('span', {class: weekday === 0 || weekday === 6 ? 'tick weekend' : 'tick'}, fmt.format(zonedToInstant(day, 12, 0, this.timeZone))));
    }
    byId('ts-ticks').replaceChildren(...ticks);
  }

  private describe(day: CivilDate | null): void {
    this.root.classList.toggle('is-idle', day === null);
    this.clear.hidden = day === null;
    this.value.textContent = day ? this.label(day) : 'Drag to explore the coming days';
    this.range.setAttribute('aria-valuetext', day ? this.label(day, true) : 'Not set: any time');
  }

  /** Reflect the filters: the slider is active when they select one day within its range. */
  render(filters: Filters): void {
    const day = parseIsoDate(singleDay(filters));
    const offset = day ? Math.round((Date.UTC(day.year, day.month - 1, day.day) - Date.UTC(this.today.year, this.today.month - 1, this.today.day)) / 86_400_000) : -1;
    const inRange = offset >= 0 && offset < SLIDER_DAYS;
    this.range.value = String(inRange ? offset : 0);
    this.describe(inRange ? day : null);
  }
}
