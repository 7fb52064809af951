import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHttpClient } from '../../http.js';
import { LOOPBACK_ALLOWED } from '../../../domain/network-policy.js';
import type { InboundRequest } from '../../types.js';
import { parseSignatureHeader, signAlphaPayload, verifyAlphaSignature } from './signature.js';
import { createConnector } from './index.js';

interface Vector {
  secret: string;
  timestamp: number;
  rawBody: string;
  header: string;
}
const vector = JSON.parse(
  readFileSync(new URL('./fixtures/signature-vector.json', import.meta.url), 'utf8'),
) as Vector;

const inbound = (
  header: string | undefined,
  rawBody = vector.rawBody,
  nowMs = vector.timestamp * 1000 + 5_000,
) => ({ headers: { 'alpha-signature': header }, rawBody, nowMs }) satisfies InboundRequest;

describe('carrier-alpha push signature', () => {
  it('accepts the documented worked example', () => {
    expect(verifyAlphaSignature(vector.secret, inbound(vector.header))).toBe(true);
    expect(
      `t=${vector.timestamp},v1=${signAlphaPayload(vector.secret, vector.timestamp, vector.rawBody)}`,
    ).toBe(vector.header);
  });

  it('accepts through the connector’s verifyCallback with the endpoint’s webhook secret', async () => {
    const http = createHttpClient({ network: LOOPBACK_ALLOWED });
    const connector = createConnector(
      {
        partnerId: 'carrier-alpha',
        baseUrl: 'http://127.0.0.1:9',
        credentials: { apiToken: 't', webhookSecret: vector.secret },
      },
      http,
    );
    expect(connector.verifyCallback?.(inbound(vector.header))).toBe(true);
    expect(connector.parseCallback?.(inbound(vector.header)).deliveryId).toBe('evt_0f3c9a71d2b84e5c96a1b7d2');
    await http.close();
  });

  it('rejects a signature made with the wrong secret', () => {
    expect(verifyAlphaSignature('whsec_not_the_secret', inbound(vector.header))).toBe(false);
  });

  it('rejects a tampered body', () => {
    const tampered = vector.rawBody.replace('"DL"', '"RD"');
    expect(tampered).not.toBe(vector.rawBody);
    expect(verifyAlphaSignature(vector.secret, inbound(vector.header, tampered))).toBe(false);
  });

  it('rejects a stale timestamp (replayed push) and one too far in the future', () => {
    expect(
      verifyAlphaSignature(
        vector.secret,
        inbound(vector.header, vector.rawBody, (vector.timestamp + 301) * 1000),
      ),
    ).toBe(false);
    expect(
      verifyAlphaSignature(
        vector.secret,
        inbound(vector.header, vector.rawBody, (vector.timestamp - 301) * 1000),
      ),
    ).toBe(false);
    expect(
      verifyAlphaSignature(
        vector.secret,
        inbound(vector.header, vector.rawBody, (vector.timestamp + 300) * 1000),
      ),
    ).toBe(true);
  });

  it('rejects a re-signed timestamp that does not match the signature', () => {
    const forged = vector.header.replace(`t=${vector.timestamp}`, `t=${vector.timestamp + 1}`);
    expect(verifyAlphaSignature(vector.secret, inbound(forged))).toBe(false);
  });

  it('rejects missing and malformed headers', () => {
    const v1 = vector.header.split(',')[1] ?? '';
    for (const header of [
      undefined,
      '',
      'garbage',
      v1,
      `t=${vector.timestamp}`,
      `t=abc,${v1}`,
      `t=${vector.timestamp},v1=XYZ`,
    ]) {
      expect(verifyAlphaSignature(vector.secret, inbound(header))).toBe(false);
    }
    expect(parseSignatureHeader(`t=1,t=2,${v1}`)).toBeUndefined();
  });

  it('accepts any matching v1 among several (secret rotation)', () => {
    const other = signAlphaPayload('whsec_old', vector.timestamp, vector.rawBody);
    expect(verifyAlphaSignature(vector.secret, inbound(`${vector.header},v1=${other}`))).toBe(true);
  });
});
