/**
 * `stock.publish`: tells one sales platform a SKU's sellable stock, through the outbound queue
 * [004-2]. Every change of a SKU's stock bumps the platform's wanted version (store/inventory.ts
 * `wantStockPush`) and queues this job, at most one per platform and SKU: it pushes the figure
 * of the moment (absolute, so a repeat is harmless), records the version it carried and, if
 * another change came meanwhile, runs again instead of ending. A push that fails is retried with
 * backoff for about an hour, then dead-lettered; the stock itself is never rolled back.
 */
import { Type } from '@sinclair/typebox';
import type { Executor } from '../../store/transaction.js';
import { lockStockPush, readStockPush, recordStockPushed, wantStockPush } from '../../store/inventory.js';
import { stockViews, thresholdFor } from '../inventory-view.js';
import { defineJobKind } from './kind.js';

const ID = '^[a-z0-9][a-z0-9-]{1,62}$';

export const StockPublishPayload = Type.Object(
  {
    platform: Type.String({ pattern: ID, description: 'the sales platform told' }),
    sku: Type.String({ minLength: 1, maxLength: 64, description: 'the SKU whose sellable stock is pushed' }),
  },
  { additionalProperties: false },
);

export const stockPublish = defineJobKind({
  name: 'stock.publish',
  description:
    "pushes a SKU's sellable stock (all warehouses, flagged when from a snapshot) to one sales platform; retried, never rolled back",
  lane: 'outbound',
  payload: StockPublishPayload,
  partnerOf: (p) => p.platform,
  dedupeKey: (p) => `stock.publish:${p.platform}:${p.sku}`,
  // Backoff is capped at 30 s: about an hour of a platform refusing before a human is asked.
  maxAttempts: 120,
  handler: (deps) => ({
    async run(job) {
      const { platform: platformId, sku } = job.payload;
      const partners = deps.partners();
      const platform = partners.platform(platformId);
      if (!platform?.updateStock) {
        await deps.queue.complete(job);
        return;
      }
      const state = await readStockPush(deps.store.db, platformId, sku);
      const version = state?.wanted_version ?? 0;
      const settings = partners.inventory?.();
      const views = await stockViews(
        deps.store.db,
        { sku },
        {
          outageThresholdMs: (warehouseId) => thresholdFor(settings, warehouseId),
          ...(deps.clock ? { clock: deps.clock } : {}),
        },
      );
      const snapshots = views.filter((v) => v.source === 'snapshot');
      const available = views.reduce((n, v) => n + v.available, 0);
      const update = {
        sku,
        available,
        source: snapshots.length > 0 ? ('snapshot' as const) : ('warehouse' as const),
        ...(snapshots.length > 0
          ? { snapshotAgeSeconds: Math.max(...snapshots.map((v) => v.snapshot?.ageSeconds ?? 0)) }
          : {}),
      };
      await platform.updateStock(update);
      const nowMs = Date.now();
      await deps.store.write(async (trx) => {
        await recordStockPushed(
          trx,
          {
            platform_id: platformId,
            sku,
            pushed_version: version,
            pushed_available: available,
            pushed_source: update.source,
          },
          nowMs,
        );
        // Under the row's lock: a change committed before this saw a higher wanted version and
        // found this job queued; one committed after finds it gone and queues a new one.
        const now = await lockStockPush(trx, platformId, sku);
        if (now && now.wanted_version > version) await deps.queue.reschedule(job, nowMs, trx);
        else await deps.queue.complete(job, trx);
      });
    },
  }),
  // A replay pushes the figure of the moment: there is nothing in the payload to correct.
  deadLetter: { edit: null },
});

/**
 * Tells every platform that these SKUs' sellable stock changed: one wanted version more each,
 * and a push job queued with the change (in the caller's transaction: both commit or neither).
 */
export async function announceStock(
  trx: Executor,
  platforms: readonly string[],
  skus: Iterable<string>,
  nowMs = Date.now(),
): Promise<void> {
  const unique = [...new Set(skus)].sort();
  for (const platform of platforms) {
    for (const sku of unique) {
      await wantStockPush(trx, platform, sku, nowMs);
      await stockPublish.enqueue(trx, { platform, sku }, nowMs);
    }
  }
}

/** The platforms that take stock pushes. */
export function stockPlatforms(partners: {
  platforms?(): ReadonlyMap<string, { updateStock?: unknown }>;
}): string[] {
  return [...(partners.platforms?.() ?? new Map<string, { updateStock?: unknown }>())]
    .filter(([, p]) => p.updateStock !== undefined)
    .map(([id]) => id)
    .sort();
}
