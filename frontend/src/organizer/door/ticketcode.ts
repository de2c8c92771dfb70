/**
 * Ticket codes and the signed check-in list, checked in the browser without a network.
 *
 * A code is `HT1.` + base64url(ticket id (16 bytes) + event id (16 bytes) + Ed25519 signature (64
 * bytes)); the signature covers `happenings-ticket-v1\0` + the 32 id bytes. The check-in list carries
 * the public key (raw, base64url) and its own signature over `happenings-checkin-list-v1\0` + the
 * canonical JSON of the list without its signature (keys sorted, no spaces — as the server writes it).
 * WebCrypto verifies both (Ed25519 is in every current browser engine).
 */

export const CODE_PREFIX = 'HT1.';
export const MAX_CODE_CHARS = 200;
const TICKET_DOMAIN = new TextEncoder().encode('happenings-ticket-v1\0');
const LIST_DOMAIN = new TextEncoder().encode('happenings-checkin-list-v1\0');

export interface ParsedCode {
  ticketId: string;
  eventId: string;
  /** The signed bytes (both ids) and the signature. */
  body: Uint8Array;
  signature: Uint8Array;
}

export interface ListedTicket {
  id: string;
  checked_in_at: string | null;
  door: string | null;
}

export interface CheckinList {
  event_id: string;
  generated_at: string;
  public_key: string;
  tickets: ListedTicket[];
  next_cursor: string | null;
  signature: string;
}

/** base64url (padding optional) to bytes; null when it is not base64url. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return null;
  const plain = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (plain.length % 4 === 1) return null;
  try {
    const binary = atob(plain + '='.repeat((4 - (plain.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export function uuidOf(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The ids and signature a code carries, or null when the text is not a ticket code at all. A QR
 * scan or a typed code may come with spaces or line breaks around it; they are dropped. */
export function parseCode(text: string): ParsedCode | null {
  const code = text.trim();
  if (code.length > MAX_CODE_CHARS || !code.startsWith(CODE_PREFIX)) return null;
  const raw = fromBase64Url(code.slice(CODE_PREFIX.length));
  if (!raw || raw.length !== 96) return null;
  return {ticketId: uuidOf(raw.subarray(0, 16)), eventId: uuidOf(raw.subarray(16, 32)), body: raw.slice(0, 32), signature: raw.slice(32)};
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The Ed25519 public key the list names (raw 32 bytes, base64url), ready to verify with. */
export async function importPublicKey(base64url: string): Promise<CryptoKey> {
  const raw = fromBase64Url(base64url);
  if (!raw || raw.length !== 32) throw new Error('The check-in list names no valid public key.');
  return crypto.subtle.importKey('raw', raw.slice(), {name: 'Ed25519'}, false, ['verify']);
}

/** True when the code's signature checks with the key. */
export async function verifyCode(key: CryptoKey, code: ParsedCode): Promise<boolean> {
  return crypto.subtle.verify({name: 'Ed25519'}, key, code.signature.slice(), joined(TICKET_DOMAIN, code.body));
}

/** JSON with every object's keys sorted and no spaces: the text the server signs. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** True when the list's signature checks with the key it names (a list changed on the way, or in
 * this browser's storage, fails). */
export async function verifyList(list: CheckinList, key: CryptoKey): Promise<boolean> {
  const {signature, ...document} = list;
  const sig = fromBase64Url(signature);
  if (!sig || sig.length !== 64) return false;
  const payload = new TextEncoder().encode(canonicalJson(document));
  return crypto.subtle.verify({name: 'Ed25519'}, key, sig.slice(), joined(LIST_DOMAIN, payload));
}
