import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {TEST_NOW} from '../test-clock';
import {cookieValue, refreshDelayMs, retryDelayMs, Session, type SessionDeps} from './session';

/** A fake server for the auth endpoints: counts refreshes, can refuse or fail them. */
class FakeServer {
  refreshes = 0;
  meCalls = 0;
  csrf: string | null = 'csrf-1';
  expiresIn = 900;
  tokens = 0;
  refreshAnswer: 'ok' | 'refused' | 'down' = 'ok';
  /** Access tokens the API still accepts. */
  live = new Set<string>();
  log: string[] = [];

  deps(extra: Partial<SessionDeps> = {}): SessionDeps {
    return {
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => this.handle(String(input), init ?? {})) as typeof fetch,
      csrfToken: () => this.csrf,
      forgetCsrfToken: () => (this.csrf = null),
      exclusive: (_name, task) => task(),
      channel: null,
      ...extra,
    };
  }

  private issue(): Response {
    const token = `access-${++this.tokens}`;
    this.live.add(token);
    return Response.json({access_token: token, token_type: 'Bearer', expires_in: this.expiresIn, refresh_token: null, csrf_token: this.csrf});
  }

  private async handle(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    this.log.push(`${init.method ?? 'GET'} ${url}`);
    if (url === '/api/v1/auth/refresh') {
      this.refreshes++;
      expect(headers.get('X-CSRF-Token')).toBe(this.csrf);
      if (this.refreshAnswer === 'down') throw new TypeError('Failed to fetch');
      if (this.refreshAnswer === 'refused') return Response.json({title: 'Unauthorized'}, {status: 401});
      return this.issue();
    }
    if (url === '/api/v1/auth/login') {
      const body = JSON.parse(String(init.body));
      expect(body.session_cookie).toBe(true);
      if (body.password !== 'right horse battery') {
        return new Response(JSON.stringify({type: 'https://happenings.dev/problems/wrong-credentials', title: 'Wrong email or password', detail: 'the email or the password is wrong'}), {status: 401});
      }
      return this.issue();
    }
    if (url === '/api/v1/auth/logout') {
      expect(headers.get('X-CSRF-Token')).toBe(this.csrf); // the cookie names the session
      this.live.clear();
      this.csrf = null;
      return new Response(null, {status: 204});
    }
    const token = (headers.get('Authorization') ?? '').replace('Bearer ', '');
    if (!this.live.has(token)) return Response.json({title: 'Unauthorized'}, {status: 401, headers: {'WWW-Authenticate': 'Bearer error="invalid_token"'}});
    if (url === '/api/v1/me') {
      this.meCalls++;
      return Response.json({id: 'a1', email: 'ada@example.com', email_verified: true, role: 'user', display_name: 'Ada'});
    }
    if (url === '/api/v1/auth/logout-all') {
      this.live.clear();
      this.csrf = null;
      return new Response(null, {status: 204});
    }
    return Response.json({ok: true});
  }
}

describe('refresh timing', () => {
  it('refreshes at four fifths of the life, at least 30 s before the end', () => {
    expect(refreshDelayMs(900)).toBe(720_000);
    expect(refreshDelayMs(120)).toBe(90_000);
    expect(refreshDelayMs(30)).toBe(5_000);
    expect(retryDelayMs(0)).toBe(2000);
    expect(retryDelayMs(3)).toBe(16_000);
    expect(retryDelayMs(20)).toBe(60_000);
  });

  it('reads the CSRF cookie among others', () => {
    expect(cookieValue('a=1; hp_csrf=abc-DEF_1; b=2', 'hp_csrf')).toBe('abc-DEF_1');
    expect(cookieValue('hp_csrfx=1', 'hp_csrf')).toBeNull();
    expect(cookieValue('', 'hp_csrf')).toBeNull();
  });
});

