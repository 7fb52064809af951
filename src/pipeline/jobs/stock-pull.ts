/**
 * `stock.pull`: one recurring job per warehouse pulls its full stock count on the partner's
 * schedule and applies it (pipeline/inventory.ts decides which figure wins). Each answer marks the
 * warehouse reachable, each failure starts (or continues) its outage clock, which decides when the
 * last snapshot serves as sellable stock [004-3.2]; the first answer after such an outage is
 * reconciled against what was sold on the snapshot (pipeline/snapshot/reconcile.ts). A recurring job in the queue rather than a
 * timer per node: several hub nodes pull each warehouse once, not N times.
 */
import { Type } from '@sinclair/typebox';
import type { Store } from '../../store/db.js';
import { levelsOf, linkOf, markReachable, markUnreachable } from '../../store/inventory.js';
import { isOutage, thresholdFor } from '../inventory-view.js';
import { reconcileAfterOutage } from '../snapshot/reconcile.js';
import { PartnerCallError } from '../../connectors/errors.js';
import { applyStockFigures } from '../inventory.js';
import type { PartnerDirectory } from '../partners.js';
import { defineJobKind } from './kind.js';
import { announceStock, stockPlatforms } from './stock-publish.js';
import { releaseHeldOrders } from './shipment-create.js';

export const StockPullPayload = Type.Object(
  { warehouse: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'the pulled warehouse' }) },
  { additionalProperties: false },
);

const DEFAULT_PULL_MS = 60_000;

export const stockPull = defineJobKind({
  name: 'stock.pull',
  description:
    "pulls a warehouse's full stock count, applies it and re-arms itself; tracks the warehouse's reachability",
  lane: 'outbound',
  payload: StockPullPayload,
  partnerOf: (p) => p.warehouse,
  dedupeKey: (p) => `stock.pull:${p.warehouse}`,
  // A recurring pull never dead-letters on its own: it is re-armed after every run.
  maxAttempts: 1_000_000,
  handler: (deps) => ({
    async run(job) {
      const id = job.payload.warehouse;
      const partners = deps.partners();
      const warehouse = partners.warehouse?.(id);
      if (!warehouse?.queryStock) {
        await deps.queue.complete(job);
        return;
      }
      const settings = partners.inventory?.();
      const interval = settings?.pullIntervalMs ?? DEFAULT_PULL_MS;
      const threshold = thresholdFor(settings, id);
      const now = deps.clock ?? Date.now;
      const before = await linkOf(deps.store.db, id);
      const platforms = stockPlatforms(partners);
      // Sellable stock switches source when an outage passes its threshold and when it ends:
      // every SKU of the warehouse is pushed again, flagged (or no longer flagged) as a snapshot.
      const announceAll = async () => {
        const skus = (await levelsOf(deps.store.db, { warehouseId: id }, 100_000)).map((l) => l.sku);
        await deps.store.write((trx) => announceStock(trx, platforms, skus));
      };
      let report;
      try {
        report = await warehouse.queryStock();
      } catch (err) {
        const message =
          err instanceof PartnerCallError
            ? `${err.code}${err.status ? ` ${err.status}` : ''}`
            : 'unreadable answer';
        await markUnreachable(deps.store.db, id, message, now());
        const after = await linkOf(deps.store.db, id);
        if (!isOutage(before, threshold, now()) && isOutage(after, threshold, now())) await announceAll();
        const next = Date.now() + Math.min(interval, 5_000);
        if (err instanceof PartnerCallError && !err.retryable) {
          await deps.queue.retryLater(job, next, JSON.stringify(err.toJSON()));
          return;
        }
        await deps.queue.reschedule(job, next);
        return;
      }
      await applyStockFigures(
        deps.store,
        id,
        report.levels,
        report.asOf,
        'pull',
        now(),
        async (trx, skus) => {
          await announceStock(trx, platforms, skus);
          // A count that moved may cover orders held for stock.
          await releaseHeldOrders(trx, id);
        },
      );
      // Back after serving from the snapshot: what was sold on it is compared with the count just
      // applied, before the warehouse is marked reachable — a failure here leaves the outage open
      // and the next pull reconciles again, so no reconciliation is lost.
      const wasOutage = isOutage(before, threshold, now());
      if (wasOutage && before?.unreachable_since != null) {
        await reconcileAfterOutage(deps.store, {
          warehouseId: id,
          unreachableSinceMs: before.unreachable_since,
          fallbackFromMs: before.unreachable_since + threshold,
          recoveredAtMs: now(),
          ...(settings?.reportsDir ? { reportsDir: settings.reportsDir } : {}),
        });
      }
      await markReachable(deps.store.db, id, now());
      if (wasOutage) await announceAll();
      await deps.queue.reschedule(job, Date.now() + interval);
    },
  }),
  deadLetter: { edit: null },
});

/** Arms one pull job per warehouse that answers stock queries (the dedupe key keeps it at one). */
export async function ensureStockPulls(deps: {
  store: Store;
  partners: () => PartnerDirectory;
}): Promise<void> {
  for (const [id, w] of deps.partners().warehouses?.() ?? new Map()) {
    if (w.queryStock) await stockPull.enqueue(deps.store.db, { warehouse: id });
  }
}
