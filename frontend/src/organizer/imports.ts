/**
 * `#/organizers/ID/import`: bring in a calendar file or URL (optionally subscribed), watch the job's
 * progress bar with its counts, then read the report (what was created, updated, unchanged,
 * cancelled or skipped, and why).
 */
import {errorText} from '../accounts/common';
import {section} from '../accounts/forms';
import type {Page} from '../accounts/pages';
import {routeHash} from '../lib/router';
import {h} from '../ui/dom';
import type {ImportJob} from './api';
import type {OrganizerContext} from './organizer-pages';

const POLL_MS = 1000;

/** "12 of 40 read: 10 created, 2 skipped" — the counts a progress bar shows. Pure. */
export function progressText(job: ImportJob): string {
  const p = job.progress;
  const parts = (['created', 'updated', 'unchanged', 'cancelled', 'skipped'] as const).filter((k) => p[k] > 0).map((k) => `${p[k]} ${k}`);
  const read = p.total ? `${p.processed} of ${p.total} read` : job.status === 'queued' ? 'Waiting to start' : 'Reading the calendar';
  return parts.length ? `${read}: ${parts.join(', ')}` : read;
}

export function importPage(ctx: OrganizerContext, organizerId: string, signal: AbortSignal): Page {
  const bar = h('progress', {max: 1, value: 0, 'aria-label': 'Import progress'});
  const status = h('p', {role: 'status', 'aria-live': 'polite'});
  const report = h('ul', {class: 'items'});
  const result = section('import-progress', 'Progress', bar, status, report);
  result.hidden = true;
  const file = h('input', {type: 'file', name: 'file', accept: '.ics,text/calendar'});
  const url = h('input', {type: 'url', name: 'url', placeholder: 'https://… or webcal://…', inputmode: 'url'});
  const subscribe = h('input', {type: 'checkbox', name: 'subscribe'});
  const publish = h('input', {type: 'checkbox', name: 'publish'});
  const error = h('p', {role: 'alert', class: 'error'});
  const button = h('button', {class: 'btn btn-primary', type: 'submit'}, 'Import');
  const form = h(
    'form',
    {'aria-label': 'Import a calendar'},
    h('label', {}, 'Calendar file (.ics) ', file),
    h('p', {class: 'muted'}, 'or'),
    h('label', {}, 'Calendar address ', url),
    h('label', {}, subscribe, ' Keep it in step: fetch it again every hour (events removed there are cancelled here)'),
    h('label', {}, publish, ' Publish the imported events (otherwise they are drafts)'),
    error,
    button,
  );
  let timer: number | undefined;
  const show = (job: ImportJob) => {
    result.hidden = false;
    bar.max = Math.max(job.progress.total, 1);
    bar.value = job.status === 'done' ? bar.max : job.progress.processed;
    status.textContent = job.status === 'failed' ? `The import failed: ${job.error ?? 'unknown reason'}` : job.status === 'done' ? `Done. ${progressText(job)}` : progressText(job);
    report.replaceChildren(
      ...job.report.map((entry) =>
        h(
          'li',
          {class: 'item'},
          h('strong', {}, entry.title || entry.uid),
          ` — ${entry.outcome}`,
          entry.reason ? `: ${entry.reason}` : '',
          entry.event_id ? h('a', {href: routeHash({name: 'event-edit', organizerId, eventId: entry.event_id}), class: 'muted'}, ' open') : null,
        ),
      ),
    );
  };
  const poll = async (id: string) => {
    if (signal.aborted) return;
    try {
      const job = await ctx.api.importJob(id);
      show(job);
      if (job.status === 'queued' || job.status === 'running') timer = window.setTimeout(() => void poll(id), POLL_MS);
      else button.disabled = false;
    } catch (e) {
      error.textContent = errorText(e);
      button.disabled = false;
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    const chosen = file.files?.[0];
    const address = url.value.trim();
    if (!chosen && !address) {
      error.textContent = 'Choose a calendar file or give its address.';
      return;
    }
    button.disabled = true;
    const source = chosen ? {file: chosen} : {url: address, subscribe: subscribe.checked};
    void ctx.api
      .startImport(organizerId, source, publish.checked)
      .then((job) => {
        show(job);
        return poll(job.id);
      })
      .catch((e: unknown) => {
        error.textContent = errorText(e);
        button.disabled = false;
      });
  });
  return {
    title: 'Import a calendar',
    body: [
      section('import-source', 'From Google Calendar, Outlook, Meetup, Eventbrite, Mobilizon, Gancio…', form),
      result,
      h('p', {}, h('a', {href: routeHash({name: 'my-events', organizerId})}, 'Back to your events')),
    ],
    dispose: () => window.clearTimeout(timer),
  };
}
