/** OWH's event types and inspection grades, mapped to canonical stock changes. */
import type { OutboundState, StockEventKind, StockEvent } from '../../types.js';

/** An event type this version does not know is refused (never guessed as a stock change). */
export const EVENT_FALLBACK = undefined;

export const EVENT_KINDS: Readonly<Record<string, StockEventKind>> = {
  STOCK_RECEIVED: 'inbound_received',
  STOCK_SHIPPED: 'outbound_shipped',
  STOCK_ADJUSTED: 'adjustment',
  STOCK_DAMAGED: 'damage',
  RETURN_RECEIVED: 'return_received',
};

export const GRADES: Readonly<Record<string, NonNullable<StockEvent['inspection']>>> = {
  RESELLABLE: 'resellable',
  DAMAGED: 'damaged',
  MISSING: 'missing',
};

/** What an unknown event type maps to: nothing — the push is refused, naming the field. */
export function eventKind(type: unknown): StockEventKind | typeof EVENT_FALLBACK {
  return typeof type === 'string' && Object.hasOwn(EVENT_KINDS, type) ? EVENT_KINDS[type] : EVENT_FALLBACK;
}

/** OWH's outbound order states; one this version does not know is `unknown` (never guessed). */
export const OUTBOUND_STATES: Readonly<Record<string, OutboundState>> = {
  CREATED: 'received',
  PICKING: 'picking',
  PACKED: 'packed',
  SHIPPED: 'shipped',
  CANCELLED: 'cancelled',
};

export function outboundState(code: unknown): OutboundState {
  return typeof code === 'string' && Object.hasOwn(OUTBOUND_STATES, code)
    ? OUTBOUND_STATES[code]!
    : 'unknown';
}
