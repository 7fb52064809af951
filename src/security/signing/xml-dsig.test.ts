import 'reflect-metadata';
import { generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseXml } from '../../connectors/xml.js';
import {
  ENVELOPED_SIGNATURE,
  EXC_C14N,
  RSA_SHA256,
  SHA256,
  signEnvelopedXml,
  verifyEnvelopedXml,
  XmlSignError,
  xmlDsigScheme,
} from './xml-dsig.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/certs/${name}`, import.meta.url), 'utf8');
const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();

const hub = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
const trusted = [{ id: 'crt_hub', pem: spki(hub.publicKey) }];
const doc = fixture('order-request.xml');

afterEach(() => vi.restoreAllMocks());

/** A self-signed certificate for `keys` (what an attacker would put in KeyInfo). */
async function selfSigned(keys: { privateKey: KeyObject; publicKey: KeyObject }): Promise<string> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const cryptoKeys = {
    privateKey: await webcrypto.subtle.importKey(
      'pkcs8',
      keys.privateKey.export({ type: 'pkcs8', format: 'der' }),
      alg,
      false,
      ['sign'],
    ),
    publicKey: await webcrypto.subtle.importKey(
      'spki',
      keys.publicKey.export({ type: 'spki', format: 'der' }),
      alg,
      true,
      ['verify'],
    ),
  };
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Not The Partner',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: alg,
    keys: cryptoKeys,
  });
  return cert.toString('pem');
}

