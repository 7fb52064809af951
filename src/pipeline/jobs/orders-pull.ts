/**
 * `orders.pull`: one recurring job per pull-type sales platform (a connector with `orders.pull`)
 * reads the platform's order feed page by page and accepts each order. Generic over the connector
 * contract: the connector turns `since` + its own opaque cursor into the partner's paging; the hub
 * keeps both per platform in the store (store/platform-flow.ts).
 *
 * Each order is accepted exactly once: acceptOrder recognises an order it already has by source +
 * external id, so a page pulled twice (pages that overlap, a window that re-reads its last
 * minutes, a run killed after accepting half a page and before moving the cursor) stores nothing
 * twice. The cursor moves only after every order of its page is accepted or kept, so a kill never
 * skips one either. A finished window starts the next one a little before the first page of the
 * finished one was asked for (OVERLAP_MS), so an order updated while the window was being read is
 * not missed.
 *
 * The feed is read through the platform's runtime (pipeline/policy/runtime.ts), as carriers are
 * called: a failed read counts on the channel's circuit breaker, an open circuit or a 429 gate
 * defers the pull without calling the platform, and partner health (`GET /v1/partners`) shows
 * the platform's channels. A platform's "slow down" (429 with its reset) parks the pull until
 * then without counting as a failure; other failures retry with the policy's backoff and are
 * noted on the cursor.
 *
 * An order the hub refuses — its connector could not map it (`OrderPage.refused`), it is not a
 * canonical order, or it breaks a business rule — is kept for replay: its payload sealed in
 * `inbound_messages` (once per platform order id) and an `inbound.pulled` job queued, which tries
 * it again and otherwise waits in the dead letters with the reason (jobs/inbound-pulled.ts). It is
 * also counted and named on the cursor (field paths only: the values are the buyer's), and the
 * feed goes on.
 */
import { Type } from '@sinclair/typebox';
import { OrderInput, WaygateError } from '../../domain/index.js';
import { PartnerCallError } from '../../connectors/errors.js';
import type { OrderPage, RefusedOrder } from '../../connectors/types.js';
import { insertInboundMessage } from '../../store/inbound-messages.js';
import type { Store } from '../../store/db.js';
import { notePullError, readPullCursor, writePullCursor } from '../../store/platform-flow.js';
import { acceptOrder } from '../accept-order.js';
import type { PartnerDirectory } from '../partners.js';
import { DeferredError, ScheduledRetryError } from '../policy/runtime.js';
import { checker } from '../validation.js';
import { inboundPulled, PULLED_ORDER_MESSAGE } from './inbound-pulled.js';
import { defineJobKind } from './kind.js';

export const OrdersPullPayload = Type.Object(
  {
    platform: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'the pulled sales platform' }),
  },
  { additionalProperties: false },
);

/** How often a platform's feed is read when its last read found the end (config `orders.pullIntervalMs`). */
export const DEFAULT_ORDER_PULL_MS = 60_000;
/** How far back the first read of a new platform's feed starts (config `orders.initialLookbackHours`). */
export const DEFAULT_LOOKBACK_MS = 24 * 3600_000;
/** A finished window's successor starts this long before it did (clock skew, late index updates). */
export const OVERLAP_MS = 2 * 60_000;
/** Pages read per run before the job yields its worker (and runs again at once). */
const PAGES_PER_RUN = 20;
/** Longest wait after a failure before the feed is tried again. */
const MAX_FAILURE_WAIT_MS = 60_000;

const canonicalOrder = checker(OrderInput);

export interface PageOutcome {
  seen: number;
  accepted: number;
  refused: number;
  /** Refused orders newly kept for replay (a refused order seen again is kept once). */
  kept: number;
  /** What was wrong with the last refused order (external id and field path, no values). */
  lastRefusal: string | null;
}

