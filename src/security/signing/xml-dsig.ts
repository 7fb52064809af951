/**
 * XML-DSig for XML partners: one enveloped signature over the whole document (Reference
 * URI=""), exclusive c14n, RSA-SHA256 with a SHA-256 digest [003-7.2].
 *
 * Verification is deliberately narrow, because XML signatures are easy to accept wrongly:
 * - a document with a DTD or entity declarations is refused before any parser sees it (XXE,
 *   entity expansion);
 * - there must be exactly one Signature, a child of the document element, with one Reference
 *   to the whole document and only the allow-listed algorithms, so a signature over some inner
 *   element cannot vouch for a document wrapped around it (signature wrapping);
 * - keys come only from the caller's trusted list (the certificate store), never from KeyInfo;
 * - the caller gets back the canonical XML that the digest covered and must read that, not the
 *   raw input: what is read is what was signed.
 */
import { DOMParser, type Element as XmlElement } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import {
  publicKeyOf,
  resolvePrivateKey,
  resolveTrusted,
  type KeySource,
  type TrustedSource,
} from './keys.js';
import { fail, type Bytes, type SignatureScheme, type Verified } from './types.js';
import { containsDtd } from '../xml-safety.js';

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

const DEFAULT_MAX_BYTES = 1024 * 1024;

export interface XmlDsigOptions {
  /** RSA private key (≥ 2048 bits) to sign with; omit for a verify-only scheme. */
  signingKey?: KeySource;
  /** Certificate published in KeyInfo as a courtesy to the partner; never trusted by us. */
  certificate?: string | (() => string | undefined);
  /** Certificates (PEM) whose keys may have signed inbound documents. */
  trusted?: TrustedSource;
  /** Larger documents are refused unread (default 1 MiB). */
  maxBytes?: number;
}

export class XmlSignError extends Error {
  constructor(
    readonly code: 'xml_unsafe' | 'xml_malformed' | 'xml_already_signed',
    message: string,
  ) {
    super(message);
    this.name = 'XmlSignError';
  }
}

type Parsed = { ok: true; doc: ReturnType<DOMParser['parseFromString']> } | { ok: false; verdict: Verified };

function parseStrict(xml: string): Parsed {
  if (containsDtd(xml)) {
    return { ok: false, verdict: fail('xml_unsafe', 'XML with a DTD or entity declarations is refused') };
  }
  try {
    const doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml');
    if (!doc.documentElement) return { ok: false, verdict: fail('xml_malformed', 'no document element') };
    return { ok: true, doc };
  } catch {
    return { ok: false, verdict: fail('xml_malformed', 'not well-formed XML') };
  }
}

const attr = (el: XmlElement | undefined | null, name: string) => el?.getAttribute(name) ?? undefined;

function childrenNamed(parent: XmlElement, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (
      n.nodeType === 1 &&
      (n as XmlElement).localName === local &&
      (n as XmlElement).namespaceURI === DSIG_NS
    ) {
      out.push(n as XmlElement);
    }
  }
  return out;
}

/** Checks the shape of the one signature we accept: the Signature element, or why not. */
function checkStructure(doc: ReturnType<DOMParser['parseFromString']>): Verified | { signature: XmlElement } {
  const root = doc.documentElement;
  if (!root) return fail('xml_malformed', 'no document element');
  const signatures = Array.from(doc.getElementsByTagNameNS(DSIG_NS, 'Signature'));
  if (signatures.length === 0) return fail('signature_missing', 'the document carries no XML signature');
  if (signatures.length > 1)
    return fail('xml_signature_structure', 'the document carries more than one signature');
  const signature = signatures[0]!;
  if (signature.parentNode !== root) {
    return fail('xml_signature_structure', 'the signature must be a child of the document element');
  }
  // Lookalikes elsewhere are how wrapping attacks confuse a verifier about which one counts.
  // The library finds SignedInfo by local name alone, so no other namespace may use that name
  // (nor SignatureValue); `Reference` is a common business element, so only ours is counted.
  const lookalikes: Array<[ns: string, local: string]> = [
    ['*', 'SignedInfo'],
    ['*', 'SignatureValue'],
    [DSIG_NS, 'Reference'],
  ];
  for (const [ns, local] of lookalikes) {
    if (doc.getElementsByTagNameNS(ns, local).length !== 1) {
      return fail('xml_signature_structure', `the document must contain exactly one ${local}`);
    }
  }
  const [signedInfo] = childrenNamed(signature, 'SignedInfo');
  if (!signedInfo) return fail('xml_signature_structure', 'SignedInfo must be a child of Signature');
  const c14n = attr(childrenNamed(signedInfo, 'CanonicalizationMethod')[0], 'Algorithm');
  const method = attr(childrenNamed(signedInfo, 'SignatureMethod')[0], 'Algorithm');
  if (c14n !== EXC_C14N)
    return fail('algorithm_not_allowed', `canonicalization ${c14n ?? '(none)'} is not allowed`);
  if (method !== RSA_SHA256)
    return fail('algorithm_not_allowed', `signature method ${method ?? '(none)'} is not allowed`);
  const references = childrenNamed(signedInfo, 'Reference');
  if (references.length !== 1)
    return fail('xml_signature_structure', 'SignedInfo must hold exactly one Reference');
  const reference = references[0]!;
  if (!reference.hasAttribute('URI') || attr(reference, 'URI') !== '') {
    return fail('xml_signature_structure', 'the Reference must cover the whole document (URI="")');
  }
  const digest = attr(childrenNamed(reference, 'DigestMethod')[0], 'Algorithm');
  if (digest !== SHA256) return fail('algorithm_not_allowed', `digest ${digest ?? '(none)'} is not allowed`);
  const transforms = childrenNamed(reference, 'Transforms').flatMap((t) =>
    childrenNamed(t, 'Transform').map((x) => attr(x, 'Algorithm')),
  );
  if (
    transforms[0] !== ENVELOPED_SIGNATURE ||
    transforms.some((t) => t !== ENVELOPED_SIGNATURE && t !== EXC_C14N)
  ) {
    return fail('algorithm_not_allowed', 'transforms must be enveloped-signature then exclusive c14n');
  }
  return { signature };
}

