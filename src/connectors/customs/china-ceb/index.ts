/**
 * China Customs cross-border e-commerce (CEB 2022-05) through the customs transfer client: signed
 * messages out, receipts in, by its folders (`options.transferFolder`) or its HTTP interface
 * (the partner's baseUrl). Building, validating and signing messages is in mapper.ts; the
 * pipeline (pipeline/customs/) decides when each message is declared and applies the receipts.
 */
import { defineCustoms } from '../../contract.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { CustomsConnector, PartnerEndpoint } from '../../types.js';
import { folderTransport, httpTransport } from './client.js';
import { manifest } from './manifest.js';

export { manifest };

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): CustomsConnector {
  const { credentials, options } = readSettings(manifest, endpoint);
  const transport = options.transferFolder
    ? folderTransport(options.transferFolder)
    : httpTransport(endpoint, http, credentials.clientKey);
  return {
    manifest,
    sendMessage: (name, content) => transport.send(name, content),
    nextReceipt: () => transport.next(),
    acknowledgeReceipt: (file) => transport.acknowledge(file),
  };
}

export const connector = defineCustoms(manifest, createConnector);
