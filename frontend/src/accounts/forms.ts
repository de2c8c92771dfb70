/**
 * Accessible forms: every field has a label, hints and errors are tied to it (`aria-describedby`,
 * `aria-invalid`), Enter submits, the submit button says it is busy, and a refusal puts each
 * message next to the field the problem's `param` names and moves focus to the first of them.
 * Success and progress are announced from a polite live region; form-wide errors from an alert.
 */
import {ApiError, type FieldError} from '../lib/api';
import {h} from '../ui/dom';
import {checkFields, placeErrors} from './problems';

let serial = 0;
const uid = (name: string) => `f${++serial}-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

export interface FieldOptions {
  name: string;
  label: string;
  type?: string;
  value?: string;
  autocomplete?: string;
  required?: boolean;
  hint?: string;
  maxlength?: number;
  inputmode?: string;
  step?: string;
  min?: string;
  max?: string;
  accept?: string;
  /** The message when it is required and left empty. */
  missing?: string;
}

/** A labelled input with room for a hint and an error. */
export function field(o: FieldOptions): HTMLElement {
  const id = uid(o.name);
  const hintId = o.hint ? `${id}-hint` : null;
  const input = h('input', {
    id,
    name: o.name,
    type: o.type ?? 'text',
    value: o.value ?? null,
    autocomplete: o.autocomplete ?? null,
    required: o.required ?? false,
    maxlength: o.maxlength ?? null,
    inputmode: o.inputmode ?? null,
    step: o.step ?? null,
    min: o.min ?? null,
    max: o.max ?? null,
    accept: o.accept ?? null,
    'aria-describedby': hintId,
    'data-missing': o.missing ?? null,
    'data-label': o.label,
  });
  return h(
    'div',
    {class: 'field', 'data-field': o.name},
    h('label', {for: id}, o.label, o.required ? null : h('span', {class: 'optional'}, ' (optional)')),
    o.hint ? h('p', {class: 'field-hint', id: hintId}, o.hint) : null,
    input,
  );
}

/** A labelled select. */
export function select(name: string, label: string, options: readonly (readonly [string, string])[], value: string, hint?: string): HTMLElement {
  const id = uid(name);
  const hintId = hint ? `${id}-hint` : null;
  const el = h('select', {id, name, 'aria-describedby': hintId, 'data-label': label});
  for (const [v, text] of options) el.append(h('option', {value: v, selected: v === value}, text));
  return h('div', {class: 'field', 'data-field': name}, h('label', {for: id}, label), hint ? h('p', {class: 'field-hint', id: hintId}, hint) : null, el);
}

/** A checkbox with its label after it. */
export function checkbox(name: string, label: string, checked: boolean, value = 'on'): HTMLElement {
  const id = uid(name);
  return h(
    'div',
    {class: 'field field-check', 'data-field': name},
    h('input', {id, type: 'checkbox', name, value, checked}),
    h('label', {for: id}, label),
  );
}

/** A group of radio buttons or checkboxes under a legend; errors for `name` show under the legend. */
export function choices(
  name: string,
  legend: string,
  type: 'radio' | 'checkbox',
  options: readonly (readonly [string, string])[],
  selected: readonly string[],
): HTMLFieldSetElement {
  return h(
    'fieldset',
    {class: 'field choices', 'data-field': name},
    h('legend', {}, legend),
    h(
      'div',
      {class: 'choices-list'},
      ...options.map(([value, text]) => {
        const id = uid(`${name}-${value}`);
        return h('span', {class: 'choice'}, h('input', {id, type, name, value, checked: selected.includes(value)}), h('label', {for: id}, text));
      }),
    ),
  );
}

export function submitButton(text: string, cls = 'btn btn-primary'): HTMLButtonElement {
  return h('button', {type: 'submit', class: cls}, text);
}

/** A "show password" switch for the password fields of a form. */
export function showPasswords(form: HTMLFormElement): HTMLElement {
  const box = checkbox('show-password', 'Show password', false);
  const input = box.querySelector('input')!;
  input.removeAttribute('name'); // not part of the form's data
  input.addEventListener('change', () => {
    for (const el of form.querySelectorAll<HTMLInputElement>('input[data-password]')) el.type = input.checked ? 'text' : 'password';
  });
  return box;
}

export type Submit = (data: FormData, form: HTMLFormElement) => Promise<void>;

/**
 * A form that checks what it can, sends, and shows the answer. `onSubmit` throws an `ApiError`
 * to refuse; whatever it resolves is a success (it says so itself with `status`).
 */
export class FormController {
  readonly status: HTMLElement;
  private readonly alert: HTMLElement;
  private busy = false;

  constructor(
    readonly form: HTMLFormElement,
    private readonly onSubmit: Submit,
  ) {
    form.noValidate = true; // our messages, in our places, announced the same way as the server's
    this.alert = h('div', {class: 'form-alert', role: 'alert', hidden: true});
    this.status = h('p', {class: 'form-status', role: 'status', 'aria-live': 'polite'});
    form.prepend(this.alert);
    form.append(this.status);
    for (const input of form.querySelectorAll<HTMLInputElement>('input[type=password]')) input.dataset.password = '';
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
  }

  async submit(): Promise<void> {
    if (this.busy) return;
    this.clear();
    const errors = checkFields(this.checkable());
    if (errors.length) {
      this.showErrors(errors);
      return;
    }
    this.setBusy(true);
    try {
      await this.onSubmit(new FormData(this.form), this.form);
    } catch (error) {
      this.showError(error);
    } finally {
      this.setBusy(false);
    }
  }

  say(text: string): void {
    this.status.textContent = text;
  }

  /** Show any failure: a problem next to its fields, anything else at the top. */
  showError(error: unknown): void {
    if (error instanceof ApiError) {
      const errors = error.errors.length ? error.errors : [{param: null, message: error.detail || error.title}];
      this.showErrors(error.retryAfter ? errors.map((e) => ({...e, message: `${e.message} (try again in ${wait(error.retryAfter!)})`})) : errors);
    } else {
      this.showErrors([{param: null, message: error instanceof Error ? error.message : String(error)}]);
    }
  }

  /** `focus`: false for checks made while typing, which must not move the caret. */
  showErrors(errors: readonly FieldError[], focus = true): void {
    const names = [...this.form.querySelectorAll<HTMLElement>('[data-field]')].map((el) => el.dataset.field!);
    const placed = placeErrors(errors, names);
    let first: HTMLElement | null = null;
    for (const [name, messages] of placed.byField) {
      const wrapper = this.form.querySelector<HTMLElement>(`[data-field="${CSS.escape(name)}"]`)!;
      const control = wrapper.querySelector<HTMLElement>('input, select, textarea')!;
      const error = h('p', {class: 'field-error', id: `${control.id}-error`}, messages.join(' '));
      const legend = wrapper.querySelector('legend');
      if (legend) legend.after(error);
      else wrapper.querySelector('label')!.after(error);
      for (const c of wrapper.querySelectorAll<HTMLElement>('input, select, textarea')) {
        c.setAttribute('aria-invalid', 'true');
        c.setAttribute('aria-describedby', [error.id, c.getAttribute('aria-describedby')].filter(Boolean).join(' '));
      }
      first ??= control;
    }
    if (placed.general.length) {
      this.alert.replaceChildren(...placed.general.map((m) => h('p', {}, m)));
      this.alert.hidden = false;
    }
    if (!focus) return;
    if (first) first.focus();
    else if (placed.general.length) {
      this.alert.tabIndex = -1;
      this.alert.focus();
    }
  }

  clear(): void {
    this.alert.hidden = true;
    this.alert.replaceChildren();
    this.status.textContent = '';
    for (const el of this.form.querySelectorAll('.field-error')) el.remove();
    for (const c of this.form.querySelectorAll<HTMLElement>('[aria-invalid]')) {
      c.removeAttribute('aria-invalid');
      const rest = (c.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && !id.endsWith('-error'));
      if (rest.length) c.setAttribute('aria-describedby', rest.join(' '));
      else c.removeAttribute('aria-describedby');
    }
  }

  private checkable() {
    return [...this.form.querySelectorAll<HTMLInputElement>('input[data-label]')]
      .filter((i) => !i.disabled && !i.closest('[hidden]'))
      .map((i) => ({name: i.name, label: i.dataset.label!, value: i.value, required: i.required, type: i.type, missing: i.dataset.missing}));
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.form.setAttribute('aria-busy', String(busy));
    for (const button of this.form.querySelectorAll<HTMLButtonElement>('button[type=submit]')) button.disabled = busy;
  }
}

function wait(seconds: number): string {
  return seconds < 90 ? `${Math.ceil(seconds)} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}

/** A small section of a page with its heading (h2) and id for `aria-labelledby`. */
export function section(id: string, title: string, ...children: (Node | null)[]): HTMLElement {
  return h('section', {class: 'panel', 'aria-labelledby': `${id}-title`, id}, h('h2', {id: `${id}-title`}, title), ...children);
}

/** A form element with the given children (a plain helper: forms are built in many places). */
export function form(label: string | null, ...children: (Node | null)[]): HTMLFormElement {
  return h('form', {class: 'form', 'aria-label': label}, ...children);
}
