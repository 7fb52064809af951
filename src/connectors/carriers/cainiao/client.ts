/**
 * Cainiao LINK transport, I/O only: every message is a form POST to `{baseUrl}/gateway/link.do`
 * with `msg_type`, `logistic_provider_id`, `logistics_interface` (the JSON document), its
 * `data_digest` and `to_code`. HTTP failures become typed errors; a 200 is read by the parser.
 */
import { infrastructureError, MalformedAnswer } from '../../contract.js';
import { PartnerCallError } from '../../errors.js';
import type { HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { classifyCainiaoError } from './codes.js';
import type { CainiaoResult } from './mapper.js';
import { manifest } from './manifest.js';
import { dataDigest } from './sign.js';

export interface CainiaoClient {
  call<T>(msgType: string, doc: unknown, parse: (raw: string) => CainiaoResult<T>): Promise<T>;
}

export function createCainiaoClient(endpoint: PartnerEndpoint, http: HttpClient): CainiaoClient {
  const { credentials, options } = readSettings(manifest, endpoint);
  const url = `${endpoint.baseUrl.replace(/\/+$/, '')}/gateway/link.do`;
  const partnerId = endpoint.partnerId;
  return {
    async call<T>(msgType: string, doc: unknown, parse: (raw: string) => CainiaoResult<T>): Promise<T> {
      const content = JSON.stringify(doc);
      const form = new URLSearchParams({
        msg_type: msgType,
        logistic_provider_id: credentials.logisticProviderId,
        logistics_interface: content,
        data_digest: dataDigest(content, credentials.appSecret),
        to_code: options.toCode ?? 'CNGFC',
      });
      const res = await http.send({
        partnerId,
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
          accept: 'application/json',
        },
        body: form.toString(),
        ...(endpoint.timeoutMs !== undefined ? { timeoutMs: endpoint.timeoutMs } : {}),
      });
      const infra = infrastructureError(partnerId, res, (b) => ({ message: b.slice(0, 200) }));
      if (infra) throw infra;
      let result: CainiaoResult<T>;
      try {
        result = parse(res.body);
      } catch (err) {
        if (!(err instanceof MalformedAnswer)) throw err;
        // outOrderId makes creates idempotent, so every message is safe to repeat.
        throw new PartnerCallError({
          partnerId,
          code: 'partner_bad_response',
          retryable: true,
          status: res.status,
          message: `${partnerId} answered ${res.status} with an unusable body: ${err.message}`,
        });
      }
      if (!result.ok) throw classifyCainiaoError(result.error);
      return result.value;
    },
  };
}
