/**
 * Yanwen's request sign: lowercase hex MD5 of apiToken + user_id + the exact compact JSON body
 * + format + method + timestamp + version + apiToken (values only, no names or separators).
 * No official vector is published; the order is the one of Yanwen's open-API document as two
 * independent client implementations use it (docs/partners/yanwen.md).
 */
import { createHash } from 'node:crypto';

export interface YanwenSignInput {
  userId: string;
  body: string;
  format: string;
  method: string;
  timestamp: string;
  version: string;
}

export function yanwenSign(p: YanwenSignInput, apiToken: string): string {
  return createHash('md5')
    .update(apiToken + p.userId + p.body + p.format + p.method + p.timestamp + p.version + apiToken, 'utf8')
    .digest('hex');
}
