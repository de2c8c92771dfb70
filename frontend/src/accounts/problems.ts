/**
 * Where a problem's messages go on a form: next to the field its `param` names, or at the top of
 * the form when it names none (or one the form does not have). Pure, so it is tested on its own.
 */
import type {FieldError} from '../lib/api';

export interface Placed {
  /** Field name → its messages, in the order the fields were given (the first is focused). */
  byField: Map<string, string[]>;
  /** Messages about the whole form. */
  general: string[];
}

/**
 * The field a `param` belongs to: the field of that name, or of a shorter prefix of it
 * (`interests.3` → `interests`, `home.lat` → `home.lat` or else `home`).
 */
export function fieldFor(param: string | null, fields: readonly string[]): string | null {
  if (!param) return null;
  const parts = param.split('.');
  for (let n = parts.length; n > 0; n--) {
    const name = parts.slice(0, n).join('.');
    if (fields.includes(name)) return name;
  }
  return null;
}

/** Readable text for pydantic's messages ("String should have at least 1 character" stays as is). */
export function sentence(message: string): string {
  const text = message.trim().replace(/^Value error, /, '');
  if (!text) return 'This value is not valid.';
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

export function placeErrors(errors: readonly FieldError[], fields: readonly string[]): Placed {
  const found = new Map<string, string[]>();
  const general: string[] = [];
  for (const error of errors) {
    const field = fieldFor(error.param, fields);
    if (field === null) general.push(sentence(error.message));
    else found.set(field, [...(found.get(field) ?? []), sentence(error.message)]);
  }
  const byField = new Map<string, string[]>();
  for (const name of fields) if (found.has(name)) byField.set(name, found.get(name)!);
  return {byField, general};
}

export interface Checkable {
  name: string;
  label: string;
  value: string;
  required: boolean;
  type: string;
  /** The message when a required field is empty (default: "Enter a …" from the label). */
  missing?: string;
}

/** The checks done before sending (the server checks everything again): required and email fields. */
export function checkFields(fields: readonly Checkable[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const f of fields) {
    const value = f.value.trim();
    if (f.required && !value) errors.push({param: f.name, message: f.missing ?? `Enter ${article(f.label)}`});
    else if (f.type === 'email' && value && !/^[^\s@]+@[^\s@]+$/.test(value)) {
      errors.push({param: f.name, message: 'Enter an email address like name@example.com'});
    }
  }
  return errors;
}

function article(label: string): string {
  const lower = label.charAt(0).toLowerCase() + label.slice(1);
  if (/^(your|a|an|the)\b/.test(lower)) return lower;
  return /^[aeiou]/.test(lower) ? `an ${lower}` : `a ${lower}`;
}
