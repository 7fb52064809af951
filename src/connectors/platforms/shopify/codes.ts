/** Shopify's webhook topics and fulfilment event statuses, in canonical terms. */
import type { ShipmentStatus } from '../../../domain/index.js';

export const ORDER_TOPICS = { 'orders/create': 'order.created', 'orders/updated': 'order.updated' } as const;
export type ShopifyOrderTopic = keyof typeof ORDER_TOPICS;

/** A topic the hub does not take (orders/paid, products/…): refused as unsupported. */
export const TOPIC_FALLBACK = undefined;

export function canonicalTopic(topic: string): (typeof ORDER_TOPICS)[ShopifyOrderTopic] | undefined {
  const t = topic.trim();
  return Object.hasOwn(ORDER_TOPICS, t) ? ORDER_TOPICS[t as ShopifyOrderTopic] : TOPIC_FALLBACK;
}

/**
 * Canonical shipment status → Shopify fulfilment event status (FulfillmentEvent.status). A
 * status with no Shopify counterpart (customs, returning) is not sent: Shopify keeps the last.
 * Fallback: EVENT_FALLBACK (nothing sent), declared here rather than guessed.
 */
export const EVENT_FALLBACK = undefined;
const EVENT_STATUS: Partial<Record<ShipmentStatus, string>> = {
  info_received: 'label_printed',
  in_transit: 'in_transit',
  out_for_delivery: 'out_for_delivery',
  delivery_failed: 'attempted_delivery',
  available_for_pickup: 'ready_for_pickup',
  delivered: 'delivered',
  exception: 'failure',
};

export function fulfilmentEventStatus(status: ShipmentStatus): string | undefined {
  return EVENT_STATUS[status] ?? EVENT_FALLBACK;
}
