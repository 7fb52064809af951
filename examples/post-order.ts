/**
 * Posts an order to a Waygate hub with a complete signed request, using fetch and node:crypto.
 *
 *   WAYGATE_URL=http://127.0.0.1:8080 WAYGATE_KEY_ID=wk_… WAYGATE_KEY_SECRET=… \
 *     node examples/post-order.ts [order.json]      # Node 22.18+ runs TypeScript as is
 *     npx tsx examples/post-order.ts [order.json]   # Node 20
 *
 * The key needs the orders:write scope. Without a file the example order beside this script is
 * sent. Prints the status and the answer: 202 for a new order, 200 with "duplicate": true for
 * the same order sent again, 409 order_conflict naming the fields when its contents differ.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const env = (name: string, hint: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (${hint})`);
  return value;
};

const url = env('WAYGATE_URL', 'e.g. http://127.0.0.1:8080').replace(/\/$/, '');
const keyId = env('WAYGATE_KEY_ID', 'the key id printed by waygate apikey create');
const secret = env('WAYGATE_KEY_SECRET', 'the secret printed once by waygate apikey create');
const file = process.argv[2] ?? new URL('./order.json', import.meta.url);

// The signature covers these exact bytes: send the body as read, never re-serialised.
const body = readFileSync(file, 'utf8');
const path = '/v1/orders';
const timestamp = Math.floor(Date.now() / 1000);
const nonce = randomBytes(16).toString('hex');
const bodyHash = createHash('sha256').update(body).digest('hex');
const signature = createHmac('sha256', secret)
  .update(`${timestamp}\n${nonce}\nPOST\n${path}\n${bodyHash}`)
  .digest('hex');

const res = await fetch(`${url}${path}`, {
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    'x-api-key': keyId,
    'x-waygate-timestamp': String(timestamp),
    'x-waygate-nonce': nonce,
    'x-waygate-signature': signature,
  },
  body,
});
console.log(res.status, await res.text());
if (res.status >= 400) process.exitCode = 1;
