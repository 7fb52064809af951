/**
 * Cainiao LINK's `data_digest`: base64 of the raw MD5 bytes (not hex) of `logistics_interface`
 * followed by the secret, UTF-8. Both the digest and the content are form-encoded on the wire:
 * a `+` in the base64 read back as a space is the classic "S02 digest check not pass".
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function dataDigest(content: string, secret: string): string {
  return createHash('md5').update(`${content}${secret}`, 'utf8').digest('base64');
}

export function verifyDataDigest(content: string, secret: string, digest: string): boolean {
  const expected = Buffer.from(dataDigest(content, secret));
  const given = Buffer.from(digest);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
