/** The discovery API: typed responses, problem+json errors, and cancellation of stale requests. */

export interface Venue {
  id: string;
  name: string;
  lat: number;
  lon: number;
}

export interface EventItem {
  id: string;
  title: string;
  category: string;
  tags: string[];
  starts_at: string;
  ends_at: string | null;
  timezone: string;
  venue: Venue | null;
  lat?: number;
  lon?: number;
  is_free: boolean;
  price_min: number | null;
  price_max: number | null;
  currency: string | null;
  popularity: number;
  status: string;
  distance_m?: number;
}

export interface EventDetail extends EventItem {
  description: string;
  organizer: {id: string; name: string} | null;
  lat: number;
  lon: number;
  capacity: number | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** One invalid field of a problem: `param` names it (`password`, `home.lat`), or null for the whole request. */
export interface FieldError {
  param: string | null;
  message: string;
}

/** An RFC 9457 problem, or a network failure dressed as one so callers handle a single type. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly param: string | null = null,
    /** Every invalid field (a 422 lists them all); for other problems the one `param`, if any. */
    readonly errors: FieldError[] = param ? [{param, message: detail}] : [],
    /** The last part of the problem's `type` (`wrong-credentials`, `weak-password`…), or ''. */
    readonly code = '',
    /** Seconds to wait before trying again (429, 503), from Retry-After. */
    readonly retryAfter: number | null = null,
  ) {
    super(detail || title);
    this.name = 'ApiError';
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** `cache: 'no-cache'` asks the server again past the browser's copy (an answer known to have changed). */
export async function getJson<T>(url: string, signal?: AbortSignal, fetcher: typeof fetch = fetch, cache?: RequestCache): Promise<T> {
  let response: Response;
  try {
    response = await fetcher(url, {signal, headers: {Accept: 'application/json'}, ...(cache ? {cache} : {})});
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(0, 'Network error', 'Could not reach the server. Check your connection and try again.');
  }
  if (!response.ok) throw await problemFrom(response);
  return (await response.json()) as T;
}

/** The problem an unsuccessful response describes (problem+json, or only its status when the body is not). */
export async function problemFrom(response: Response): Promise<ApiError> {
  const wait = Number(response.headers.get('Retry-After'));
  const retryAfter = Number.isFinite(wait) && wait > 0 ? wait : null;
  let body: {title?: unknown; detail?: unknown; param?: unknown; errors?: unknown; type?: unknown};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    return new ApiError(response.status, response.statusText || 'Error', `The server answered ${response.status}.`, null, [], '', retryAfter);
  }
  const text = (value: unknown) => (typeof value === 'string' && value ? value : null);
  const title = text(body.title) ?? response.statusText ?? 'Error';
  const detail = text(body.detail) ?? title ?? `HTTP ${response.status}`;
  const param = text(body.param);
  const listed = Array.isArray(body.errors)
    ? body.errors
        .filter((e): e is {param?: unknown; message?: unknown} => typeof e === 'object' && e !== null)
        .map((e) => ({param: text(e.param), message: text(e.message) ?? 'invalid'}))
    : [];
  const errors = listed.length ? listed : param ? [{param, message: detail}] : [];
  const code = (text(body.type) ?? '').split('/').pop() ?? '';
  return new ApiError(response.status, title, detail, param, errors, code, retryAfter);
}

/** Where an event is: its venue, or its own point. */
export function eventPoint(e: Pick<EventItem, 'venue' | 'lat' | 'lon'>): {lat: number; lon: number} | null {
  if (e.venue) return {lat: e.venue.lat, lon: e.venue.lon};
  if (typeof e.lat === 'number' && typeof e.lon === 'number') return {lat: e.lat, lon: e.lon};
  return null;
}

/**
 * Runs one request at a time: starting a new one aborts the one before, so a slow answer for an
 * old viewport can never overwrite the answer for the current one.
 */
export class LatestOnly {
  private controller: AbortController | null = null;

  async run<T>(task: (signal: AbortSignal) => Promise<T>): Promise<{stale: true} | {stale: false; value: T}> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    try {
      const value = await task(controller.signal);
      return controller.signal.aborted ? {stale: true} : {stale: false, value};
    } catch (error) {
      if (controller.signal.aborted || isAbort(error)) return {stale: true};
      throw error;
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  cancel(): void {
    this.controller?.abort();
    this.controller = null;
  }
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & {cancel(): void} {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wrapped = (...args: A) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}