/** The first field a refusal names (never a value: those are the buyer's). */
function refusalField(err: WaygateError): string {
  const d = err.details as { field?: unknown; errors?: Array<{ field?: unknown }> } | unknown[] | undefined;
  const first = Array.isArray(d) ? (d[0] as { field?: unknown } | undefined) : (d?.errors?.[0] ?? d);
  return typeof first?.field === 'string' && first.field ? ` ${first.field.slice(0, 100)}` : '';
}

/**
 * Keeps a refused order for replay: its payload sealed in inbound_messages and an inbound.pulled
 * job, in one transaction, once per platform order id (an overlapping page re-serves it).
 */
async function keepRefused(
  store: Store,
  platformId: string,
  r: { externalId: string; raw: string; form: 'partner' | 'canonical' },
): Promise<boolean> {
  const externalId = r.externalId.slice(0, 64) || '?';
  return store.write(async (trx) => {
    const nowMs = Date.now();
    const messageId = await insertInboundMessage(
      trx,
      store.keys.cipher,
      { partnerId: platformId, kind: PULLED_ORDER_MESSAGE, dedupeKey: externalId, body: r.raw },
      nowMs,
    );
    if (!messageId) return false;
    await inboundPulled.enqueue(trx, { messageId, partnerId: platformId, externalId, form: r.form }, nowMs);
    return true;
  });
}

/**
 * Accepts the orders of one page, each in its own transaction; a repeat is recognised, not stored.
 * Refused orders (the connector's, and those that fail the canonical schema or a business rule)
 * are kept for replay.
 */
export async function acceptPulledOrders(
  store: Store,
  platformId: string,
  orders: readonly unknown[],
  refusedByConnector: readonly RefusedOrder[] = [],
): Promise<PageOutcome> {
  const out: PageOutcome = {
    seen: orders.length + refusedByConnector.length,
    accepted: 0,
    refused: 0,
    kept: 0,
    lastRefusal: null,
  };
  for (const r of refusedByConnector) {
    out.refused++;
    out.lastRefusal = `order ${r.externalId.slice(0, 64)}: ${r.error.code}${refusalField(r.error)}`;
    if (await keepRefused(store, platformId, { externalId: r.externalId, raw: r.raw, form: 'partner' }))
      out.kept++;
  }
  for (const order of orders) {
    const issues = canonicalOrder.issues(order);
    const first = issues[0];
    const externalId =
      typeof order === 'object' && order !== null && 'externalId' in order
        ? String((order as { externalId: unknown }).externalId).slice(0, 64)
        : '?';
    let refusal: string | undefined;
    if (first) {
      refusal = `${first.field} ${first.message}`;
    } else {
      try {
        const r = await acceptOrder(store, order as OrderInput, { caller: platformId });
        if (r.created) out.accepted++;
      } catch (err) {
        // A business rule the order breaks (a SKU on two lines): the platform's data, not ours.
        if (!(err instanceof WaygateError)) throw err;
        refusal = err.code;
      }
    }
    if (refusal === undefined) continue;
    out.refused++;
    out.lastRefusal = `order ${externalId}: ${refusal}`;
    const raw = JSON.stringify(order) ?? 'null';
    if (await keepRefused(store, platformId, { externalId, raw, form: 'canonical' })) out.kept++;
  }
  return out;
}

