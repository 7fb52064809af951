/**
 * `waygate demo --partners real`, the TikTok Shop act: orders sold in the simulated TikTok Shop
 * reach the hub both ways TikTok offers. Half are announced by signed ORDER_STATUS_CHANGE pushes
 * (carrying only the order id: the hub reads each order back with Get Order Detail), each push
 * re-delivered once byte for byte; the other half are never pushed and come by the hub's pull of
 * Search Orders (every second in the demo), which also sees the pushed ones — so most orders
 * arrive twice or three times and must be stored, shipped and marked shipped at TikTok once.
 * When the parcels move on, TikTok pushes their new status (IN_TRANSIT): acknowledged, nothing
 * fetched. The act waits until every order is delivered and TikTok told, or its time is up.
 */
import type { Hub } from '../hub/hub.js';
import type { SandboxHandle } from '../sandbox/server.js';
import { orderOutcomes } from '../store/journey-outcomes.js';
import { fulfilmentCounts, listPullCursors } from '../store/platform-flow.js';
import type { PlatformFigures } from './demo-platforms.js';

const ID = 'tiktok-shop';

/** How many TikTok orders the act sells for a run of `orders` (a quarter, at least four). */
export const tiktokOrderCount = (orders: number): number => Math.max(4, Math.ceil(orders / 4));

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function tiktokDemo(
  hub: Hub,
  sandbox: SandboxHandle,
  orders: number,
  budgetMs: number,
): Promise<PlatformFigures> {
  const tts = sandbox.tiktokShop;
  const hookUrl = `${hub.url}/v1/webhooks/${ID}/orders`;
  const deadline = Date.now() + budgetMs;
  const { externalIds } = tts.sell(tiktokOrderCount(orders));
  const pushed = externalIds.slice(0, Math.ceil(externalIds.length / 2));
  const refused = [
    ...(await tts.pushStatusChanges(hookUrl, pushed)),
    ...(await tts.redeliver(hookUrl, pushed)),
  ].filter((s) => s !== 202).length;

  const outcomes = () => orderOutcomes(hub.store.db, ID, externalIds);
  const shippedAtTiktok = () => externalIds.filter((id) => tts.packageOf(id)).length;
  while (Date.now() < deadline && shippedAtTiktok() < externalIds.length) await pause(250);
  // TikTok tells the new status of every shipped order: taken, nothing fetched or stored.
  const moved = externalIds.filter((id) => tts.packageOf(id));
  const laterRefused = (await tts.pushStatusChanges(hookUrl, moved)).filter((s) => s !== 202).length;

  const told = async () => (await fulfilmentCounts(hub.store.db)).find((c) => c.platformId === ID);
  for (;;) {
    const rows = await outcomes();
    const settled = rows.filter((r) => r.status === 'delivered' || r.status === 'failed').length;
    if (Date.now() >= deadline) break;
    if (settled >= externalIds.length && ((await told())?.deliveredTold ?? 0) >= settled) break;
    await pause(250);
  }
  const rows = await outcomes();
  const s = sandbox.stats().platforms[ID] ?? {};
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const cursor = (await listPullCursors(hub.store.db)).find((c) => c.partnerId === ID);
  return {
    kind: 'platform',
    orders: externalIds.length,
    stored: rows.length,
    lost: externalIds.length - rows.length,
    delivered: rows.filter((r) => r.status === 'delivered').length,
    webhooks: n(s.webhooksDelivered),
    webhooksRefused: refused + laterRefused,
    redeliveries: n(s.webhooksRedelivered),
    updates: moved.length,
    pulledPages: n(s.pageQueries),
    pulledOrders: cursor?.ordersSeen ?? 0,
    fulfilments: n(s.shipped),
    duplicates: n(s.duplicateShipments),
    signatureFailures: n(s.signatureFailures),
    deliveredTold: (await told())?.deliveredTold ?? 0,
  };
}
