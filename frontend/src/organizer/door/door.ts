/**
 * `#/organizers/ID/events/EID/door`: the scanner a checker holds at a door.
 *
 * On opening it downloads the event's signed check-in list (kept in this browser, so a reload
 * without network still has it) and from then on checks codes itself: the QR code's Ed25519
 * signature, the event, and whether the list or this door knows the ticket as used. Online, an
 * admission is also sent to the server at once (`POST /checkins`), which admits a ticket once across
 * all doors; offline, it is queued here and sent when the network is back, and the server's answer
 * is shown (another door may have admitted the ticket first). The list is fetched again every minute
 * while online, so each door learns what the others admitted.
 */
import {routeHash} from '../../lib/router';
import {h} from '../../ui/dom';
import {errorText} from '../../accounts/common';
import {section} from '../../accounts/forms';
import type {Page} from '../../accounts/pages';
import type {OrgEvent} from '../api';
import type {OrganizerContext} from '../organizer-pages';
import {admit, decide, learnt, newState, parseStored, scanTime, scanTimeRefused, syncQueue, withList, type DoorState, type Pending, type SyncResult, type Verdict} from './doorbook';
import {importPublicKey, parseCode, verifyCode, verifyList, type CheckinList} from './ticketcode';
import {startCamera, type Stop} from './camera';
import {keepOffline} from '../../tickets/offline';

const DOOR_KEY = 'hp-door-name';
const stateKey = (eventId: string) => `hp-door:${eventId}`;

/** This browser has the event's check-in list: the door page opens offline (nobody can sign in then). */
export function doorListKept(eventId: string): boolean {
  return localStorage.getItem(stateKey(eventId)) !== null;
}
const REFRESH_MS = 60_000;
const RETRY_MS = 15_000;

/** Every page of the list, each checked against the key it names; one list for the door. */
async function verifiedList(pages: CheckinList[]): Promise<{list: CheckinList; key: CryptoKey}> {
  const key = await importPublicKey(pages[0].public_key);
  for (const page of pages) {
    if (page.public_key !== pages[0].public_key || !(await verifyList(page, key))) throw new Error('The check-in list’s signature does not check.');
  }
  return {list: {...pages[0], tickets: pages.flatMap((p) => p.tickets), next_cursor: null}, key};
}

