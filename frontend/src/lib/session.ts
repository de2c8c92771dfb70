/**
 * The web sign-in session.
 *
 * The refresh token lives in an HttpOnly cookie scoped to `/api/v1/auth` (no script can read it);
 * the access token lives only here, in memory, and goes out as `Authorization: Bearer`. A reload
 * starts with no access token and asks `POST /api/v1/auth/refresh` for one, with the CSRF token
 * from the readable `hp_csrf` cookie in `X-CSRF-Token` (the server checks both, and the origin).
 *
 * Token lifetimes are followed with timers only (refresh a while before `expires_in` runs out),
 * never by reading the clock: the browser's clock may be wrong, or pinned by a test, and the
 * server's is the one that counts. A request answered 401 refreshes once and is sent again, which
 * also covers timers a sleeping laptop held back.
 *
 * Refreshing rotates the refresh token and the server ends the whole session when a rotated token
 * is presented again, so two refreshes must never race: within a page they share one promise, and
 * across tabs they take turns under a Web Lock (each then sends the cookie the previous one set).
 */
import {ApiError, isAbort, problemFrom} from './api';

export const CSRF_COOKIE = 'hp_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';
const REFRESH_URL = '/api/v1/auth/refresh';
const LOGIN_URL = '/api/v1/auth/login';
const LOGOUT_URL = '/api/v1/auth/logout';
const LOGOUT_ALL_URL = '/api/v1/auth/logout-all';
const ME_URL = '/api/v1/me';
const LOCK = 'happenings-session-refresh';
const CHANNEL = 'happenings-session';
const REFRESH_TIMEOUT_MS = 15_000;

export interface Home {
  precision: 'area' | 'exact';
  lat: number;
  lon: number;
  cell: string | null;
  radius_m: number | null;
  consented_at: string;
}

/** The signed-in person: `GET /api/v1/me` (account and profile fields). */
export interface Me {
  id: string;
  email: string;
  email_verified: boolean;
  role: string;
  display_name: string | null;
  avatar_url?: string | null;
  locale?: string | null;
  time_zone?: string | null;
  units?: 'metric' | 'imperial';
  interests?: string[];
  home?: Home | null;
}

export interface TokenAnswer {
  access_token: string;
  expires_in: number;
  csrf_token?: string | null;
}

export type SessionState = 'unknown' | 'signed-out' | 'signed-in';
/** Why the session ended: asked for here, in another tab, or by the server (expired, revoked). */
export type EndReason = 'signed-out' | 'elsewhere' | 'ended';
export type SessionListener = (state: SessionState, account: Me | null, reason: EndReason | null) => void;

/** When to refresh an access token valid for `expiresInS` seconds: once four fifths of its life are
 * gone, but at least 30 s before its end (and never sooner than 5 s from now). */
export function refreshDelayMs(expiresInS: number): number {
  const early = Math.max(30, expiresInS / 5);
  return Math.max(5, expiresInS - early) * 1000;
}

/** After a failed refresh (network, 5xx), wait 2, 4, 8 … s, at most a minute, before the next try. */
export function retryDelayMs(attempt: number): number {
  return Math.min(60_000, 2000 * 2 ** Math.max(0, attempt));
}

