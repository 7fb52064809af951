/** The YunExpress messages `waygate connectors map` translates (see MessageMapping). */
import type { MessageMapping, ShipmentRequest } from '../../types.js';
import {
  buildCreateOrder,
  parseCreateOrder,
  parseLabelPrint,
  parseTrackInfo,
  parseTrackingNumber,
} from './mapper.js';

export const messages: Readonly<Record<string, MessageMapping>> = {
  'shipment.create': {
    description: 'WayBill/CreateOrder: request out of a canonical ShipmentRequest, answer in',
    out: (c) => buildCreateOrder(c as ShipmentRequest),
    in: parseCreateOrder,
  },
  tracking: { description: 'Tracking/GetTrackInfo answer → canonical tracking events', in: parseTrackInfo },
  'tracking-number': {
    description: 'Waybill/GetTrackingNumber answer → the waybill held for an order number',
    in: parseTrackingNumber,
  },
  label: { description: 'Label/Print answer → the label URL', in: parseLabelPrint },
};
