/**
 * `subscribe: false`: the hub calls the partner but never registers for its pushes, so the
 * carrier has nowhere to push tracking; by default it registers and receives them.
 */
import { describe, expect, it } from 'vitest';
import { startHarness, waitFor } from './helpers/harness.js';

describe.each([
  { subscribe: undefined, pushed: true },
  { subscribe: false, pushed: false },
])('partner subscription (subscribe: $subscribe)', ({ subscribe, pushed }) => {
  it(
    pushed ? 'registers for the carrier’s pushes and receives them' : 'ships without being pushed to',
    async () => {
      const h = await startHarness({
        edit: (d) => {
          if (subscribe !== undefined) d.partners['carrier-alpha']!.subscribe = subscribe;
        },
      });
      try {
        for (const o of h.usOrders(5)) expect((await h.postOrder(o)).status).toBe(202);
        await waitFor(async () => (await h.waybillCount()) >= 5, 20_000, 'waybills');
        const alpha = async () => (await h.stats()).carriers['carrier-alpha']!;
        if (pushed) {
          await waitFor(async () => Number((await alpha()).pushesDelivered) > 0, 10_000, 'a push');
        } else {
          // Give a push every chance to arrive: the sandbox pushes within milliseconds of a create.
          await new Promise((r) => setTimeout(r, 1_000));
          expect(Number((await alpha()).pushesDelivered)).toBe(0);
        }
        expect(Number((await alpha()).shipmentsCreated)).toBe(5);
      } finally {
        await h.close();
      }
    },
    // Starting a hub and a sandbox, then two waits of 20 s and 10 s: the default minute is too
    // tight when the shared machine is loaded (it timed out once in a full run).
    120_000,
  );
});
