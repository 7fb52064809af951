/**
 * Logs carry ids and codes, never personal data [004-6] [002-4.4]: a full run at debug level,
 * with partner faults and a partner rejection (the paths that log the most), leaves no name,
 * phone, e-mail or street of any consignee in the log stream.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { OrderInput } from '../src/domain/index.js';
import { createLogger } from '../src/hub/logger.js';
import { startHarness, waitFor } from './helpers/harness.js';
import { loadJson } from './helpers/fixtures.js';

describe('log privacy', () => {
  it(
    'writes no consignee data to the logs of a run with faults and a rejected order',
    { timeout: 60_000 },
    async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      });
      const h = await startHarness({ logger: createLogger('debug', sink) });
      try {
        const base = loadJson<OrderInput>('privacy/other-order.json');
        const orders: OrderInput[] = Array.from({ length: 20 }, (_, i) => ({
          ...base,
          externalId: `LOG-${i}`,
          recipient: {
            ...base.recipient,
            name: `Ottilie Logsafe${i}`,
            phone: `+1415555${String(1000 + i)}`,
            email: `ottilie${i}@example.net`,
            line1: `${100 + i} Hiddenstreet Ave`,
          },
        }));
        const rejected = {
          ...orders[0]!,
          externalId: 'LOG-BAD',
          recipient: { ...orders[0]!.recipient, postalCode: 'ABCDE' },
        };
        await h.faults({ partner: 'carrier-alpha', channel: 'primary', errorRate: 0.3 });
        for (const o of [...orders, rejected]) expect((await h.postOrder(o)).status).toBe(202);
        await waitFor(async () => (await h.waybillCount()) >= orders.length, 45_000, 'waybills');
        await h.faults(null);
        const text = lines.join('');
        expect(text.length).toBeGreaterThan(0);
        for (const o of [...orders, rejected]) {
          const r = o.recipient;
          for (const value of [r.name, r.phone, r.email, r.line1]) expect(text).not.toContain(value);
        }
        expect(text).not.toContain('Logsafe');
        expect(text).not.toContain('Hiddenstreet');
      } finally {
        await h.close();
      }
    },
  );
});
