/**
 * HMAC-SHA256 over the raw bytes, in the three encodings our partners use: lower-case hex
 * (carrier-alpha's `v1=`), upper-case hex (carrier-beta's TOP `sign`) and base64 (the shop's
 * `X-Shop-Hmac-Sha256`). What goes into the MAC (a timestamp prefix, sorted parameters) stays
 * with each connector; this is the primitive they share, byte for byte the same output.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { asBuffer, fail, type Bytes, type SignatureScheme, type Signed, type Verified } from './types.js';

export type HmacEncoding = 'hex' | 'hex-upper' | 'base64';

export interface HmacOptions {
  secret: string | Buffer;
  encoding: HmacEncoding;
  /** Header the signature travels in (default `X-Signature`). */
  header?: string;
}

const FORMAT: Readonly<Record<HmacEncoding, RegExp>> = {
  hex: /^[0-9a-f]{64}$/,
  'hex-upper': /^[0-9A-F]{64}$/,
  base64: /^[A-Za-z0-9+/]{43}=$/,
};

export function hmacSha256(secret: string | Buffer, body: Bytes, encoding: HmacEncoding): string {
  const mac = createHmac('sha256', secret).update(asBuffer(body));
  return encoding === 'base64'
    ? mac.digest('base64')
    : encoding === 'hex'
      ? mac.digest('hex')
      : mac.digest('hex').toUpperCase();
}

export function hmacScheme(opts: HmacOptions): SignatureScheme {
  if (opts.secret.length === 0) throw new Error('an HMAC secret must not be empty');
  const header = opts.header ?? 'X-Signature';
  const id = `hmac-sha256-${opts.encoding}` as const;
  return {
    id,
    placement: 'header',
    sign(body): Signed {
      return { body, header: { name: header, value: hmacSha256(opts.secret, body, opts.encoding) } };
    },
    verify(body, signature): Verified {
      if (signature === undefined || signature.trim() === '')
        return fail('signature_missing', `no ${header}`);
      const given = signature.trim();
      if (!FORMAT[opts.encoding].test(given)) {
        return fail('signature_malformed', `${header} is not a ${opts.encoding} HMAC-SHA256`);
      }
      const enc = opts.encoding === 'base64' ? 'base64' : 'hex';
      const a = Buffer.from(given, enc);
      const b = createHmac('sha256', opts.secret).update(asBuffer(body)).digest();
      if (a.length !== b.length || !timingSafeEqual(a, b)) {
        return fail('signature_mismatch', `${header} does not match the body`);
      }
      return { ok: true, content: body };
    },
  };
}
