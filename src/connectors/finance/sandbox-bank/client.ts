/**
 * The bank's transport, I/O only: JSON GETs through the shared HttpClient with the API key as a
 * bearer token. Answers that say nothing about the question (401/403, 408, 429, 5xx) become
 * typed PartnerCallErrors here; a 404 (no rate) or a 200 goes back to the mapper.
 */
import { infrastructureError, type JsonSend } from '../../contract.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { manifest } from './manifest.js';
import { errorDetails } from './mapper.js';

export function createBankClient(endpoint: PartnerEndpoint, http: HttpClient): JsonSend {
  const { credentials } = readSettings(manifest, endpoint);
  const base = endpoint.baseUrl.replace(/\/+$/, '');
  return async ({ method, path }) => {
    const res = await http.send({
      partnerId: endpoint.partnerId,
      method,
      url: `${base}${path}`,
      headers: { authorization: `Bearer ${credentials.apiKey}`, accept: 'application/json' },
      timeoutMs: endpoint.timeoutMs ?? 5000,
    });
    const infra = infrastructureError(endpoint.partnerId, res, errorDetails);
    if (infra) throw infra;
    return res;
  };
}