export const ordersPull = defineJobKind({
  name: 'orders.pull',
  description:
    "reads a pull-type platform's order feed page by page from its stored cursor, accepts each order once and re-arms itself",
  lane: 'outbound',
  payload: OrdersPullPayload,
  partnerOf: (p) => p.platform,
  dedupeKey: (p) => `orders.pull:${p.platform}`,
  // A recurring pull never dead-letters on its own: it is re-armed after every run.
  maxAttempts: 1_000_000,
  handler: (deps) => ({
    async run(job) {
      const id = job.payload.platform;
      const partners = deps.partners();
      const platform = partners.platform(id);
      if (!platform?.pullOrders) {
        await deps.queue.complete(job);
        return;
      }
      const runtime = partners.platformRuntime?.(id);
      const pull = (since: string, cursor: string | undefined): Promise<OrderPage> =>
        runtime
          ? runtime.call((p) => p.pullOrders!(since, cursor), job.attempts)
          : platform.pullOrders!(since, cursor);
      const settings = partners.orderPulls?.() ?? {
        intervalMs: DEFAULT_ORDER_PULL_MS,
        lookbackMs: DEFAULT_LOOKBACK_MS,
      };
      const stored = await readPullCursor(deps.store.db, id);
      let since = stored?.since ?? new Date(Date.now() - settings.lookbackMs).toISOString();
      let cursor = stored?.pageCursor ?? null;
      let windowStartedAt = stored?.windowStartedAt ?? null;
      let more = false;
      try {
        for (let page = 0; page < PAGES_PER_RUN; page++) {
          const startedAt = windowStartedAt ?? Date.now();
          const got = await pull(since, cursor ?? undefined);
          const outcome = await acceptPulledOrders(deps.store, id, got.orders, got.refused);
          const nowMs = Date.now();
          if (got.next) {
            cursor = got.next;
            windowStartedAt = startedAt;
          } else {
            since = new Date(startedAt - OVERLAP_MS).toISOString();
            cursor = null;
            windowStartedAt = null;
          }
          await writePullCursor(
            deps.store.db,
            id,
            {
              since,
              pageCursor: cursor,
              windowStartedAt,
              seen: outcome.seen,
              accepted: outcome.accepted,
              refused: outcome.refused,
              lastError: outcome.lastRefusal,
            },
            nowMs,
          );
          more = got.next !== undefined;
          if (!more) break;
        }
      } catch (err) {
        if (err instanceof DeferredError) {
          // Breaker open, 429 gate, call window or saturation: the platform was not called.
          await notePullError(deps.store.db, id, `deferred: ${err.message}`.slice(0, 200), Date.now());
          await deps.queue.reschedule(job, err.untilMs);
          return;
        }
        if (err instanceof ScheduledRetryError) {
          // Counted on the channel's breaker; retried on the policy's backoff, never dead-lettered.
          const nowMs = Date.now();
          const f = err.failure;
          await notePullError(deps.store.db, id, `${f.code}${f.status ? ` ${f.status}` : ''}`, nowMs);
          await deps.queue.retryLater(
            job,
            Math.min(err.runAtMs, nowMs + MAX_FAILURE_WAIT_MS),
            JSON.stringify(f.toJSON()),
          );
          return;
        }
        if (!(err instanceof PartnerCallError)) throw err;
        const nowMs = Date.now();
        await notePullError(deps.store.db, id, `${err.code}${err.status ? ` ${err.status}` : ''}`, nowMs);
        if (err.code === 'partner_rate_limited' || err.status === 429) {
          // The platform's own reset: a wait, not a failure.
          await deps.queue.reschedule(job, nowMs + Math.min(err.retryAfterMs ?? 1_000, MAX_FAILURE_WAIT_MS));
          return;
        }
        const backoff = Math.min(1_000 * 2 ** Math.min(job.attempts, 6), MAX_FAILURE_WAIT_MS);
        await deps.queue.retryLater(job, nowMs + backoff, JSON.stringify(err.toJSON()));
        return;
      }
      await deps.queue.reschedule(job, more ? Date.now() : Date.now() + settings.intervalMs);
    },
  }),
  deadLetter: { edit: null },
});

/** Arms one pull job per platform that serves its orders as a feed (the dedupe key keeps it at one). */
export async function ensureOrderPulls(deps: {
  store: Store;
  partners: () => PartnerDirectory;
}): Promise<void> {
  for (const [id, p] of deps.partners().platforms?.() ?? new Map()) {
    if (p.pullOrders) await ordersPull.enqueue(deps.store.db, { platform: id });
  }
}
