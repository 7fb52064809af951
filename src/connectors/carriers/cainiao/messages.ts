/** The Cainiao messages `waygate connectors map` translates (see MessageMapping). */
import type { MessageMapping, ShipmentRequest } from '../../types.js';
import { buildCreate, parseCreate, parseTrack } from './mapper.js';

export const messages: Readonly<Record<string, MessageMapping>> = {
  'shipment.create': {
    description:
      'CAINIAO_GLOBAL_OPEN_DISTRIBUTION_CONSIGN: logistics_interface out of a canonical ShipmentRequest, answer in',
    out: (c) => buildCreate(c as ShipmentRequest),
    in: parseCreate,
  },
  tracking: {
    description: 'CN_OVERSEA_LOGISTICS_INQUIRY_TRACKING answer → canonical tracking events',
    in: parseTrack,
  },
};