/** The value of a cookie in a `document.cookie` string, or null. */
export function cookieValue(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

/** What the session needs from the browser; tests pass their own. */
export interface SessionDeps {
  fetch: typeof fetch;
  csrfToken: () => string | null;
  forgetCsrfToken: () => void;
  /** Runs `task` while no other tab of this origin runs a task under the same name. */
  exclusive: <T>(name: string, task: () => Promise<T>) => Promise<T>;
  /** Tells the other tabs, and hears from them. */
  channel: {post: (message: string) => void; listen: (handler: (message: string) => void) => void} | null;
}

export function browserDeps(): SessionDeps {
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
  return {
    fetch: (input, init) => fetch(input, init),
    csrfToken: () => cookieValue(document.cookie, CSRF_COOKIE),
    forgetCsrfToken: () => (document.cookie = `${CSRF_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax`),
    exclusive: <T>(name: string, task: () => Promise<T>) => (navigator.locks ? (navigator.locks.request(name, task) as Promise<T>) : task()),
    channel: channel && {
      post: (message) => channel.postMessage(message),
      listen: (handler) => channel.addEventListener('message', (e: MessageEvent) => typeof e.data === 'string' && handler(e.data)),
    },
  };
}

const networkError = () => new ApiError(0, 'Network error', 'Could not reach the server. Check your connection and try again.');

export class Session {
  state: SessionState = 'unknown';
  account: Me | null = null;
  private token: string | null = null;
  /** True while the access token is within its lifetime, as far as the timers know. */
  private fresh = false;
  private refreshing: Promise<boolean> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private readonly listeners = new Set<SessionListener>();
  /** Settles once the first `start` has found out whether someone is signed in. */
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly deps: SessionDeps = browserDeps()) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    deps.channel?.listen((message) => {
      if (message === 'signed-out' && this.state === 'signed-in') this.end('elsewhere', false);
      if (message === 'signed-in' && this.state !== 'signed-in') void this.start();
      if (message === 'account' && this.state === 'signed-in') void this.loadAccount();
    });
  }

  subscribe(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** On page load (and when another tab signs in): pick up the session the cookie holds, if any. */
  async start(): Promise<void> {
    try {
      if (!this.deps.csrfToken()) {
        if (this.state !== 'signed-out') this.setState('signed-out', null);
        return;
      }
      if (await this.refresh()) await this.loadAccount();
      else if (this.state === 'unknown') this.setState('signed-out', null);
    } catch {
      // The server is unreachable: nobody is shown as signed in; the next request will try again.
      if (this.state === 'unknown') this.setState('signed-out', null);
    } finally {
      this.markReady();
    }
  }

  /** Email and password → a web session (the refresh token goes into the HttpOnly cookie). */
  async signIn(email: string, password: string): Promise<Me> {
    let response: Response;
    try {
      response = await this.deps.fetch(LOGIN_URL, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {Accept: 'application/json', 'Content-Type': 'application/json'},
        body: JSON.stringify({email, password, session_cookie: true}),
      });
    } catch {
      throw networkError();
    }
    if (!response.ok) throw await problemFrom(response);
    this.accept((await response.json()) as TokenAnswer);
    const account = await this.loadAccount();
    this.deps.channel?.post('signed-in');
    return account;
  }

  /** End this session (or, with `everywhere`, every session of the account) on the server, then here. */
  async signOut(everywhere = false): Promise<void> {
    const response = everywhere ? await this.fetch(LOGOUT_ALL_URL, {method: 'POST'}) : await this.logout();
    // 401: there was nothing left to end.
    if (!response.ok && response.status !== 401) throw await problemFrom(response);
    this.end('signed-out', true);
  }

  /** Logout names its session by the refresh cookie (with the CSRF header), so a stale access token
   * does not stand in the way; under the refresh lock, so it sends the cookie's latest token. */
  private logout(): Promise<Response> {
    return this.deps.exclusive(LOCK, async () => {
      const headers: Record<string, string> = {Accept: 'application/json', ...this.csrfHeader()};
      if (this.token) headers.Authorization = `Bearer ${this.token}`;
      try {
        return await this.deps.fetch(LOGOUT_URL, {method: 'POST', credentials: 'same-origin', headers});
      } catch {
        throw networkError();
      }
    });
  }

  /** The server ended the session (password reset, erased account): forget it here too. */
  forget(): void {
    if (this.state === 'signed-in') this.end('signed-out', true);
    else this.deps.forgetCsrfToken();
  }

  /** `GET /api/v1/me` again (after a change of profile or email verification). */
  async loadAccount(): Promise<Me> {
    const me = await this.json<Me>(ME_URL);
    this.setState('signed-in', me);
    return me;
  }

  /** Show a changed account (e.g. the answer of `PATCH /me`) without asking again. */
  updateAccount(me: Me): void {
    if (this.state !== 'signed-in') return;
    this.setState('signed-in', me);
    this.deps.channel?.post('account');
  }

  /** `fetch` with the access token; a 401 refreshes once and sends the request again. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const token = await this.accessToken();
    if (!token) throw new ApiError(401, 'Not signed in', 'Sign in to continue.', null, [], 'unauthorized');
    let response = await this.send(url, init, token);
    if (response.status === 401) {
      this.fresh = false;
      const renewed = (await this.refresh()) && this.token;
      if (renewed) response = await this.send(url, init, renewed);
      // Refused again with a token just issued: the session is gone (a failed refresh ended it already).
      if (renewed && response.status === 401) this.end('ended', false);
    }
    return response;
  }

  /** `fetch`, then the JSON body (undefined for 204), or the problem as an `ApiError`. */
  async json<T>(url: string, init: RequestInit = {}): Promise<T> {
    const response = await this.fetch(url, init);
    if (!response.ok) throw await problemFrom(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  /** The page came back into view: timers may have slept, so refresh now if the token is stale. */
  wake(): void {
    if (this.state === 'signed-in' && !this.fresh) void this.refresh();
  }

  /** One refresh at a time per page (callers share it) and per browser (a Web Lock). True when signed in after it. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.deps
      .exclusive(LOCK, () => this.refreshNow())
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private async refreshNow(): Promise<boolean> {
    const csrf = this.deps.csrfToken();
    if (!csrf) {
      if (this.state === 'signed-in') this.end('ended', false);
      return false;
    }
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), REFRESH_TIMEOUT_MS);
    let response: Response;
    try {
      response = await this.deps.fetch(REFRESH_URL, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {Accept: 'application/json', [CSRF_HEADER]: csrf},
        signal: controller.signal,
      });
    } catch (error) {
      if (!isAbort(error) && this.state === 'unknown') throw networkError();
      this.retryLater();
      return this.fresh;
    } finally {
      clearTimeout(timeout);
    }
    if (response.ok) {
      this.accept((await response.json()) as TokenAnswer);
      return true;
    }
    if (response.status === 401 || response.status === 403) {
      // The session is over (expired, revoked, signed out elsewhere) or its cookies do not match.
      this.deps.forgetCsrfToken();
      if (this.state === 'signed-in') this.end('ended', false);
      return false;
    }
    this.retryLater(); // 429, 5xx: the session may well be fine; try again soon
    return this.fresh;
  }

  private accept(answer: TokenAnswer): void {
    this.token = answer.access_token;
    this.fresh = true;
    this.failures = 0;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.expiryTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), refreshDelayMs(answer.expires_in));
    // A little before the server's end of it, so a request is never sent with a token about to lapse.
    this.expiryTimer = setTimeout(() => (this.fresh = false), Math.max(0, answer.expires_in - 5) * 1000);
  }

  private retryLater(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), retryDelayMs(this.failures++));
  }

  private async accessToken(): Promise<string | null> {
    if (this.token && this.fresh) return this.token;
    if (this.state === 'signed-out' && !this.deps.csrfToken()) return null;
    return (await this.refresh()) ? this.token : null;
  }

  private async send(url: string, init: RequestInit, token: string): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    try {
      return await this.deps.fetch(url, {...init, headers, credentials: 'same-origin'});
    } catch (error) {
      if (isAbort(error)) throw error;
      throw networkError();
    }
  }

  private csrfHeader(): Record<string, string> {
    const csrf = this.deps.csrfToken();
    return csrf ? {[CSRF_HEADER]: csrf} : {};
  }

  private end(reason: EndReason, tellOthers: boolean): void {
    clearTimeout(this.refreshTimer);
    clearTimeout(this.expiryTimer);
    this.token = null;
    this.fresh = false;
    if (reason !== 'elsewhere') this.deps.forgetCsrfToken();
    if (tellOthers) this.deps.channel?.post('signed-out');
    this.setState('signed-out', null, reason);
  }

  private setState(state: SessionState, account: Me | null, reason: EndReason | null = null): void {
    this.state = state;
    this.account = account;
    for (const listener of this.listeners) listener(state, account, reason);
  }
}
