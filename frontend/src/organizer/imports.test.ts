import {describe, expect, it} from 'vitest';
import type {ImportJob} from './api';
import {progressText} from './imports';

const job = (progress: Partial<ImportJob['progress']>, status: ImportJob['status'] = 'running'): ImportJob => ({
  id: 'x',
  status,
  error: null,
  progress: {total: 0, processed: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, cancelled: 0, ...progress},
  report: [],
});

describe('progressText', () => {
  it('waits, then counts what was read and what it became', () => {
    expect(progressText(job({}, 'queued'))).toBe('Waiting to start');
    expect(progressText(job({total: 40, processed: 12, created: 10, skipped: 2}))).toBe('12 of 40 read: 10 created, 2 skipped');
  });
});