export async function doorPage(ctx: OrganizerContext, organizerId: string, eventId: string, signal: AbortSignal): Promise<Page> {
  const event: OrgEvent | null = await ctx.api.event(organizerId, eventId).catch(() => null);
  const timeZone = event?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  const clock = new Intl.DateTimeFormat('en-GB', {hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone});
  const hhmm = (iso: string) => {
    const at = new Date(iso);
    return Number.isNaN(at.getTime()) ? '?' : clock.format(at);
  };

  let state: DoorState | null = parseStored(localStorage.getItem(stateKey(eventId)), eventId);
  let key: CryptoKey | null = state ? await importPublicKey(state.list.public_key).catch(() => null) : null;
  const save = () => state && localStorage.setItem(stateKey(eventId), JSON.stringify(state));

  const doorInput = h('input', {id: 'door-name', required: true, maxlength: 50, autocomplete: 'off', value: localStorage.getItem(DOOR_KEY) ?? 'Main door'});
  doorInput.addEventListener('change', () => localStorage.setItem(DOOR_KEY, doorName()));
  const doorName = () => doorInput.value.trim().slice(0, 50) || 'Main door';
  const status = h('p', {class: 'door-status', role: 'status'});
  const verdictBox = h('div', {class: 'door-verdict', 'aria-live': 'assertive', 'aria-atomic': 'true'});
  const syncLog = h('ul', {class: 'items door-sync', 'aria-label': 'Check-ins synced'});
  const online = () => navigator.onLine;

  const showStatus = () => {
    if (!state) {
      status.textContent = online() ? 'Downloading the check-in list…' : 'Offline, and this browser has no check-in list for this event yet.';
      return;
    }
    const used = state.list.tickets.filter((t) => t.checked_in_at).length;
    const waiting = state.pending.length;
    status.textContent = `${online() ? 'Online' : 'Offline — checking tickets against the list'} · ${state.list.tickets.length} ticket${state.list.tickets.length === 1 ? '' : 's'} on the list from ${hhmm(state.list.generated_at)} (${used} used then) · ${waiting ? `${waiting} check-in${waiting === 1 ? '' : 's'} waiting to sync` : 'everything synced'}`;
    status.classList.toggle('door-offline', !online());
  };

  const show = (ok: boolean, headline: string, detail = '') => {
    verdictBox.className = `door-verdict ${ok ? 'door-admit' : 'door-refuse'}`;
    verdictBox.replaceChildren(h('strong', {}, headline), detail ? h('span', {}, ` ${detail}`) : '');
  };

  const refusal = (v: Verdict): string => {
    switch (v.kind) {
      case 'used':
        return `Already used at door ${v.door} at ${hhmm(v.at)}.`;
      case 'other-event':
        return 'This ticket is for another event.';
      case 'forged':
        return 'The code’s signature does not check: forged or damaged.';
      case 'not-on-list':
        return 'Not on the downloaded list (cancelled, or bought since): check again online.';
      case 'not-a-code':
        return 'That is not a ticket code.';
      default:
        return '';
    }
  };

  /** Ask the server (online); the answer decides. False when the network failed on the way. */
  const askServer = async (code: string, ticketId: string): Promise<boolean> => {
    const answer = await ctx.api.checkin(code, doorName(), eventId);
    // No answer, or no token to be had (the refresh could not reach the server): decide offline.
    if (answer.status === 0 || answer.status === 401) return false;
    const body = answer.body ?? {};
    const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
    if (answer.status === 201) {
      state = admit(state!, ticketId, code, text('door'), text('checked_in_at'), false);
      show(true, 'Admitted', `at door ${text('door')} at ${hhmm(text('checked_in_at'))}.`);
    } else if (answer.status === 409 && text('type').endsWith('/already-checked-in')) {
      state = learnt(state!, ticketId, text('door'), text('checked_in_at'));
      show(false, 'Refused', `Already used at door ${text('door')} at ${hhmm(text('checked_in_at'))}.`);
    } else if (answer.status === 409 && text('type').endsWith('/wrong-event')) {
      show(false, 'Refused', 'This ticket is for another event.');
    } else {
      show(false, 'Refused', text('detail') || text('title') || `The server answered ${answer.status}.`);
    }
    return true;
  };

  const check = async (text: string) => {
    if (!state || !key) {
      show(false, 'Cannot check yet', 'The check-in list has not been downloaded.');
      return;
    }
    const parsed = parseCode(text);
    const signatureOk = parsed ? await verifyCode(key, parsed) : false;
    const verdict = decide(state, parsed, signatureOk);
    const code = text.trim();
    if (verdict.kind === 'admit' || verdict.kind === 'not-on-list') {
      const answered = online() && (await askServer(code, verdict.ticketId));
      if (!answered) {
        if (verdict.kind === 'admit') {
          const at = new Date().toISOString();
          state = admit(state, verdict.ticketId, code, doorName(), at, true);
          show(true, 'Admitted', `at door ${doorName()} at ${hhmm(at)} (offline: it will sync when the network is back).`);
        } else show(false, 'Refused', refusal(verdict));
      }
    } else show(false, 'Refused', refusal(verdict));
    save();
    showStatus();
  };

  const showSynced = (result: SyncResult) => {
    if (result.kind === 'retry') return;
    const ticket = `Ticket …${result.pending.ticketId.slice(-6)} (admitted at ${hhmm(result.pending.at)})`;
    const line =
      result.kind === 'confirmed'
        ? `${ticket}: synced, checked in at door ${result.door}.`
        : result.kind === 'conflict'
          ? `${ticket}: door ${result.door} had admitted it at ${hhmm(result.at)} — let in twice?`
          : `${ticket}: refused by the server — ${result.reason}.`;
    syncLog.prepend(h('li', {class: `item door-sync-${result.kind}`}, line));
  };

  /** A queued admission goes with the time this door let the person in (the server records it). */
  const sendQueued = async (p: Pending) => {
    const answer = await ctx.api.checkin(p.code, p.door, eventId, scanTime(p, new Date()));
    return scanTimeRefused(answer.status, answer.body) ? ctx.api.checkin(p.code, p.door, eventId) : answer;
  };

  let syncing = false;
  const sync = async () => {
    if (!state || !state.pending.length || syncing || !online()) return;
    syncing = true;
    try {
      state = await syncQueue(state, sendQueued, (next, result) => {
        state = next;
        save();
        showSynced(result);
      });
    } finally {
      syncing = false;
      save();
      showStatus();
    }
  };

  let keptOffline = false;
  const refresh = async () => {
    if (!online()) return showStatus();
    try {
      const fresh = await verifiedList(await ctx.api.checkinList(eventId));
      key = fresh.key;
      state = state ? withList(state, fresh.list) : newState(fresh.list);
      save();
      if (!keptOffline) {
        keptOffline = true;
        void keepOffline('door'); // the page's files, so that it reloads at a door without a network
      }
    } catch (error) {
      if (!state) status.textContent = `The check-in list could not be downloaded: ${errorText(error)}`;
      return;
    }
    showStatus();
  };

  const form = h('form', {class: 'form door-entry', 'aria-label': 'Check a ticket by hand'});
  const codeInput = h('input', {id: 'ticket-code', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', maxlength: 200, required: true});
  form.append(h('label', {for: 'ticket-code'}, 'Ticket code'), codeInput, h('button', {type: 'submit', class: 'btn btn-primary'}, 'Check in'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = codeInput.value;
    codeInput.value = '';
    void check(text);
    codeInput.focus();
  });

  const video = h('video', {class: 'door-video', hidden: true, 'aria-label': 'Camera'});
  const cameraButton = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Scan with the camera');
  let stopCamera: Stop | null = null;
  cameraButton.addEventListener('click', async () => {
    if (stopCamera) {
      stopCamera();
      stopCamera = null;
      video.hidden = true;
      cameraButton.textContent = 'Scan with the camera';
      return;
    }
    try {
      video.hidden = false;
      stopCamera = await startCamera(video, (text) => void check(text));
      cameraButton.textContent = 'Stop the camera';
    } catch (error) {
      video.hidden = true;
      show(false, 'No camera', errorText(error));
    }
  });

  const onOnline = () => void sync().then(refresh);
  const onOffline = () => showStatus();
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);
  const timers = [setInterval(() => void refresh(), REFRESH_MS), setInterval(() => void sync(), RETRY_MS)];
  const dispose = () => {
    window.removeEventListener('online', onOnline);
    window.removeEventListener('offline', onOffline);
    timers.forEach(clearInterval);
    stopCamera?.();
  };
  signal.addEventListener('abort', dispose);

  showStatus();
  await refresh();
  void sync();

  const nav = h('p', {class: 'org-nav'}, h('a', {href: routeHash({name: 'event-sales', organizerId, eventId})}, 'Attendees and sales'));
  return {
    title: event ? `Door check-in — ${event.title}` : 'Door check-in',
    body: [
      nav,
      section('door', 'At the door', h('p', {class: 'field'}, h('label', {for: 'door-name'}, 'This door'), doorInput), status, verdictBox, form, h('p', {}, cameraButton), video),
      section('door-synced', 'Synced check-ins', syncLog),
    ],
    dispose,
  };
}
