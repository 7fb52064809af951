/**
 * The shop's webhook topics and what each means in the hub. Only `order.created` becomes a new
 * order; a topic this table does not know maps to the declared fallback and is refused.
 */

export type CanonicalTopic =
  'order.created' | 'order.updated' | 'order.cancelled' | 'order.fulfilled' | 'unknown';

export const TOPIC_CODES: Readonly<Record<string, CanonicalTopic>> = {
  'orders/create': 'order.created',
  'orders/updated': 'order.updated',
  'orders/cancelled': 'order.cancelled',
  'orders/fulfilled': 'order.fulfilled',
};

/** Declared fallback for topics the table does not know yet. */
export const TOPIC_FALLBACK: CanonicalTopic = 'unknown';

/** The topic the hub subscribes to and accepts as a new order. */
export const ORDER_CREATE_TOPIC = 'orders/create';

export function canonicalTopic(topic: string): CanonicalTopic {
  return Object.hasOwn(TOPIC_CODES, topic) ? (TOPIC_CODES[topic] as CanonicalTopic) : TOPIC_FALLBACK;
}
