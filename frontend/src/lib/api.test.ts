import {describe, expect, it} from 'vitest';
import {ApiError, eventPoint, getJson, LatestOnly, problemFrom} from './api';

const reply = (status: number, body: unknown, type = 'application/json') =>
  (async () => new Response(JSON.stringify(body), {status, headers: {'Content-Type': type}})) as typeof fetch;

describe('API client', () => {
  it('turns problem+json into an ApiError with the detail', async () => {
    const fetcher = reply(400, {title: 'Invalid parameter', detail: 'The area is too large: zoom in.', param: 'bbox'}, 'application/problem+json');
    const error = await getJson('/x', undefined, fetcher).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).detail).toBe('The area is too large: zoom in.');
    expect((error as ApiError).param).toBe('bbox');
  });

  it('reports network failures as status 0', async () => {
    const fetcher = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    const error = (await getJson('/x', undefined, fetcher).catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(0);
  });

  it('cancels the previous request when a new one starts', async () => {
    const latest = new LatestOnly();
    const slow = latest.run(
      (signal) =>
        new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => resolve('old'), 50);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new DOMException('aborted', 'AbortError'));
          });
        }),
    );
    const fast = latest.run(async () => 'new');
    expect(await slow).toEqual({stale: true});
    expect(await fast).toEqual({stale: false, value: 'new'});
  });

  it('finds the point of an event with or without a venue', () => {
    expect(eventPoint({venue: {id: 'v', name: 'V', lat: 1, lon: 2}})).toEqual({lat: 1, lon: 2});
    expect(eventPoint({venue: null, lat: 3, lon: 4})).toEqual({lat: 3, lon: 4});
    expect(eventPoint({venue: null})).toBeNull();
  });
});

describe('problem+json', () => {
  const problem = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    problemFrom(new Response(JSON.stringify(body), {status, headers: {'Content-Type': 'application/problem+json', ...headers}}));

  it('keeps every invalid field of a 422 with its param', async () => {
    const error = await problem(422, {
      type: 'https://happenings.dev/problems/validation-error',
      title: 'Invalid request',
      status: 422,
      detail: 'email: value is not a valid email address',
      param: 'email',
      errors: [
        {param: 'email', message: 'value is not a valid email address'},
        {param: 'password', message: 'String should have at least 1 character'},
      ],
    });
    expect(error.code).toBe('validation-error');
    expect(error.param).toBe('email');
    expect(error.errors.map((e) => e.param)).toEqual(['email', 'password']);
  });

  it('gives a single-field problem its param as the one error', async () => {
    const error = await problem(422, {type: 'https://happenings.dev/problems/weak-password', title: 'Password too weak', detail: 'the password is too short', param: 'password'});
    expect(error.code).toBe('weak-password');
    expect(error.errors).toEqual([{param: 'password', message: 'the password is too short'}]);
  });

  it('has no field errors for a problem about the whole request, and reads Retry-After', async () => {
    const error = await problem(429, {type: 'https://happenings.dev/problems/rate-limited', title: 'Too many requests', detail: 'try again later'}, {'Retry-After': '120'});
    expect(error.errors).toEqual([]);
    expect(error.retryAfter).toBe(120);
    expect(error.detail).toBe('try again later');
  });

  it('survives a body that is not JSON, and ignores fields of the wrong type', async () => {
    const html = await problemFrom(new Response('<h1>Bad gateway</h1>', {status: 502, statusText: 'Bad Gateway'}));
    expect(html.status).toBe(502);
    expect(html.errors).toEqual([]);
    const odd = await problem(400, {title: 7, detail: null, param: ['x'], errors: 'nope'});
    expect(odd.param).toBeNull();
    expect(odd.errors).toEqual([]);
  });
});
