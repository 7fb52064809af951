/**
 * `waygate demo --partners real`, the sales-platform side: orders come from the simulated
 * Shopify (signed `orders/create` webhooks, re-deliveries and `orders/updated` included), the
 * simulated Taobao/Tmall TOP (the hub's `orders.pull` job reads its sold-trade feed) and the
 * simulated Amazon SP-API (`orders.pull` with an LWA token, getOrders NextToken pages and
 * getOrderItems, throttled once with a 429 on a read and once on a confirmation), and each
 * platform is told the waybill and carrier when the parcel ships and, where it takes them,
 * tracking updates until delivered (`fulfilment.send`). Real platform orders carry no HS code:
 * the seller's catalogue is loaded first, as a seller would import it.
 */
import { saveProducts } from '../pipeline/catalogue.js';
import type { SandboxHandle } from '../sandbox/server.js';
import { shopProducts } from '../sandbox/shop-data.js';
import type { Store } from '../store/db.js';
import { fulfilmentCounts, listPullCursors } from '../store/platform-flow.js';

/** Orders one platform sent in the run. */
export interface OrderBatch {
  source: string;
  externalIds: string[];
}

/** Chinese declared names of the sandbox sellers' products (base SKU → name). */
const NAME_ZH: Readonly<Record<string, string>> = {
  'TS-ORG-001': '有机棉圆领T恤',
  'HD-FLC-220': '抓绒套头卫衣',
  'SW-MRN-310': '美利奴羊毛衫',
  'JN-SLM-032': '修身牛仔裤',
  'DR-WRP-114': '针织裹身连衣裙',
  'SC-SLK-090': '印花真丝围巾',
  'SN-RUN-420': '轻量跑步鞋',
  'BG-LTH-205': '皮革斜挎包',
  'BP-CMT-025': '通勤双肩包 25升',
  'EB-ANC-300': '无线降噪耳机',
  'CH-GAN-065': '65瓦氮化镓充电器',
  'PB-10K-020': '10000毫安移动电源',
  'CB-USC-002': '编织USB-C数据线 2米',
  'PC-SIL-015': '硅胶手机壳',
  'SW-FIT-002': '运动智能手表',
  'KB-MEC-087': '机械键盘',
  'LM-LED-012': 'LED台灯',
  'MG-CER-035': '炻瓷咖啡杯',
  'BT-SST-075': '不锈钢保温瓶 750毫升',
  'TE-GRN-100': '龙井绿茶 100克',
  'LP-MAT-004': '哑光口红',
  'YM-TPE-006': 'TPE瑜伽垫 6毫米',
  'SG-POL-001': '偏光太阳镜',
  'TY-BLK-500': '积木套装（500块）',
  'NB-DOT-A5': 'A5点格笔记本',
};

/** The sellers' catalogue, as they would import it: customs data for every SKU they list. */
export async function loadSellerCatalogue(store: Store): Promise<number> {
  const products = shopProducts().map((p) => ({
    sku: p.sku,
    hsCode: p.hs,
    originCountry: p.origin,
    nameEn: p.title,
    nameZh: NAME_ZH[p.sku.split('-').slice(0, 3).join('-')] ?? p.title,
    weightGrams: p.grams,
    declaredValue: (p.usdCents / 100).toFixed(2),
    currency: 'USD',
  }));
  const saved = await saveProducts(store, products, 'demo', { maxProducts: products.length });
  return saved.created + saved.updated + saved.unchanged;
}

/** Amazon's throttling answers planted in the run: one on an order read, one on a confirmation. */
export const AMAZON_THROTTLES: Readonly<Record<string, number>> = { getOrderItems: 1, confirmShipment: 1 };

/**
 * Loads the catalogue, then has Shopify push about a third of the orders, TOP sell a third and
 * Amazon take the rest (seeded for the hub's pull), with Amazon's 429s planted.
 */
export async function sendPlatformOrders(
  sandbox: SandboxHandle,
  store: Store,
  orders: number,
): Promise<OrderBatch[]> {
  await loadSellerCatalogue(store);
  const viaShopify = Math.ceil(orders / 3);
  const viaTop = Math.ceil((orders - viaShopify) / 2);
  const viaAmazon = orders - viaShopify - viaTop;
  const batches: OrderBatch[] = [
    { source: 'shopify', externalIds: sandbox.shopify.push(viaShopify).externalIds },
  ];
  if (viaTop > 0)
    batches.push({ source: 'taobao-top', externalIds: sandbox.taobaoTop.sell(viaTop).externalIds });
  if (viaAmazon > 0) {
    for (const [operation, count] of Object.entries(AMAZON_THROTTLES))
      sandbox.amazon.throttle(operation, count);
    batches.push({ source: 'amazon-sp-api', externalIds: sandbox.amazon.seed(viaAmazon).orderIds });
  }
  return batches;
}

