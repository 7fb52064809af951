// The load client shared by every benchmark: the same canonical order JSON for every system,
// signed like a Waygate API caller (peers receive the same body and headers and ignore the
// signature), posted at maximum rate (closed loop, N in flight) or at a fixed rate (open loop).
import { Agent, request } from 'undici';
import { signedHeaders } from '../../dist/gateway/signature.js';

export const pct = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;

/** A canonical order (src/domain/schemas.ts), US-bound so every system ships it with carrier-alpha. */
export function canonicalOrder(externalId) {
  return {
    source: 'bench-shop',
    externalId,
    currency: 'USD',
    recipient: {
      name: 'Bench Buyer',
      phone: '+14155550100',
      email: 'buyer@example.com',
      line1: '1 Market St',
      city: 'San Francisco',
      state: 'CA',
      postalCode: '94105',
      country: 'US',
    },
    items: [
      {
        sku: 'MUG-01',
        description: 'Ceramic mug',
        quantity: 2,
        unitPrice: '12.50',
        hsCode: '691200',
        originCountry: 'CN',
        weightGrams: 350,
      },
    ],
  };
}

export class LoadClient {
  /**
   * @param target {{ url: string, path: string, key?: {keyId: string, secret: string} }}
   *   or an array of them (the client then alternates between them, e.g. two hub nodes).
   */
  constructor(targets, { concurrency = 64 } = {}) {
    this.targets = Array.isArray(targets) ? targets : [targets];
    this.concurrency = concurrency;
    this.dispatcher = new Agent({ connections: concurrency * 2, pipelining: 1 });
    /** externalId → Date.now() when it was posted (for end-to-end latency). */
    this.sentAt = new Map();
    this.errors = 0;
    /** Orders answered 2xx. */
    this.ok = 0;
    this.turn = 0;
  }

  async post(externalId) {
    const t = this.targets[this.turn++ % this.targets.length];
    const payload = JSON.stringify(canonicalOrder(externalId));
    const headers = {
      'content-type': 'application/json',
      // Peers get the same headers; only Waygate checks them.
      ...(t.key ? signedHeaders(t.key, 'POST', t.path, payload) : {}),
    };
    this.sentAt.set(externalId, Date.now());
    const res = await request(`${t.url}${t.path}`, {
      method: 'POST',
      body: payload,
      headers,
      dispatcher: this.dispatcher,
    });
    await res.body.dump();
    if (res.statusCode >= 300) {
      this.errors++;
      this.sentAt.delete(externalId);
      throw new Error(`${t.path} answered ${res.statusCode}`);
    }
    this.ok++;
  }

  /** Posts `count` orders with `concurrency` in flight; per-request latencies (ms) and seconds. */
  async maxRate(run, count) {
    const lat = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(this.concurrency, count) }, async () => {
        while (next < count) {
          const id = `${run}-${++next}`;
          const s = performance.now();
          await this.post(id);
          lat.push(performance.now() - s);
        }
      }),
    );
    return { lat: lat.sort((a, b) => a - b), seconds: (performance.now() - t0) / 1000 };
  }

  /**
   * Posts at `rate` per second for `seconds` (open loop). A latency counts from the moment the
   * order was due, so a client or server that falls behind cannot hide it.
   */
  async fixedRate(run, rate, seconds) {
    const lat = [];
    const pending = [];
    const total = Math.round(rate * seconds);
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(this.post(`${run}-${i + 1}`).then(() => lat.push(performance.now() - due)));
    }
    await Promise.all(pending);
    return lat.sort((a, b) => a - b);
  }

  /** End-to-end latencies (ms, sorted) of run `run`: stored-at time minus posted-at time. */
  e2e(run, storedAt) {
    const out = [];
    for (const [id, at] of storedAt) {
      const sent = this.sentAt.get(id);
      if (sent !== undefined && id.startsWith(`${run}-`)) out.push(Math.max(0, at - sent));
    }
    return out.sort((a, b) => a - b);
  }

  close() {
    return this.dispatcher.close();
  }
}

/** Polls `count()` until it reaches `target`; resolves with Date.now() at that moment. */
export async function waitFor(count, target, { timeoutMs = 300_000, everyMs = 20, what = 'orders' } = {}) {
  const until = Date.now() + timeoutMs;
  let n = 0;
  for (;;) {
    n = await count();
    if (n >= target) return Date.now();
    if (Date.now() > until) throw new Error(`only ${n} of ${target} ${what} done after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
