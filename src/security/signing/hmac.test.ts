import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signAlphaPayload } from '../../connectors/carriers/carrier-alpha/signature.js';
import { signatureBase, signParams } from '../../connectors/carriers/carrier-beta/sign.js';
import { signShopBody } from '../../connectors/platforms/sandbox-shop/signature.js';
import { hmacScheme, type HmacEncoding } from './hmac.js';

const fixture = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8');
const body = fixture('../../../test/fixtures/certs/order-request.xml');

function flipByte(s: string, at = 10): Buffer {
  const b = Buffer.from(s, 'utf8');
  b[at] = (b[at] ?? 0) ^ 0x01;
  return b;
}

describe.each<HmacEncoding>(['hex', 'hex-upper', 'base64'])('HMAC-SHA256 %s', (encoding) => {
  const scheme = hmacScheme({ secret: 'test-secret-not-real', encoding, header: 'X-Test-Signature' });

  it('signs into the named header and verifies its own signature', () => {
    const signed = scheme.sign(body);
    expect(signed.header?.name).toBe('X-Test-Signature');
    expect(scheme.verify(body, signed.header?.value)).toEqual({ ok: true, content: body });
  });

  it('refuses the body with one flipped byte', () => {
    const sig = scheme.sign(body).header?.value;
    expect(scheme.verify(flipByte(body), sig)).toMatchObject({ ok: false, code: 'signature_mismatch' });
  });

  it('refuses a signature made with another secret', () => {
    const other = hmacScheme({ secret: 'another-secret', encoding });
    const sig = other.sign(body).header?.value;
    expect(scheme.verify(body, sig)).toMatchObject({ ok: false, code: 'signature_mismatch' });
  });

  it('tells a missing signature from a malformed one', () => {
    expect(scheme.verify(body, undefined)).toMatchObject({ ok: false, code: 'signature_missing' });
    expect(scheme.verify(body, 'not-a-mac')).toMatchObject({ ok: false, code: 'signature_malformed' });
  });
});

describe('HMAC schemes compute what the connectors already send', () => {
  it("matches carrier-alpha's documented v1 vector (lower-case hex over `t.body`)", () => {
    const v = JSON.parse(
      fixture('../../connectors/carriers/carrier-alpha/fixtures/signature-vector.json'),
    ) as {
      secret: string;
      timestamp: number;
      rawBody: string;
      signedPayload: string;
      header: string;
    };
    const scheme = hmacScheme({ secret: v.secret, encoding: 'hex' });
    const value = scheme.sign(v.signedPayload).header?.value;
    expect(`t=${v.timestamp},v1=${value}`).toBe(v.header);
    expect(value).toBe(signAlphaPayload(v.secret, v.timestamp, v.rawBody));
  });

  it("matches carrier-beta's TOP sign vector (upper-case hex over the sorted parameters)", () => {
    const v = JSON.parse(fixture('../../connectors/carriers/carrier-beta/fixtures/sign-vector.json')) as {
      appSecret: string;
      params: Record<string, string>;
      sign: string;
    };
    const scheme = hmacScheme({ secret: v.appSecret, encoding: 'hex-upper' });
    expect(scheme.sign(signatureBase(v.params)).header?.value).toBe(v.sign);
    expect(signParams(v.params, v.appSecret)).toBe(v.sign);
  });

  it("matches the shop's webhook HMAC (base64 over the raw body)", () => {
    const scheme = hmacScheme({ secret: 'shop-secret-not-real', encoding: 'base64' });
    expect(scheme.sign(body).header?.value).toBe(signShopBody('shop-secret-not-real', body));
  });
});
