/** Messages that must be seen: errors, "link copied", location denied. Nothing fails silently. */
import {h} from './dom';

export type ToastKind = 'info' | 'error';

export class Toasts {
  private readonly shown = new Map<string, HTMLElement>();

  constructor(private readonly root: HTMLElement) {}

  /** Show a message; the same `key` replaces the previous one instead of stacking. */
  show(text: string, kind: ToastKind = 'info', key = text, timeoutMs = kind === 'error' ? 8000 : 3500): void {
    this.dismiss(key);
    const close = h('button', {class: 'toast-close', type: 'button', 'aria-label': 'Dismiss message'}, '×');
    const el = h('div', {class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status'}, h('span', {}, text), close);
    close.addEventListener('click', () => this.dismiss(key));
    this.root.append(el);
    this.shown.set(key, el);
    if (timeoutMs > 0) setTimeout(() => this.shown.get(key) === el && this.dismiss(key), timeoutMs);
  }

  dismiss(key: string): void {
    this.shown.get(key)?.remove();
    this.shown.delete(key);
  }
}
