/**
 * Field encryption at rest for personal and payment data [001-7] [000-15]: AES-256-GCM under a
 * key ring of data keys. Each value carries the id of the key that sealed it, so a rotation can
 * introduce a new key and re-encrypt rows online while old values still open. Data keys are
 * stored wrapped by a master key provider: the local one uses the master key from the
 * environment or key file; a KMS provider implements the same two calls.
 *
 * Searching by phone or e-mail uses a keyed blind index (HMAC-SHA256 under a key derived from
 * the master key, independent of the data keys so a rotation does not change it).
 *
 * The store declares what it needs (`DataKeyCipher`, store/sealing.ts) and is handed this
 * implementation from above (`openStore(url, { cipher: localFieldCipher })`).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { BlindIndexKind, DataKeyCipher } from '../store/sealing.js';
import { keyFileFor, loadMasterKey } from './secret-box.js';

export type { BlindIndexKind } from '../store/sealing.js';

/** Wraps and unwraps data keys; the local provider is below, a KMS client implements the same. */
export interface MasterKeyProvider {
  readonly id: string;
  wrap(dataKey: Buffer): string;
  unwrap(wrapped: string): Buffer;
  /** Key material for the blind index; stable for the life of the master key. */
  indexKey(): Buffer;
}

const PREFIX = 'wgf1';

export class FieldCipherError extends Error {
  constructor(
    readonly code: 'unknown_data_key' | 'sealed_value_malformed' | 'sealed_value_tampered' | 'no_active_key',
    message: string,
  ) {
    super(message);
    this.name = 'FieldCipherError';
  }
}

function aesSeal(key: Buffer, plain: Buffer, aad: string): string[] {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return [iv.toString('base64url'), data.toString('base64url'), cipher.getAuthTag().toString('base64url')];
}

function aesOpen(key: Buffer, iv: string, data: string, tag: string, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]);
}

export function localMasterKey(masterKey: Buffer): MasterKeyProvider {
  if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
  // Separate subkeys per purpose, so wrapping keys and index keys never share material.
  const wrapKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'waygate data-key wrap v1', 32));
  const idxKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'waygate blind index v1', 32));
  return {
    id: 'local',
    wrap: (dataKey) => aesSeal(wrapKey, dataKey, 'data-key').join('.'),
    unwrap(wrapped) {
      const [iv, data, tag] = wrapped.split('.');
      if (!iv || !data || !tag)
        throw new FieldCipherError('sealed_value_malformed', 'wrapped data key is malformed');
      try {
        return aesOpen(wrapKey, iv, data, tag, 'data-key');
      } catch {
        throw new FieldCipherError(
          'sealed_value_tampered',
          'a data key does not unwrap with this master key (another node’s key, or tampered)',
        );
      }
    },
    indexKey: () => idxKey,
  };
}

/** The forms a consignee types in different ways are normalised before indexing. */
export function normaliseForIndex(kind: BlindIndexKind, value: string): string {
  if (kind === 'email') return value.trim().toLowerCase();
  return value.replace(/[^0-9]/g, '');
}

/** The data-key cipher of the store at `dbUrl`, its keys wrapped by the local master key. */
export function localFieldCipher(dbUrl: string): FieldCipher {
  return new FieldCipher(localMasterKey(loadMasterKey(keyFileFor(dbUrl))));
}

export class FieldCipher implements DataKeyCipher {
  private readonly keys = new Map<string, Buffer>();
  private active: string | undefined;

  constructor(private readonly provider: MasterKeyProvider) {}

  get providerId(): string {
    return this.provider.id;
  }

  /** Adds a data key (wrapped as stored) to the ring; `makeActive` seals new values with it. */
  addKey(keyId: string, wrapped: string, makeActive: boolean): void {
    if (!/^[a-z0-9]{1,16}$/.test(keyId)) throw new Error(`data key id ${keyId} is not a valid id`);
    if (!this.keys.has(keyId)) this.keys.set(keyId, this.provider.unwrap(wrapped));
    if (makeActive) this.active = keyId;
  }

  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  get activeKeyId(): string {
    if (!this.active) throw new FieldCipherError('no_active_key', 'no active data key is loaded');
    return this.active;
  }

  wrapNewKey(): { key: Buffer; wrapped: string } {
    const key = randomBytes(32);
    return { key, wrapped: this.provider.wrap(key) };
  }

  /** `context` (e.g. `orders.recipient`) is bound into the tag so values cannot be moved between columns. */
  seal(plain: string, context: string): string {
    const keyId = this.activeKeyId;
    const key = this.keys.get(keyId) as Buffer;
    return [PREFIX, keyId, ...aesSeal(key, Buffer.from(plain, 'utf8'), context)].join('.');
  }

  open(value: string, context: string): string {
    const parts = value.split('.');
    if (parts[0] !== PREFIX || parts.length !== 5) {
      throw new FieldCipherError('sealed_value_malformed', `a ${context} value is not sealed`);
    }
    const [, keyId, iv, data, tag] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new FieldCipherError('unknown_data_key', `data key ${keyId} is not loaded`);
    try {
      return aesOpen(key, iv, data, tag, context).toString('utf8');
    } catch {
      throw new FieldCipherError('sealed_value_tampered', `a ${context} value fails its integrity check`);
    }
  }

  static isSealed(value: string): boolean {
    return value.startsWith(`${PREFIX}.`);
  }

  static keyIdOf(value: string): string | undefined {
    return FieldCipher.isSealed(value) ? value.split('.')[1] : undefined;
  }

  keyIdOf(value: string): string | undefined {
    return FieldCipher.keyIdOf(value);
  }

  /** Keyed blind index of an e-mail or phone: equal inputs match, the index reveals nothing else. */
  index(kind: BlindIndexKind, value: string | undefined): string | null {
    if (value === undefined) return null;
    const normal = normaliseForIndex(kind, value);
    if (normal.length === 0) return null;
    return createHmac('sha256', this.provider.indexKey())
      .update(`${kind}:${normal}`)
      .digest('base64url')
      .slice(0, 32);
  }
}
