import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataDigest, verifyDataDigest } from './sign.js';

const vector = JSON.parse(
  readFileSync(new URL('./fixtures/digest-vector.json', import.meta.url), 'utf8'),
) as {
  content: string;
  secret: string;
  dataDigest: string;
};

describe('Cainiao LINK data_digest', () => {
  it('reproduces the published vector: hello1234 + key123 → ufYU7rvXhHY3IDyZgyt6SA==', () => {
    expect(dataDigest(vector.content, vector.secret)).toBe(vector.dataDigest);
    expect(verifyDataDigest(vector.content, vector.secret, vector.dataDigest)).toBe(true);
  });

  it('is base64 of the raw MD5 bytes, not of the hex string', () => {
    expect(Buffer.from(vector.dataDigest, 'base64')).toHaveLength(16);
  });

  it('rejects any tampered content or wrong secret', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.boolean(), (x, tamperContent) => {
        const content = tamperContent ? `${vector.content}${x}` : vector.content;
        const secret = tamperContent ? vector.secret : `${vector.secret}${x}`;
        expect(verifyDataDigest(content, secret, vector.dataDigest)).toBe(false);
      }),
    );
  });

  it('a + read back as a space (form decoding gone wrong) no longer verifies', () => {
    const digest = dataDigest('{"mailNo":"LP1"}', 's3cr3t');
    const mangled = digest.replace(/\+/g, ' ');
    if (mangled !== digest) expect(verifyDataDigest('{"mailNo":"LP1"}', 's3cr3t', mangled)).toBe(false);
  });
});
