/** The filter controls: category chips, date presets, custom range, free only, max price, search. */
import {CATEGORIES} from '../lib/categories';
import {DATE_PRESETS, DEFAULT_FILTERS, type Filters, normalizeFilters, PRESET_LABELS} from '../lib/filters';
import {byId, dot, h} from './dom';

export class FiltersPanel {
  private filters: Filters = DEFAULT_FILTERS;
  private readonly chips = new Map<string, HTMLButtonElement>();
  private readonly presets = new Map<string, HTMLInputElement>();
  private readonly search = byId<HTMLInputElement>('search');
  private readonly from = byId<HTMLInputElement>('date-from');
  private readonly to = byId<HTMLInputElement>('date-to');
  private readonly free = byId<HTMLInputElement>('free-only');
  private readonly priceMax = byId<HTMLSelectElement>('price-max');
  private readonly customRange = byId('custom-range');
  private readonly badge = byId('filters-badge');
  private searchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly onChange: (filters: Filters) => void) {
    this.buildChips();
    this.buildPresets();
    byId('search-form').addEventListener('submit', (e) => {
      e.preventDefault();
      clearTimeout(this.searchTimer);
      this.emit({q: this.search.value});
    });
    this.search.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.emit({q: this.search.value}), 400);
    });
    const range = () => this.emit({when: 'custom', from: this.from.value || null, to: this.to.value || null});
    this.from.addEventListener('change', range);
    this.to.addEventListener('change', range);
    this.free.addEventListener('change', () => this.emit({free: this.free.checked}));
    this.priceMax.addEventListener('change', () => this.emit({priceMax: this.priceMax.value ? Number(this.priceMax.value) : null}));
    byId('reset-filters').addEventListener('click', () => this.emit({...DEFAULT_FILTERS}));
    const toggle = byId<HTMLButtonElement>('filters-toggle');
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      document.getElementById('app')?.classList.toggle('filters-open', open);
    });
  }

  private buildChips(): void {
    const root = byId('category-chips');
    for (const c of CATEGORIES) {
      const chip = h('button', {type: 'button', class: 'chip', 'aria-pressed': 'false', 'data-category': c.slug}, dot(c.color), c.name);
      chip.addEventListener('click', () => {
        const selected = new Set(this.filters.categories);
        if (selected.has(c.slug)) selected.delete(c.slug);
        else selected.add(c.slug);
        this.emit({categories: [...selected]});
      });
      this.chips.set(c.slug, chip);
      root.append(chip);
    }
  }

  private buildPresets(): void {
    const root = byId('date-presets');
    for (const preset of DATE_PRESETS) {
      const input = h('input', {type: 'radio', name: 'when', value: preset, class: 'sr-only-input', id: `when-${preset}`});
      input.addEventListener('change', () => {
        if (input.checked) this.emit(preset === 'custom' ? {when: 'custom', from: this.from.value || null, to: this.to.value || null} : {when: preset, from: null, to: null});
      });
      this.presets.set(preset, input);
      root.append(h('label', {class: 'chip chip-radio', for: `when-${preset}`}, input, PRESET_LABELS[preset]));
    }
  }

  private emit(change: Partial<Filters>): void {
    this.onChange(normalizeFilters({...this.filters, ...change}));
  }

  /** Show `filters` without emitting a change (used on load, on back/forward and after emits). */
  render(filters: Filters): void {
    this.filters = filters;
    for (const [slug, chip] of this.chips) chip.setAttribute('aria-pressed', String(filters.categories.includes(slug)));
    for (const [preset, input] of this.presets) input.checked = preset === filters.when;
    this.customRange.hidden = filters.when !== 'custom';
    if (document.activeElement !== this.search) this.search.value = filters.q;
    this.from.value = filters.from ?? '';
    this.to.value = filters.to ?? '';
    this.free.checked = filters.free;
    this.priceMax.value = filters.priceMax === null ? '' : String(filters.priceMax);
    if (this.priceMax.value === '' && filters.priceMax !== null) {
      this.priceMax.append(h('option', {value: String(filters.priceMax)}, `Up to ${filters.priceMax / 100}`));
      this.priceMax.value = String(filters.priceMax);
    }
    this.priceMax.disabled = filters.free;
    const active =
      filters.categories.length + (filters.when !== 'upcoming' ? 1 : 0) + (filters.free ? 1 : 0) + (filters.priceMax !== null ? 1 : 0) + (filters.q ? 1 : 0);
    this.badge.hidden = active === 0;
    this.badge.textContent = String(active);
    this.badge.setAttribute('aria-label', `${active} active`);
  }
}
