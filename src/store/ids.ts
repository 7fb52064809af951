import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Time-ordered ids (ULID layout: 48-bit millisecond time + 80 random bits), so ids sort by
 * creation time and cursor pagination by id is stable across nodes without a sequence.
 */
export function newId(prefix: string, nowMs = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(10);
  let rand = '';
  for (let i = 0; i < 16; i++) {
    // 80 bits → 16 base32 chars: take 5 bits at a time.
    const bit = i * 5;
    const byte = bit >> 3;
    const off = bit & 7;
    const word = ((rnd[byte] ?? 0) << 8) | (rnd[byte + 1] ?? 0);
    rand += ALPHABET[(word >> (11 - off)) & 31];
  }
  return `${prefix}_${time}${rand}`;
}
