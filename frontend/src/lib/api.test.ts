import {describe, expect, it} from 'vitest';
import {ApiError, eventPoint, getJson, LatestOnly} from './api';

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
