/**
 * What the store needs from cryptography, declared here and implemented in security/ (the field
 * cipher, the secret box), which hands it to `openStore` and to the repositories from above.
 * The store keeps sealed values and wrapped keys but holds no cipher and no key material of its
 * own: the layer that owns the keys can change (a KMS, another algorithm) without the store
 * knowing, and the store can never import its way around the keys.
 */

export type BlindIndexKind = 'email' | 'phone';

/**
 * Seals personal fields at rest. `context` (the column, e.g. `orders.recipient`) is bound into
 * each value, so a sealed value cannot be moved to another column.
 */
export interface FieldSealer {
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
  /** Keyed blind index of an e-mail or phone: equal inputs match, the index reveals nothing else. */
  index(kind: BlindIndexKind, value: string | undefined): string | null;
}

/** The field sealer behind the data-key ring (store/data-keys.ts keeps its keys, wrapped). */
export interface DataKeyCipher extends FieldSealer {
  /** Names what wraps the data keys (stored beside each key, e.g. `local`). */
  readonly providerId: string;
  /** The key new values are sealed with; throws when none is loaded. */
  readonly activeKeyId: string;
  /** Loads a data key as stored (wrapped); `makeActive` seals new values with it. */
  addKey(keyId: string, wrapped: string, makeActive: boolean): void;
  hasKey(keyId: string): boolean;
  /** A fresh data key, wrapped for storage; the ring loads it from the table like any other. */
  wrapNewKey(): { wrapped: string };
  /** The key a sealed value names; undefined for a value that is not sealed (plaintext). */
  keyIdOf(value: string): string | undefined;
}

/** Seals small secrets (API key secrets) under the master key. */
export interface SecretSealer {
  seal(plain: string): string;
  open(sealed: string): string;
}