const toText = (body: Bytes) => (typeof body === 'string' ? body : body.toString('utf8'));

/** Verifies an enveloped signature; on success `content` is the signed canonical document. */
export function verifyEnvelopedXml(
  body: Bytes,
  trusted: TrustedSource | undefined,
  maxBytes = DEFAULT_MAX_BYTES,
): Verified {
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (size > maxBytes) return fail('xml_malformed', `document larger than ${maxBytes} bytes`);
  const xml = toText(body);
  const parsed = parseStrict(xml);
  if (!parsed.ok) return parsed.verdict;
  const shape = checkStructure(parsed.doc);
  if (!('signature' in shape)) return shape;
  const keys = resolveTrusted(trusted).filter((t) => publicKeyOf(t, 'rsa') !== undefined);
  if (keys.length === 0) return fail('key_unavailable', 'no trusted RSA certificate to verify with');
  const signatureXml = shape.signature.toString();
  for (const key of keys) {
    // getCertFromKeyInfo: never let the document name its own key.
    const check = new SignedXml({ publicCert: key.pem, getCertFromKeyInfo: () => null });
    try {
      check.loadSignature(signatureXml);
      if (!check.checkSignature(xml)) continue;
    } catch {
      continue;
    }
    const signed = check.getSignedReferences();
    if (signed.length !== 1 || signed[0] === undefined) continue;
    return { ok: true, content: signed[0], keyId: key.id };
  }
  return fail('signature_mismatch', 'the XML signature was not made over this document by a trusted key');
}

/** Adds an enveloped signature as the last child of the document element. */
export function signEnvelopedXml(body: Bytes, signingKey: KeySource, certificatePem?: string): string {
  const xml = toText(body);
  const parsed = parseStrict(xml);
  if (!parsed.ok) {
    const unsafe = !parsed.verdict.ok && parsed.verdict.code === 'xml_unsafe';
    throw new XmlSignError(
      unsafe ? 'xml_unsafe' : 'xml_malformed',
      `cannot sign: ${unsafe ? 'DTD refused' : 'not well-formed XML'}`,
    );
  }
  if (parsed.doc.getElementsByTagNameNS(DSIG_NS, 'Signature').length > 0) {
    throw new XmlSignError('xml_already_signed', 'the document already carries an XML signature');
  }
  const key = resolvePrivateKey(signingKey, 'rsa', 'xmldsig-rsa-sha256');
  const sig = new SignedXml({
    privateKey: key,
    ...(certificatePem ? { publicCert: certificatePem } : {}),
    canonicalizationAlgorithm: EXC_C14N,
    signatureAlgorithm: RSA_SHA256,
  });
  sig.addReference({
    xpath: '/*',
    isEmptyUri: true,
    digestAlgorithm: SHA256,
    transforms: [ENVELOPED_SIGNATURE, EXC_C14N],
  });
  sig.computeSignature(xml, { location: { reference: '/*', action: 'append' } });
  return sig.getSignedXml();
}

export function xmlDsigScheme(opts: XmlDsigOptions): SignatureScheme {
  return {
    id: 'xmldsig-rsa-sha256',
    placement: 'enveloped',
    sign(body) {
      const cert = typeof opts.certificate === 'function' ? opts.certificate() : opts.certificate;
      const key = resolvePrivateKey(opts.signingKey, 'rsa', 'xmldsig-rsa-sha256');
      return { body: signEnvelopedXml(body, key, cert) };
    },
    verify: (body) => verifyEnvelopedXml(body, opts.trusted, opts.maxBytes),
  };
}
