import {describe, expect, it} from 'vitest';
import {canonicalJson, importPublicKey, parseCode, verifyCode, verifyList, type CheckinList} from './ticketcode';

// Made by the server's TicketSigner with the private key bytes 0..31 (a test key).
const PUBLIC_KEY = 'A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg';
const CODE = 'HT1.ERERESIiQzOERFVVVVVVVaqqqqq7u0zMjd3u7u7u7u70dyWwRZK0qi7kf-VOGtzAQNx2AjxMbIKjxcTdlmVeC3dAVlPzsRoWygrjX7dPbNfWp4hrK7OFOEiBicMTh8kL';
const LIST: CheckinList = {
  event_id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  generated_at: '2030-03-14T09:26:53+00:00',
  public_key: PUBLIC_KEY,
  tickets: [
    {id: '11111111-2222-4333-8444-555555555555', checked_in_at: null, door: null},
    {id: '22222222-2222-4333-8444-555555555555', checked_in_at: '2030-03-14T09:00:00+00:00', door: 'Nord — porte ü'},
  ],
  next_cursor: null,
  signature: '-QNaY_lXUZ3dD6sWik5q7aMIp1hWeJxOTyEatDdleMNubqNlbd6Fdmo47rZaUJlgCrnPfjiH3pU9bJWr-HgsBQ',
};

describe('ticket codes', () => {
  it('reads the ticket and event ids a code carries', () => {
    const code = parseCode(`  ${CODE}\n`);
    expect(code?.ticketId).toBe('11111111-2222-4333-8444-555555555555');
    expect(code?.eventId).toBe('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
  });

  it('is not fooled by text that is no code', () => {
    for (const text of ['', 'HT1.', 'HT2.' + CODE.slice(4), CODE.slice(0, -4), CODE + 'AAAA', 'HT1.@@@@', 'x'.repeat(500)]) {
      expect(parseCode(text)).toBeNull();
    }
  });

  it('checks the server’s signature offline, and refuses one changed bit', async () => {
    const key = await importPublicKey(PUBLIC_KEY);
    expect(await verifyCode(key, parseCode(CODE)!)).toBe(true);
    const forged = parseCode(CODE)!;
    forged.signature[5] ^= 1;
    expect(await verifyCode(key, forged)).toBe(false);
    const otherTicket = parseCode(CODE)!;
    otherTicket.body[0] ^= 1;
    expect(await verifyCode(key, otherTicket)).toBe(false);
  });

  it('refuses a key that is not 32 bytes', async () => {
    await expect(importPublicKey('AAAA')).rejects.toThrow(/public key/);
  });
});

describe('the signed check-in list', () => {
  it('writes the canonical JSON the server signs (sorted keys, no spaces, text as is)', () => {
    expect(canonicalJson({b: [1, {d: null, c: 'ü"'}], a: 'x'})).toBe('{"a":"x","b":[1,{"c":"ü\\"","d":null}]}');
  });

  it('verifies as the server signed it, and not once changed', async () => {
    const key = await importPublicKey(PUBLIC_KEY);
    expect(await verifyList(LIST, key)).toBe(true);
    const tampered = {...LIST, tickets: [{...LIST.tickets[0], checked_in_at: '2030-03-14T09:10:00+00:00', door: 'X'}, LIST.tickets[1]]};
    expect(await verifyList(tampered, key)).toBe(false);
    expect(await verifyList({...LIST, signature: 'short'}, key)).toBe(false);
  });
});
