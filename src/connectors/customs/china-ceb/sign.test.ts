import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { sm2 } from 'sm-crypto';
import { describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { buildMessage, type CebCase, type CebOrder } from './messages.js';
import { SANDBOX_PROFILE } from './profile.js';
import { rsaSha1Signer, sm2Signer, verifyCebSignature, type CebSigner, type CebVerifyKey } from './sign.js';
import { validateCeb } from './xsd.js';

const order = JSON.parse(
  readFileSync(new URL('./fixtures/import-order.canonical.json', import.meta.url), 'utf8'),
) as CebOrder;
const cebCase: CebCase = {
  order,
  profile: SANDBOX_PROFILE,
  guid: '0F3C2A9E-5B7D-4E21-9A0B-3C4D5E6F7A8B',
  at: new Date('2026-12-03T07:00:00Z'),
  waybill: { waybillNo: 'SF1234567890' },
};
const unsigned = buildMessage('CEB621', cebCase);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPublic = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const sm = sm2.generateKeyPairHex();

const signers: Array<[string, CebSigner, CebVerifyKey, CebVerifyKey]> = [
  [
    'RSA-SHA1',
    rsaSha1Signer({ key: () => rsa.privateKey, keyName: () => '01691fe9' }),
    { method: 'rsa-sha1', pem: rsaPublic },
    {
      method: 'rsa-sha1',
      pem: generateKeyPairSync('rsa', { modulusLength: 2048 })
        .publicKey.export({ type: 'spki', format: 'pem' })
        .toString(),
    },
  ],
  [
    'SM2/SM3',
    sm2Signer({ privateKeyHex: sm.privateKey, keyName: '03000000000cde6f' }),
    { method: 'sm2-sm3', publicKeyHex: sm.publicKey },
    { method: 'sm2-sm3', publicKeyHex: sm2.generateKeyPairHex().publicKey },
  ],
];

/**
 * Offsets of letters and digits in element text after the root's start tag, up to KeyInfo
 * (which XML-DSig leaves unsigned: it only helps the receiver find the key).
 */
function textOffsets(xml: string): number[] {
  const out: number[] = [];
  let inText = false;
  const start = xml.indexOf('<ceb:', xml.indexOf('?>'));
  const end = xml.indexOf('<ds:KeyInfo>');
  for (let i = start; i < end; i++) {
    const c = xml[i]!;
    if (c === '<') inText = false;
    else if (c === '>') inText = true;
    else if (inText && /[0-9A-Za-z]/.test(c)) out.push(i);
  }
  return out;
}

describe.each(signers)('CEB signature %s', (_name, signer, key, otherKey) => {
  const signed = signer.sign(unsigned);

  it('is enveloped as customs expects: C14N, SHA-1 digest, one Reference URI="" with the enveloped transform', () => {
    expect(signed).toContain(
      '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>',
    );
    expect(signed).toContain('<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>');
    expect(signed).toMatch(
      /<ds:Reference URI="">\s*<ds:Transforms>\s*<ds:Transform Algorithm="http:\/\/www.w3.org\/2000\/09\/xmldsig#enveloped-signature"\/>\s*<\/ds:Transforms>/,
    );
    expect(signed).toMatch(/<ds:KeyName>0/);
    expect(signed.trimEnd().endsWith('</ds:Signature></ceb:CEB621Message>')).toBe(true);
  });

  it('the digest is SHA-1 of libxml2’s own C14N of the unsigned message', async () => {
    const c14n = await validateXML({
      xml: [{ fileName: 'm.xml', contents: unsigned }],
      normalization: 'c14n',
    });
    const digest = createHash('sha1').update(c14n.normalized.trimEnd()).digest('base64');
    expect(signed).toContain(`<ds:DigestValue>${digest}</ds:DigestValue>`);
  });

  it('the signed message validates against the official XSD (which requires the signature)', async () => {
    expect((await validateCeb(signed, 'import')).problems).toEqual([]);
  });

  it('verifies with the public key, and not with another', () => {
    expect(verifyCebSignature(signed, key)).toEqual({ ok: true });
    expect(verifyCebSignature(signed, otherKey).ok).toBe(false);
  });

  it('fails when any character it covers changes: business data, digest or signature value', () => {
    // The base64 character before '=' padding carries bits a decoder drops: changing those bits
    // alters no signed byte, so that position is not a change the signature covers.
    const offsets = textOffsets(signed).filter((at) => signed[at + 1] !== '=');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: offsets.length - 1 }), fc.integer({ min: 1, max: 9 }), (n, d) => {
        const at = offsets[n]!;
        const c = signed[at]!;
        const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
        const next = alphabet[(alphabet.indexOf(c) + d) % alphabet.length]!;
        const changed = signed.slice(0, at) + next + signed.slice(at + 1);
        expect(verifyCebSignature(changed, key).ok).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a second signature, a moved one and a signed message signed again', () => {
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    expect(
      verifyCebSignature(signed.replace('</ceb:CEB621Message>', `${sig}</ceb:CEB621Message>`), key).ok,
    ).toBe(false);
    const moved = signed.replace(sig, '').replace('</ceb:Inventory>', `${sig}</ceb:Inventory>`);
    expect(verifyCebSignature(moved, key).ok).toBe(false);
    expect(() => signer.sign(signed)).toThrow(/already carries a signature/);
  });
});