describe('XML-DSig enveloped RSA-SHA256', () => {
  it('signs the whole document and verifies it; the content read back is the signed document', () => {
    const signed = signEnvelopedXml(doc, hub.privateKey);
    expect(signed).toContain('<Reference URI="">');
    const v = verifyEnvelopedXml(signed, trusted);
    expect(v).toMatchObject({ ok: true, keyId: 'crt_hub' });
    if (!v.ok) return;
    expect(String(v.content)).not.toContain('Signature');
    const request = parseXml(String(v.content)).request as Record<string, unknown>;
    expect(request.out_order_no).toBe('SANDBOX-ORDER-0001');
  });

  it('works through the one SignatureScheme interface', () => {
    const signer = xmlDsigScheme({ signingKey: hub.privateKey });
    const verifier = xmlDsigScheme({ trusted });
    expect(signer.placement).toBe('enveloped');
    const { body, header } = signer.sign(doc);
    expect(header).toBeUndefined();
    expect(verifier.verify(body)).toMatchObject({ ok: true });
  });

  it('refuses a document whose signed element text was changed', () => {
    const signed = signEnvelopedXml(doc, hub.privateKey);
    const tampered = signed.replace('<declare_value>19.90<', '<declare_value>0.01<');
    expect(tampered).not.toBe(signed);
    expect(verifyEnvelopedXml(tampered, trusted)).toMatchObject({ ok: false, code: 'signature_mismatch' });
  });

  it('refuses a document whose attribute was changed or an element added', () => {
    const signed = signEnvelopedXml(doc, hub.privateKey);
    expect(verifyEnvelopedXml(signed.replace('unit="g"', 'unit="kg"'), trusted)).toMatchObject({
      ok: false,
      code: 'signature_mismatch',
    });
    expect(
      verifyEnvelopedXml(signed.replace('<parcel>', '<parcel><insured>true</insured>'), trusted),
    ).toMatchObject({ ok: false, code: 'signature_mismatch' });
  });

  it('refuses a signature made with a key that is not trusted', () => {
    const forged = signEnvelopedXml(doc, attacker.privateKey);
    expect(verifyEnvelopedXml(forged, trusted)).toMatchObject({ ok: false, code: 'signature_mismatch' });
  });

  it('never trusts a certificate the document brings in its own KeyInfo', async () => {
    const cert = await selfSigned(attacker);
    const forged = signEnvelopedXml(doc, attacker.privateKey, cert);
    expect(forged).toContain('<X509Certificate>');
    expect(verifyEnvelopedXml(forged, trusted)).toMatchObject({ ok: false, code: 'signature_mismatch' });
    expect(verifyEnvelopedXml(forged, [])).toMatchObject({ ok: false, code: 'key_unavailable' });
  });

  it('refuses a signed document wrapped inside a forged one (signature wrapping)', () => {
    const signed = signEnvelopedXml(doc, hub.privateKey).replace(/^<\?xml[^>]*\?>\s*/, '');
    const attack = fixture('wrapping-attack.xml').replace('{{SIGNED_DOCUMENT}}', signed);
    expect(verifyEnvelopedXml(attack, trusted)).toMatchObject({
      ok: false,
      code: 'xml_signature_structure',
      message: expect.stringMatching(/child of the document element/),
    });
  });

  it('refuses a valid signature over an inner element (by Id) moved into a forged document', () => {
    // A genuine signature by a trusted key, but over one element (URI="#order-1"), as some
    // partners sign: the attacker hides that element and puts forged data where it is read.
    const original = fixture('signed-by-id.xml');
    const sig = new SignedXml({
      privateKey: hub.privateKey,
      canonicalizationAlgorithm: EXC_C14N,
      signatureAlgorithm: RSA_SHA256,
    });
    sig.addReference({
      xpath: "//*[@Id='order-1']",
      digestAlgorithm: SHA256,
      transforms: [ENVELOPED_SIGNATURE, EXC_C14N],
    });
    sig.computeSignature(original, { location: { reference: '/*', action: 'append' } });
    const signedDoc = new DOMParser().parseFromString(sig.getSignedXml(), 'text/xml');
    const element = signedDoc.getElementsByTagName('order')[0]!.toString();
    const signature = sig.getSignatureXml();
    const attack = fixture('wrapping-by-id-attack.xml')
      .replace('{{SIGNED_ELEMENT}}', element)
      .replace('{{SIGNATURE}}', signature);

    // The library alone is satisfied: the referenced element is intact...
    const naive = new SignedXml({ publicCert: trusted[0]!.pem, getCertFromKeyInfo: () => null });
    naive.loadSignature(signature);
    expect(naive.checkSignature(attack)).toBe(true);
    // ...but what an application would read is the forged order. We refuse the document.
    expect(verifyEnvelopedXml(attack, trusted)).toMatchObject({
      ok: false,
      code: 'xml_signature_structure',
      message: expect.stringMatching(/whole document/),
    });
  });

  it.each(['xxe.xml', 'billion-laughs.xml'])(
    'refuses %s before any XML parser or signature code runs',
    (name) => {
      const parse = vi.spyOn(DOMParser.prototype, 'parseFromString');
      const load = vi.spyOn(SignedXml.prototype, 'loadSignature');
      const check = vi.spyOn(SignedXml.prototype, 'checkSignature');
      expect(verifyEnvelopedXml(fixture(name), trusted)).toMatchObject({ ok: false, code: 'xml_unsafe' });
      expect(parse).not.toHaveBeenCalled();
      expect(load).not.toHaveBeenCalled();
      expect(check).not.toHaveBeenCalled();
    },
  );

  it('refuses to sign a document with a DTD, or one already signed', () => {
    expect(() => signEnvelopedXml(fixture('xxe.xml'), hub.privateKey)).toThrow(XmlSignError);
    const signed = signEnvelopedXml(doc, hub.privateKey);
    expect(() => signEnvelopedXml(signed, hub.privateKey)).toThrow(/already carries/);
  });

  it('refuses an unsigned document, a document with two signatures, and XML that is not well-formed', () => {
    expect(verifyEnvelopedXml(doc, trusted)).toMatchObject({ ok: false, code: 'signature_missing' });
    const signed = signEnvelopedXml(doc, hub.privateKey);
    const sigXml = /<Signature[\s\S]*<\/Signature>/.exec(signed)![0];
    const twice = signed.replace('</request>', `${sigXml}</request>`);
    expect(verifyEnvelopedXml(twice, trusted)).toMatchObject({ ok: false, code: 'xml_signature_structure' });
    expect(verifyEnvelopedXml('<request><open></request>', trusted)).toMatchObject({
      ok: false,
      code: 'xml_malformed',
    });
  });

  it('accepts business elements named like signature parts, but not a second SignedInfo', () => {
    const business = doc.replace('<parcel>', '<parcel><Reference>SHOP-1</Reference>');
    expect(verifyEnvelopedXml(signEnvelopedXml(business, hub.privateKey), trusted)).toMatchObject({
      ok: true,
    });
    const smuggled = doc.replace('<parcel>', '<parcel><x:SignedInfo xmlns:x="urn:x"/>');
    expect(verifyEnvelopedXml(signEnvelopedXml(smuggled, hub.privateKey), trusted)).toMatchObject({
      ok: false,
      code: 'xml_signature_structure',
    });
  });

  it('refuses algorithms outside the allow-list (RSA-SHA1)', () => {
    const sig = new SignedXml({
      privateKey: hub.privateKey,
      canonicalizationAlgorithm: EXC_C14N,
      signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
    });
    sig.addReference({
      xpath: '/*',
      isEmptyUri: true,
      digestAlgorithm: SHA256,
      transforms: [ENVELOPED_SIGNATURE, EXC_C14N],
    });
    sig.computeSignature(doc, { location: { reference: '/*', action: 'append' } });
    expect(verifyEnvelopedXml(sig.getSignedXml(), trusted)).toMatchObject({
      ok: false,
      code: 'algorithm_not_allowed',
    });
  });
});