/** Waits (until the deadline) for every platform to have been told its delivered orders are delivered. */
export async function awaitPlatformsTold(
  store: Store,
  delivered: number,
  deadlineMs: number,
): Promise<number> {
  for (;;) {
    const told = (await fulfilmentCounts(store.db)).reduce((n, c) => n + c.deliveredTold, 0);
    if (told >= delivered || Date.now() >= deadlineMs) return told;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What each platform of the run did, as the simulated platform itself counted it and as the hub stored it. */
export async function platformFigures(sandbox: SandboxHandle, store: Store, batches: readonly OrderBatch[]) {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const stats = sandbox.stats().platforms;
  const hub = new Map((await fulfilmentCounts(store.db)).map((c) => [c.platformId, c]));
  const cursors = new Map((await listPullCursors(store.db)).map((c) => [c.partnerId, c]));
  const out: Record<string, PlatformFigures> = {};
  for (const b of batches) {
    const s = stats[b.source] ?? {};
    const told = hub.get(b.source);
    out[b.source] =
      b.source === 'amazon-sp-api'
        ? {
            kind: 'platform',
            orders: b.externalIds.length,
            pulledPages: n(s.orderPages),
            pulledOrders: cursors.get(b.source)?.ordersSeen ?? 0,
            fulfilments: n(s.confirmations),
            duplicates: n(s.duplicateConfirmations),
            throttled: n(s.throttled),
            deliveredTold: told?.deliveredTold ?? 0,
          }
        : b.source === 'shopify'
          ? {
              kind: 'platform',
              orders: b.externalIds.length,
              webhooks: n(s.webhooksDelivered),
              redeliveries: n(s.redeliveries),
              updates: n(s.updatesSent),
              fulfilments: n(s.fulfilmentsCreated),
              trackingEvents: n(s.fulfilmentEvents),
              duplicates: n(s.duplicateFulfilments),
              deliveredTold: told?.deliveredTold ?? 0,
            }
          : {
              kind: 'platform',
              orders: b.externalIds.length,
              pulledPages: n(s.pageQueries),
              pulledOrders: cursors.get(b.source)?.ordersSeen ?? 0,
              fulfilments: n(s.shipped),
              duplicates: n(s.duplicateShipments),
              signatureFailures: n(s.signatureFailures),
              deliveredTold: told?.deliveredTold ?? 0,
            };
  }
  return out;
}

/** One platform's figures in the demo summary. */
export interface PlatformFigures {
  kind: 'platform';
  orders: number;
  /**
   * Shopify: webhooks acknowledged, re-deliveries (same webhook id) and orders/updated sent.
   * TikTok Shop: pushes acknowledged, re-deliveries (same bytes) and later-status pushes sent.
   */
  webhooks?: number;
  redeliveries?: number;
  updates?: number;
  /** Pull platforms: feed pages read and orders seen in them (overlaps included). */
  pulledPages?: number;
  pulledOrders?: number;
  /** Fulfilments created at the platform (Shopify) or trades marked shipped (TOP). */
  fulfilments: number;
  /** Tracking events posted to the fulfilment (Shopify). */
  trackingEvents?: number;
  /** Second fulfilments / shipments of one order refused by the platform. */
  duplicates: number;
  signatureFailures?: number;
  /** Amazon: calls answered 429 QuotaExceeded (planted), each waited out and made again. */
  throttled?: number;
  /** Orders whose platform has been told they are delivered. */
  deliveredTold: number;
  /** TikTok Shop act (its orders are not in the journey's figures): stored by the hub, lost, delivered. */
  stored?: number;
  lost?: number;
  delivered?: number;
  /** Pushes the hub did not answer 202 (TikTok Shop act). */
  webhooksRefused?: number;
}

export function formatPlatform(p: PlatformFigures): string {
  const pulled = `${p.pulledOrders ?? 0} pulled in ${p.pulledPages ?? 0} pages${p.throttled ? ` (${p.throttled} × 429 waited out)` : ''}`;
  const via =
    p.webhooks !== undefined && p.pulledOrders !== undefined
      ? `${p.webhooks} webhooks (${p.redeliveries ?? 0} re-deliveries, ${p.updates ?? 0} later statuses, ${p.webhooksRefused ?? 0} refused) + ${pulled}, ${p.stored ?? 0} stored, ${p.lost ?? 0} lost, ${p.delivered ?? 0} delivered`
      : p.webhooks !== undefined
        ? `${p.webhooks} webhooks (+${p.redeliveries ?? 0} re-deliveries, ${p.updates ?? 0} updates)`
        : pulled;
  return `${p.orders} orders, ${via}, ${p.fulfilments} fulfilments, ${p.deliveredTold} told delivered, ${p.duplicates} duplicates`;
}
