import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

// One call into the CSPRNG per 409 ids instead of one per id: at thousands of ids a second the
// per-call cost of randomBytes showed as ~3.5 % of the hub's profile. Bytes are never reused.
const POOL_BYTES = 4090;
let pool = Buffer.alloc(0);
let poolAt = POOL_BYTES;

function randomTen(): Buffer {
  if (poolAt + 10 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  poolAt += 10;
  return pool.subarray(poolAt - 10, poolAt);
}

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
  const rnd = randomTen();
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
