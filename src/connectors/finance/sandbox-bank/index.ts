/**
 * Sandbox Bank: a bank's daily FX rate feed (`fx.rates`) behind the finance connector contract,
 * the rate source fee settlement converts bills with [001-6.3.2]. This file only composes: the
 * client does the I/O, the mapper reads the answer.
 */
import { callOperation, defineFinance } from '../../contract.js';
import type { HttpClient } from '../../http.js';
import type { FinanceConnector, PartnerEndpoint } from '../../types.js';
import { createBankClient } from './client.js';
import { manifest } from './manifest.js';
import { fxRateOperation } from './mapper.js';

export { manifest };

export function createConnector(endpoint: PartnerEndpoint, http: HttpClient): FinanceConnector {
  const send = createBankClient(endpoint, http);
  return {
    manifest,
    fxRate: (base, quote, day) =>
      callOperation(endpoint.partnerId, send, fxRateOperation({ base, quote, day }), { base, quote, day }),
  };
}

export const connector = defineFinance(manifest, createConnector);
