import { constants, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ecdsaP256Scheme, rsaPkcs1Scheme, rsaPssScheme, type PublicKeySchemeOptions } from './public-key.js';
import { SigningUnavailableError, type SignatureScheme } from './types.js';

const body = readFileSync(new URL('../../../test/fixtures/certs/order-request.xml', import.meta.url));
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

interface Case {
  name: string;
  make: (o: PublicKeySchemeOptions) => SignatureScheme;
  keys: () => { privateKey: KeyObject; publicKey: KeyObject };
}

const CASES: Case[] = [
  { name: 'RSA-SHA256 PKCS#1 v1.5', make: rsaPkcs1Scheme, keys: rsa },
  { name: 'RSA-SHA256 PSS', make: rsaPssScheme, keys: rsa },
  { name: 'ECDSA P-256 SHA-256 (DER)', make: ecdsaP256Scheme, keys: ec },
  {
    name: 'ECDSA P-256 SHA-256 (r||s)',
    make: (o) => ecdsaP256Scheme({ ...o, encoding: 'ieee-p1363' }),
    keys: ec,
  },
];

describe.each(CASES)('$name detached signature', ({ make, keys }) => {
  const mine = keys();
  const theirs = keys();
  const signer = make({ signingKey: mine.privateKey, header: 'X-Body-Signature' });
  const verifier = make({ trusted: [{ id: 'crt_mine', pem: pem(mine.publicKey) }] });

  it('signs the body into a header and verifies it with the trusted public key', () => {
    const signed = signer.sign(body);
    expect(signed.body).toBe(body);
    expect(signed.header?.name).toBe('X-Body-Signature');
    expect(verifier.verify(body, signed.header?.value)).toMatchObject({ ok: true, keyId: 'crt_mine' });
  });

  it('refuses the body with one flipped byte', () => {
    const sig = signer.sign(body).header?.value;
    const changed = Buffer.from(body);
    changed[40] = (changed[40] ?? 0) ^ 0x01;
    expect(verifier.verify(changed, sig)).toMatchObject({ ok: false, code: 'signature_mismatch' });
  });

  it('refuses a signature with one flipped byte', () => {
    const raw = Buffer.from(signer.sign(body).header?.value ?? '', 'base64');
    raw[5] = (raw[5] ?? 0) ^ 0x01;
    expect(verifier.verify(body, raw.toString('base64'))).toMatchObject({
      ok: false,
      code: 'signature_mismatch',
    });
  });

  it('refuses a signature made with a key it does not trust', () => {
    const other = make({ signingKey: theirs.privateKey });
    expect(verifier.verify(body, other.sign(body).header?.value)).toMatchObject({
      ok: false,
      code: 'signature_mismatch',
    });
  });

  it('verifies with any trusted key, so a partner can rotate with both registered', () => {
    const both = make({
      trusted: [
        { id: 'crt_old', pem: pem(theirs.publicKey) },
        { id: 'crt_new', pem: pem(mine.publicKey) },
      ],
    });
    expect(both.verify(body, signer.sign(body).header?.value)).toMatchObject({ ok: true, keyId: 'crt_new' });
  });

  it('answers key_unavailable when nothing is trusted, and refuses to sign without a key', () => {
    expect(make({}).verify(body, signer.sign(body).header?.value)).toMatchObject({
      ok: false,
      code: 'key_unavailable',
    });
    expect(() => verifier.sign(body)).toThrow(SigningUnavailableError);
  });

  it('tells a missing signature from a malformed one', () => {
    expect(verifier.verify(body, '')).toMatchObject({ ok: false, code: 'signature_missing' });
    expect(verifier.verify(body, 'not base64!')).toMatchObject({ ok: false, code: 'signature_malformed' });
  });
});

describe('public-key schemes keep to their key type and padding', () => {
  it('refuses to sign ECDSA with an RSA key, or RSA with an EC key', () => {
    expect(() => ecdsaP256Scheme({ signingKey: rsa().privateKey }).sign(body)).toThrow(
      SigningUnavailableError,
    );
    expect(() => rsaPkcs1Scheme({ signingKey: ec().privateKey }).sign(body)).toThrow(SigningUnavailableError);
  });

  it('refuses RSA keys shorter than 2048 bits', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => rsaPkcs1Scheme({ signingKey: weak.privateKey }).sign(body)).toThrow(SigningUnavailableError);
  });

  it('does not accept a PKCS#1 v1.5 signature as PSS', () => {
    const k = rsa();
    const sig = rsaPkcs1Scheme({ signingKey: k.privateKey }).sign(body).header?.value;
    const pss = rsaPssScheme({ trusted: [{ id: 'k', pem: pem(k.publicKey) }] });
    expect(pss.verify(body, sig)).toMatchObject({ ok: false, code: 'signature_mismatch' });
  });

  it('verifies a PSS signature made with the maximum salt length (another library’s default)', () => {
    const k = rsa();
    const sig = cryptoSign('sha256', body, {
      key: k.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
    }).toString('base64');
    const pss = rsaPssScheme({ trusted: [{ id: 'k', pem: pem(k.publicKey) }] });
    expect(pss.verify(body, sig)).toMatchObject({ ok: true });
  });
});
