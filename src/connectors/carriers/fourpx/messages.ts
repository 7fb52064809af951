/** The 4PX messages `waygate connectors map` translates (see MessageMapping). */
import type { MessageMapping } from '../../types.js';
import type { ShipmentRequest } from '../../types.js';
import {
  buildCreateOrder,
  parseCancel,
  parseCreateOrder,
  parseLabelGet,
  parseOrderGet,
  parseTracking,
} from './mapper.js';

export const messages: Readonly<Record<string, MessageMapping>> = {
  'shipment.create': {
    description: 'ds.xms.order.create: request out of a canonical ShipmentRequest, answer in',
    out: (c) => buildCreateOrder(c as ShipmentRequest),
    in: parseCreateOrder,
  },
  tracking: { description: 'tr.order.tracking.get answer → canonical tracking events', in: parseTracking },
  'order.get': {
    description: 'ds.xms.order.get answer → the consignment held for a ref_no',
    in: parseOrderGet,
  },
  label: { description: 'ds.xms.label.get answer → the label URL', in: parseLabelGet },
  cancel: { description: 'ds.xms.order.cancel answer', in: parseCancel },
};
