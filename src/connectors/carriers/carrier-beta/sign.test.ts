import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatGmt8, parseGmt8, signatureBase, signedRouterParams, signParams } from './sign.js';

interface Vector {
  appSecret: string;
  nowMs: number;
  params: Record<string, string>;
  base: string;
  sign: string;
}
const vector = JSON.parse(
  readFileSync(new URL('./fixtures/sign-vector.json', import.meta.url), 'utf8'),
) as Vector;

describe('carrier-beta TOP-style signature', () => {
  it('concatenates every param except sign, sorted by name, as name+value', () => {
    expect(signatureBase({ ...vector.params, sign: 'IGNORED' })).toBe(vector.base);
  });

  it('reproduces the worked example: upper-case hex HMAC-SHA256 with the app secret', () => {
    expect(signParams(vector.params, vector.appSecret)).toBe(vector.sign);
  });

  it('signs a router call with a GMT+8 timestamp and all system params', () => {
    const params = signedRouterParams({
      method: vector.params.method ?? '',
      content: vector.params.content ?? '',
      appKey: vector.params.app_key ?? '',
      appSecret: vector.appSecret,
      nowMs: vector.nowMs,
    });
    expect(params).toEqual({ ...vector.params, sign: vector.sign });
  });

  it('gives a different signature under a wrong secret', () => {
    expect(signParams(vector.params, `${vector.appSecret}x`)).not.toBe(vector.sign);
  });

  it('gives a different signature when the content is tampered with', () => {
    const tampered = { ...vector.params, content: vector.params.content?.replace('785', '786') ?? '' };
    expect(signParams(tampered, vector.appSecret)).not.toBe(vector.sign);
  });

  it('formats and parses GMT+8 times (China has no DST) and refuses impossible dates', () => {
    expect(formatGmt8(Date.parse('2024-05-06T02:15:00Z'))).toBe('2024-05-06 10:15:00');
    expect(formatGmt8(Date.parse('2024-12-31T16:30:00Z'))).toBe('2025-01-01 00:30:00');
    expect(parseGmt8('2024-05-06 10:15:00')).toBe(vector.nowMs);
    expect(parseGmt8('2024-02-30 10:15:00')).toBeUndefined();
    expect(parseGmt8('2024-05-06T10:15:00')).toBeUndefined();
  });
});
