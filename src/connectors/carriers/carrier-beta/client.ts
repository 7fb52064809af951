/**
 * Transport for Carrier Beta: signed form posts to the one router endpoint through the shared
 * HttpClient; beta's `<error_response>` (data from the mapper) is classified by codes.ts. Optionally [003-7.2] the
 * `content` document carries an XML-DSig signature by the hub's certificate, and answers must
 * carry one by the carrier's registered certificate (see docs/signatures.md).
 */
import type { SignatureScheme } from '../../../security/signing/types.js';
import { errorForStatus, PartnerCallError } from '../../errors.js';
import { retryAfterMs, type HttpClient } from '../../http.js';
import { readSettings } from '../../settings.js';
import type { PartnerEndpoint } from '../../types.js';
import { classifyBetaError } from './codes.js';
import { MalformedBetaResponse, type BetaResult } from './mapper.js';
import { manifest } from './manifest.js';
import { signedRouterParams } from './sign.js';

const PARTNER = manifest.id;

/** XML-DSig for beta's XML (both optional; unset, the router sees exactly what it did before). */
export interface BetaSigning {
  /** Signs each request's `content` document (enveloped XML-DSig). */
  request?: SignatureScheme;
  /** Verifies each answer; one without a valid signature is refused and not read. */
  response?: SignatureScheme;
}

export interface BetaClientOptions {
  now?: () => number;
  signing?: BetaSigning;
}

/** Our side cannot sign (no usable certificate): a human must act, retrying cannot help. */
function signContent(scheme: SignatureScheme, content: string): string {
  try {
    return String(scheme.sign(content).body);
  } catch (err) {
    throw new PartnerCallError({
      partnerId: PARTNER,
      code: 'partner_auth_failed',
      retryable: false,
      message: `${PARTNER}: cannot sign the request content (${(err as Error).message})`,
    });
  }
}

/** The signed content of an answer, or a refusal naming the failure code (never the body). */
function verifiedAnswer(scheme: SignatureScheme, body: string, status: number): string {
  const v = scheme.verify(body);
  if (v.ok) return String(v.content);
  throw new PartnerCallError({
    partnerId: PARTNER,
    code: 'partner_auth_failed',
    retryable: false,
    status,
    partnerCode: v.code,
    message: `${PARTNER}'s answer failed XML signature verification (${v.code})`,
  });
}

export interface BetaClient {
  call<T>(method: string, content: string, parse: (xml: string) => BetaResult<T>): Promise<T>;
}

export function createBetaClient(
  endpoint: PartnerEndpoint,
  http: HttpClient,
  opts: BetaClientOptions = {},
): BetaClient {
  const { appKey, appSecret } = readSettings(manifest, endpoint).credentials;
  const url = `${endpoint.baseUrl.replace(/\/+$/, '')}/beta/router/rest`;
  const now = opts.now ?? Date.now;
  const { request: signer, response: verifier } = opts.signing ?? {};
  return {
    async call<T>(method: string, content: string, parse: (xml: string) => BetaResult<T>): Promise<T> {
      const body = signer ? signContent(signer, content) : content;
      const params = signedRouterParams({ method, content: body, appKey, appSecret, nowMs: now() });
      const res = await http.send({
        partnerId: PARTNER,
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
          accept: 'application/xml',
        },
        body: new URLSearchParams(params).toString(),
        timeoutMs: endpoint.timeoutMs,
      });
      if (res.status !== 200) {
        throw errorForStatus(PARTNER, res.status, res.body.slice(0, 200), {
          retryAfterMs: retryAfterMs(res.headers),
        });
      }
      const answer = verifier ? verifiedAnswer(verifier, res.body, res.status) : res.body;
      let result: BetaResult<T>;
      try {
        result = parse(answer);
      } catch (err) {
        if (!(err instanceof MalformedBetaResponse)) throw err;
        // Creates carry request_id, so asking again is safe: the carrier replays the original.
        throw new PartnerCallError({
          partnerId: PARTNER,
          code: 'partner_bad_response',
          retryable: true,
          status: res.status,
          message: err.message,
        });
      }
      if (!result.ok) throw classifyBetaError(result.error);
      return result.value;
    },
  };
}
