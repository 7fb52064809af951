/** The UPS messages `waygate connectors map` translates (see MessageMapping); answers read as HTTP 200. */
import type { MessageMapping, ShipmentRequest } from '../../types.js';
import { buildShipRequest, parseShipResponse, parseToken, parseTrackResponse } from './mapper.js';

export const messages: Readonly<Record<string, MessageMapping>> = {
  'shipment.create': {
    description:
      'Shipping API: ShipmentRequest out of a canonical ShipmentRequest (account XXXXXX), ShipmentResponse in',
    out: (c) => buildShipRequest(c as ShipmentRequest, { accountNumber: 'XXXXXX' }),
    in: (raw) => {
      const res = parseShipResponse(200, raw);
      // The label bytes are summarised: a terminal is no place for a base64 image.
      if (res.ok && res.value.label)
        return {
          ...res,
          value: {
            ...res.value,
            label: { format: res.value.label.format, bytes: res.value.label.data.length },
          },
        };
      return res;
    },
  },
  tracking: {
    description: 'Tracking API trackResponse → canonical tracking events',
    in: (raw) => parseTrackResponse(200, raw),
  },
  token: {
    description: 'OAuth token answer (the token itself is not printed)',
    in: (raw) => ({ expiresInSec: parseToken(raw).expiresInSec }),
  },
};
