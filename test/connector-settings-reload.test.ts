/**
 * A partner config that lacks a credential its connector's settings schema requires: refused at
 * start with file, line and field, and — written while the hub runs — rejected by the hot reload
 * while the running hub keeps its last good config and keeps shipping with it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadHubConfig } from '../src/hub/config.js';
import { sandboxEnv } from '../src/hub/sandbox-config.js';
import { startHarness, waitFor, type Harness } from './helpers/harness.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('connector settings at start and on hot reload', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it(
    'a carrier without a required credential: refused at load, rejected on reload, the last good config stays',
    { timeout: 60_000 },
    async () => {
      h = await startHarness();
      const before = h.hub.partners();
      const alpha = before.carrier('carrier-alpha')!;
      const env = { ...process.env, ...sandboxEnv(h.sandbox.url, h.sandbox.credentials) };
      const original = readFileSync(h.policyFile, 'utf8');
      expect(original).toContain('apiToken: ${CARRIER_ALPHA_API_TOKEN}');

      h.editPolicy((d) => {
        delete (d.partners['carrier-alpha']!.credentials as Record<string, unknown>).apiToken;
      });
      const lines = readFileSync(h.policyFile, 'utf8').split('\n');
      const credentialsLine =
        lines.findIndex((l, i) => i > lines.indexOf('  carrier-alpha:') && l === '    credentials:') + 1;
      const expected = `${h.policyFile}:${credentialsLine}: partners.carrier-alpha.credentials.apiToken is required by connector carrier-alpha`;

      // At start (what `waygate serve --config` runs): refused with file, line and field.
      expect(() => loadHubConfig(h!.policyFile, env)).toThrow(expected);

      // While running: rejected, and the hub still holds the very same partner set.
      await waitFor(
        () => h!.hub.configEvents().some((e) => e.outcome === 'rejected'),
        10_000,
        'the rejection',
      );
      const rejected = h.hub.configEvents().find((e) => e.outcome === 'rejected')!;
      expect(rejected.message).toMatch(new RegExp(`^${escape(expected)}$`));
      expect(h.hub.partners()).toBe(before);
      expect(h.hub.partners().carrier('carrier-alpha')).toBe(alpha);
      const audit = await h.hub.store.db
        .selectFrom('audit_log')
        .select(['action', 'outcome'])
        .where('action', '=', 'config.reload')
        .execute();
      expect(audit.map((a) => a.outcome)).toEqual(['rejected']);

      // The last good config still ships: alpha is called with the token it had.
      const [order] = h.usOrders(1);
      expect((await h.postOrder(order!)).status).toBe(202);
      await waitFor(
        async () => (await h!.waybillCount()) === 1,
        15_000,
        'the waybill from the last good config',
      );

      // Putting the credential back applies without restart.
      writeFileSync(h.policyFile, original);
      await waitFor(() => h!.hub.partners() !== before, 10_000, 'the corrected config to apply');
      expect(h.hub.configEvents().at(-1)?.outcome).toBe('applied');
    },
  );
});
