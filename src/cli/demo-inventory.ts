/**
 * The demo's warehouse act: the sandbox overseas warehouse holds stock the hub pulls; US orders
 * of its SKUs are routed to it (config/sandbox.yaml), reserved and sent as its outbound orders
 * over the API, one held for stock until an inbound receipt announced over the API arrives (one
 * unit short); the warehouse adjusts a count, ships, and reports the last-mile waybills. At the
 * end the hub's figures are compared with the warehouse's own, SKU by SKU: `mismatches` is what
 * that comparison found, not an assumption.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { signedHeaders } from '../gateway/signature.js';
import type { Hub } from '../hub/hub.js';
import { snapshotScopeOf } from '../hub/partners.js';
import { takeSnapshot } from '../pipeline/snapshot/take.js';
import type { WarehousePartner } from '../sandbox/warehouse.js';
import { createApiKey } from '../store/api-keys.js';
import { levelsOf } from '../store/inventory.js';
import { getOrderRow } from '../store/orders.js';
import { warehouseOrder } from '../store/warehouse-orders.js';
import { PERMISSIONS } from '../domain/permissions.js';

export interface DemoInventory {
  /** SKUs the warehouse holds at the end. */
  skus: number;
  /** SKUs whose on-hand or reserved figure in the hub differs from the warehouse's own. */
  mismatches: number;
  /** Orders the warehouse fulfilled whose last-mile waybill the hub took back. */
  warehouseFulfilled: number;
  /** Orders still held for stock at the end (0 when the receipt covered them). */
  held: number;
  /** Inbound receipts announced, and units the warehouse received against them. */
  inboundReceipts: number;
  unitsReceived: number;
  /** The Parquet snapshot of the A-tier partners' data taken at the end [004-3.2]. */
  snapshot: { files: number; rows: number; dir: string };
}

const WH = 'sandbox-warehouse';
const STOCK = { 'OWH-TEE-S': 20, 'OWH-TEE-M': 20, 'OWH-TEE-L': 3 };
/** Per order: SKU and quantity. The L order is more than the shelf holds: it waits for the receipt. */
const ORDERS: Array<[string, number]> = [
  ['OWH-TEE-S', 2],
  ['OWH-TEE-M', 1],
  ['OWH-TEE-S', 3],
  ['OWH-TEE-L', 5],
  ['OWH-TEE-M', 2],
];

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function inventoryDemo(hub: Hub, warehouse: WarehousePartner): Promise<DemoInventory> {
  const key = await createApiKey(hub.store.db, hub.box, { name: 'demo-inventory', scopes: PERMISSIONS });
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const res = await request(`${hub.url}${path}`, {
      method,
      ...(body !== undefined ? { body: text } : {}),
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...signedHeaders(key, method, path, text),
      },
    });
    const json = (await res.body.json()) as Record<string, unknown>;
    if (res.statusCode >= 300) throw new Error(`demo: ${method} ${path} answered ${res.statusCode}`);
    return json;
  };
  const status = async (id: string) => (await getOrderRow(hub.store.db, id))?.status;

  warehouse.seed(STOCK);
  await until(
    async () => (await levelsOf(hub.store.db, { warehouseId: WH })).length >= Object.keys(STOCK).length,
    60_000,
    "the warehouse's first stock pull",
  );
  const ids: string[] = [];
  for (const [i, [sku, quantity]] of ORDERS.entries()) {
    const created = await call('POST', '/v1/orders', {
      source: 'sandbox-shop',
      externalId: `DEMO-OWH-${Date.now()}-${i}`,
      currency: 'USD',
      recipient: {
        name: 'Demo Buyer',
        line1: '100 Demo Way',
        city: 'Austin',
        state: 'TX',
        postalCode: '78701',
        country: 'US',
      },
      items: [
        {
          sku,
          description: 'Cotton T-shirt',
          quantity,
          unitPrice: '9.90',
          hsCode: '610910',
          originCountry: 'CN',
          weightGrams: 200,
        },
      ],
    });
    ids.push(created.id as string);
  }
  const receipt = await call('POST', '/v1/inbounds', {
    warehouse: WH,
    reference: `DEMO-PO-${Date.now()}`,
    lines: [{ sku: 'OWH-TEE-L', quantity: 10 }],
  });
  const inboundId = receipt.id as string;
  await until(
    async () => (await call('GET', `/v1/inbounds/${inboundId}`)).status === 'sent',
    60_000,
    'the inbound receipt to reach the warehouse',
  );
  warehouse.receive(inboundId, { 'OWH-TEE-L': 9 });
  warehouse.adjust('OWH-TEE-M', -1);
  await until(
    async () => {
      warehouse.ship();
      const all = await Promise.all(ids.map(status));
      return all.every((s) => s !== 'accepted' && s !== 'at_warehouse');
    },
    90_000,
    'the warehouse to ship the orders it was sent',
  );
  // Let the last pushes and a pull land, then compare with the warehouse's own figures.
  const compare = async () => {
    const truth = warehouse.stock();
    const levels = await levelsOf(hub.store.db, { warehouseId: WH }, 100_000);
    const skus = new Set([...Object.keys(truth), ...levels.map((l) => l.sku)]);
    let mismatches = 0;
    for (const sku of skus) {
      const l = levels.find((x) => x.sku === sku);
      const t = truth[sku];
      if (!l || !t || l.on_hand !== t.physical || l.reserved !== t.locked) mismatches++;
    }
    return { skus: Object.keys(truth).length, mismatches };
  };
  let figures = await compare();
  const deadline = Date.now() + 30_000;
  while ((figures.mismatches > 0 || warehouse.undelivered() > 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    figures = await compare();
  }
  // The day's Parquet snapshot, as the 02:00 job or `waygate snapshot run` writes it.
  const snap = await takeSnapshot(hub.store, {
    dir: mkdtempSync(join(tmpdir(), 'waygate-demo-snapshot-')),
    timeZone: 'UTC',
    scope: snapshotScopeOf(hub.partners().config),
    trigger: 'cli',
  });
  const final = await Promise.all(ids.map(status));
  const received = (await call('GET', `/v1/inbounds/${inboundId}`)).lines as Array<{ received: number }>;
  return {
    ...figures,
    warehouseFulfilled: (await Promise.all(ids.map((id) => warehouseOrder(hub.store.db, id)))).filter(
      (w) => w?.status === 'shipped',
    ).length,
    held: final.filter((s) => s === 'awaiting_stock').length,
    inboundReceipts: 1,
    unitsReceived: received.reduce((n, l) => n + l.received, 0),
    snapshot: {
      files: snap.files.length,
      rows: snap.files.reduce((n, f) => n + f.rows, 0),
      dir: snap.dir,
    },
  };
}
