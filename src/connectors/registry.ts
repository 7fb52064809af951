/**
 * Every connector the hub ships, registered explicitly (not discovered by globbing), one line
 * each, so the list of dialects the hub speaks is one reviewable file. Each line re-exports a
 * connector folder's `connector` definition (manifest + factory); catalogue.ts reads this list.
 * `waygate new connector` adds its line at the end.
 */
export { connector as carrierAlpha } from './carriers/carrier-alpha/index.js';
export { connector as carrierBeta } from './carriers/carrier-beta/index.js';
export { connector as sandboxShop } from './platforms/sandbox-shop/index.js';
export { connector as fourpx } from './carriers/fourpx/index.js';
export { connector as yunexpress } from './carriers/yunexpress/index.js';
export { connector as ups } from './carriers/ups/index.js';
export { connector as sandboxBank } from './finance/sandbox-bank/index.js';
export { connector as shopify } from './platforms/shopify/index.js';
export { connector as cainiao } from './carriers/cainiao/index.js';
export { connector as taobaoTop } from './platforms/taobao-top/index.js';
export { connector as tiktokShop } from './platforms/tiktok-shop/index.js';
export { connector as sandboxWarehouse } from './warehouses/sandbox-warehouse/index.js';
export { connector as amazonSpApi } from './platforms/amazon-sp-api/index.js';
export { connector as yanwen } from './carriers/yanwen/index.js';
export { connector as chinaCeb } from './customs/china-ceb/index.js';
