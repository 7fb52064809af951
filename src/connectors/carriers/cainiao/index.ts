/** Cainiao LINK: composes the digest-signed client and the mapper into a carrier. */
import type { TrackingEvent } from '../../../domain/index.js';
import { defineCarrier } from '../../contract.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { CarrierConnector, PartnerEndpoint } from '../../types.js';
import { createCainiaoClient } from './client.js';
import { buildCreate, buildTrack, MSG_CREATE, MSG_TRACK, parseCreate, parseTrack } from './mapper.js';
import { manifest } from './manifest.js';
import { messages } from './messages.js';

export { manifest };

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): CarrierConnector {
  const client = createCainiaoClient(endpoint, http);
  const { options } = readSettings(manifest, endpoint);
  return {
    manifest,
    createShipment: (req) => client.call(MSG_CREATE, buildCreate(req, options.solutionCode), parseCreate),
    async fetchTracking(waybillNos) {
      const events: TrackingEvent[] = [];
      for (const no of new Set(waybillNos))
        events.push(...(await client.call(MSG_TRACK, buildTrack(no), parseTrack)));
      return events;
    },
    async probe() {
      await client.call(MSG_TRACK, buildTrack('LP00000000000000'), parseTrack);
    },
  };
}

export const connector = defineCarrier(manifest, createConnector, messages);
