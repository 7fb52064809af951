/**
 * Password hashing: Argon2id with the OWASP Password Storage Cheat Sheet's baseline (19 MiB,
 * 2 passes, 1 lane). Hashes are PHC strings, so the parameters travel with each hash and
 * `needsRehash` can upgrade old hashes at the next successful login.
 */
import { randomBytes } from 'node:crypto';
import { hash, parseOptions, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { normalisePassword } from './password-policy.js';

/*
 * `Algorithm` is an ambient const enum, which `verbatimModuleSyntax` forbids reading as a value;
 * 2 is its Argon2id member (checked by the type below and by passwords tests).
 */
const ARGON2ID: Algorithm.Argon2id = 2;

export const ARGON2_OPTIONS: Readonly<Options> = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export function hashPassword(password: string): Promise<string> {
  return hash(normalisePassword(password), ARGON2_OPTIONS);
}

/** False for a wrong password and for a stored hash that is not a valid argon2 PHC string. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, normalisePassword(password));
  } catch {
    return false;
  }
}

/** True when the hash was made with other parameters than today's (or cannot be read). */
export function needsRehash(stored: string): boolean {
  try {
    const o = parseOptions(stored);
    return (
      o.algorithm !== ARGON2_OPTIONS.algorithm ||
      o.memoryCost !== ARGON2_OPTIONS.memoryCost ||
      o.timeCost !== ARGON2_OPTIONS.timeCost ||
      o.parallelism !== ARGON2_OPTIONS.parallelism
    );
  } catch {
    return true;
  }
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a random password, verified against when the username is unknown so that a login
 * for a missing account costs the same argon2 work as one for a real account.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummy;
}
