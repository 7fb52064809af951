/** Row types of the product catalogue (migration 013_catalogue). Amounts are decimal strings. */

export interface ProductsTable {
  sku: string;
  hs_code: string;
  origin_country: string;
  name_en: string;
  name_zh: string;
  weight_grams: number;
  declared_value: string;
  currency: string;
  created_at: number;
  updated_at: number;
}

/** One row per SKU a `needs_data` order waits for; removed when the order moves on. */
export interface OrderMissingSkusTable {
  order_id: string;
  sku: string;
  since: number;
}

export type CatalogueTables = {
  products: ProductsTable;
  order_missing_skus: OrderMissingSkusTable;
};
