/** The Yanwen messages `waygate connectors map` translates (see MessageMapping). */
import type { MessageMapping, ShipmentRequest } from '../../types.js';
import { buildCreateOrder, parseCreateOrder, parseLabel, parseTracking } from './mapper.js';

export const messages: Readonly<Record<string, MessageMapping>> = {
  'shipment.create': {
    description: 'express.order.create: request out of a canonical ShipmentRequest, answer in',
    out: (c) => buildCreateOrder(c as ShipmentRequest),
    in: parseCreateOrder,
  },
  tracking: { description: 'tracking API answer → canonical tracking events', in: parseTracking },
  label: {
    description: 'express.order.label.get answer → the label',
    in: (raw) => {
      const r = parseLabel(raw);
      return r.ok ? { ok: true, value: { format: r.value.format, bytes: r.value.data.length } } : r;
    },
  },
};
