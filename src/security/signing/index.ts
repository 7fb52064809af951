/** Partner message signatures [003-7.2]: one interface, several schemes. See docs/signatures.md. */
export * from './types.js';
export { hmacScheme, hmacSha256, type HmacEncoding, type HmacOptions } from './hmac.js';
export {
  ecdsaP256Scheme,
  rsaPkcs1Scheme,
  rsaPssScheme,
  type EcdsaOptions,
  type PublicKeySchemeOptions,
} from './public-key.js';
export {
  signEnvelopedXml,
  verifyEnvelopedXml,
  xmlDsigScheme,
  XmlSignError,
  type XmlDsigOptions,
} from './xml-dsig.js';
export type { KeySource, TrustedSource } from './keys.js';