describe('the session, with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers({toFake: ['Date', 'setTimeout', 'clearTimeout']});
    vi.setSystemTime(TEST_NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.useFakeTimers({toFake: ['Date']});
    vi.setSystemTime(TEST_NOW);
  });

  it('picks up the cookie session on load, then refreshes shortly before each token ends', async () => {
    const server = new FakeServer();
    const session = new Session(server.deps());
    await session.start();
    expect(session.state).toBe('signed-in');
    expect(session.account?.display_name).toBe('Ada');
    expect(server.refreshes).toBe(1);

    await vi.advanceTimersByTimeAsync(719_000);
    expect(server.refreshes).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.refreshes).toBe(2);
    // And again one period after that, on the new token.
    await vi.advanceTimersByTimeAsync(720_000);
    expect(server.refreshes).toBe(3);
  });

  it('does not read the wall clock: a page whose clock is pinned or wrong refreshes on time', async () => {
    const server = new FakeServer();
    const session = new Session(server.deps());
    await session.start();
    vi.setSystemTime(new Date('2019-06-01T00:00:00Z')); // a browser clock years off (or pinned by a test)
    await vi.advanceTimersByTimeAsync(720_000);
    expect(server.refreshes).toBe(2);
    vi.setSystemTime(new Date('2031-01-01T00:00:00Z'));
    await vi.advanceTimersByTimeAsync(720_000);
    expect(server.refreshes).toBe(3);
    expect(session.state).toBe('signed-in');
  });

  it('asks nothing when there is no session cookie', async () => {
    const server = new FakeServer();
    server.csrf = null;
    const session = new Session(server.deps());
    await session.start();
    expect(session.state).toBe('signed-out');
    expect(server.log).toEqual([]);
  });

  it('shares one refresh between callers: a refresh token is never sent twice', async () => {
    const server = new FakeServer();
    const session = new Session(server.deps());
    await Promise.all([session.refresh(), session.refresh(), session.json('/api/v1/me'), session.json('/api/v1/me/saved-events')]);
    expect(server.refreshes).toBe(1);
  });

  it('refreshes before a request once the token has run out (timers held back by sleep)', async () => {
    const server = new FakeServer();
    const session = new Session(server.deps());
    await session.start();
    server.live.clear(); // the server no longer takes the token
    const answer = await session.json<{ok: boolean}>('/api/v1/me/saved-events');
    expect(answer.ok).toBe(true);
    expect(server.refreshes).toBe(2);
    expect(server.log.slice(-3)).toEqual(['GET /api/v1/me/saved-events', 'POST /api/v1/auth/refresh', 'GET /api/v1/me/saved-events']);
  });

  it('ends the session when the server refuses the refresh (revoked, expired, logged out everywhere)', async () => {
    const server = new FakeServer();
    const session = new Session(server.deps());
    const reasons: (string | null)[] = [];
    session.subscribe((_s, _a, reason) => reasons.push(reason));
    await session.start();
    server.refreshAnswer = 'refused';
    await vi.advanceTimersByTimeAsync(720_000);
    expect(session.state).toBe('signed-out');
    expect(reasons.at(-1)).toBe('ended');
    expect(server.csrf).toBeNull(); // not tried again on the next load
  });

  it('keeps the session through a network failure and retries with growing waits', async () => {
    const server = new FakeServer();
    const session = new Session(server.deps());
    await session.start();
    server.refreshAnswer = 'down';
    await vi.advanceTimersByTimeAsync(720_000);
    expect(server.refreshes).toBe(2);
    expect(session.state).toBe('signed-in');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(server.refreshes).toBe(3);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(server.refreshes).toBe(4);
    server.refreshAnswer = 'ok';
    await vi.advanceTimersByTimeAsync(8_000);
    expect(server.refreshes).toBe(5);
    expect(session.state).toBe('signed-in');
    // Back on the normal rhythm.
    await vi.advanceTimersByTimeAsync(720_000);
    expect(server.refreshes).toBe(6);
  });

  it('signs in with the cookie session, refuses a wrong password with the problem', async () => {
    const server = new FakeServer();
    server.csrf = null;
    const session = new Session(server.deps());
    await session.start();
    const refused = await session.signIn('ada@example.com', 'wrong').catch((e: unknown) => e);
    expect(refused).toMatchObject({status: 401, code: 'wrong-credentials'});
    expect(session.state).toBe('signed-out');
    server.csrf = 'csrf-2'; // the login answer sets the cookie
    const me = await session.signIn('ada@example.com', 'right horse battery');
    expect(me.email).toBe('ada@example.com');
    expect(session.state).toBe('signed-in');
    expect(server.refreshes).toBe(0);
  });

  it('logs out on the server, then stops refreshing', async () => {
    const server = new FakeServer();
    const session = new Session(server.deps());
    await session.start();
    server.live.clear(); // even with an access token the server no longer takes
    await session.signOut();
    expect(session.state).toBe('signed-out');
    expect(server.log.at(-1)).toBe('POST /api/v1/auth/logout');
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(server.refreshes).toBe(1);
  });

  it('takes refreshes in turn with other tabs (the exclusive lock), and hears their sign-out', async () => {
    const server = new FakeServer();
    let held = false;
    let overlapped = false;
    const listeners: ((m: string) => void)[] = [];
    const exclusive = async <T>(_name: string, task: () => Promise<T>): Promise<T> => {
      while (held) await new Promise((r) => setTimeout(r, 1));
      held = true;
      try {
        return await task();
      } finally {
        held = false;
      }
    };
    const channel = {post: (m: string) => listeners.forEach((l) => l(m)), listen: (l: (m: string) => void) => void listeners.push(l)};
    const countingFetch = server.deps().fetch;
    const fetchWatch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (String(input).endsWith('/refresh') && !held) overlapped = true;
      return countingFetch(input, init);
    }) as typeof fetch;
    const tabA = new Session(server.deps({exclusive, channel, fetch: fetchWatch}));
    const tabB = new Session(server.deps({exclusive, channel, fetch: fetchWatch}));
    const started = Promise.all([tabA.start(), tabB.start()]);
    await vi.advanceTimersByTimeAsync(10);
    await started;
    expect(server.refreshes).toBe(2);
    expect(overlapped).toBe(false);
    await tabA.signOut();
    expect(tabB.state).toBe('signed-out');
  });
});
