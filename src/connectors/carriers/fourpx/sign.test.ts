import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fourpxSign, verifyFourpxSign, type SignedParams } from './sign.js';

const vector = JSON.parse(readFileSync(new URL('./fixtures/sign-vector.json', import.meta.url), 'utf8')) as {
  params: SignedParams;
  body: string;
  appSecret: string;
  sign: string;
};

describe('4PX md5 sign', () => {
  it('reproduces the published worked example ff4af77c062a9b97d98aa29777621c4a', () => {
    expect(fourpxSign(vector.params, vector.body, vector.appSecret)).toBe(vector.sign);
    expect(verifyFourpxSign(vector.params, vector.body, vector.appSecret, vector.sign)).toBe(true);
  });

  it('does not depend on the order the parameters are given in', () => {
    const reversed = Object.fromEntries(Object.entries(vector.params).reverse()) as SignedParams;
    expect(fourpxSign(reversed, vector.body, vector.appSecret)).toBe(vector.sign);
  });

  it('rejects a tampered body, a changed parameter or a wrong secret, whatever the change', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.constantFrom('body', 'secret', 'method', 'timestamp'),
        (x, what) => {
          const params = { ...vector.params };
          let body = vector.body;
          let secret = vector.appSecret;
          if (what === 'body') body = `${body}${x}`;
          if (what === 'secret') secret = `${secret}${x}`;
          if (what === 'method') params.method = `${params.method}${x}`;
          if (what === 'timestamp') params.timestamp = `${params.timestamp}${x}`;
          expect(verifyFourpxSign(params, body, secret, vector.sign)).toBe(false);
        },
      ),
    );
  });

  it('rejects a sign of the wrong length without throwing', () => {
    expect(verifyFourpxSign(vector.params, vector.body, vector.appSecret, 'ff4a')).toBe(false);
  });
});
