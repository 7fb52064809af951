/**
 * Encrypts small secrets at rest (API key secrets) with AES-256-GCM under a master key.
 * The master key comes from WAYGATE_MASTER_KEY (base64, 32 bytes) or a key file created with
 * mode 0600 beside the database on first use. Several hub nodes must share the same key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { SecretSealer } from '../store/sealing.js';

/** What the store asks for to keep API key secrets sealed (store/sealing.ts). */
export type SecretBox = SecretSealer;

const VERSION = 'v1';

export function secretBoxFromKey(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('master key must be 32 bytes');
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [
        VERSION,
        iv.toString('base64url'),
        data.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
      ].join('.');
    },
    open(sealed) {
      const [version, iv, data, tag] = sealed.split('.');
      if (version !== VERSION || !iv || !data || !tag) throw new Error('sealed secret has an unknown format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}

export function loadMasterKey(keyFile: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.WAYGATE_MASTER_KEY;
  if (fromEnv) {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length !== 32) throw new Error('WAYGATE_MASTER_KEY must be 32 bytes, base64-encoded');
    return key;
  }
  if (existsSync(keyFile)) {
    const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${keyFile} does not hold a 32-byte base64 key`);
    return key;
  }
  mkdirSync(dirname(keyFile), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(keyFile, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}

/** The master key file: beside a SQLite database, else `data/master.key` in the working directory. */
export function keyFileFor(dbUrl: string): string {
  if (dbUrl.startsWith('sqlite:') && !dbUrl.startsWith('sqlite::memory:')) {
    const path = dbUrl.slice('sqlite:'.length).split('?')[0] ?? '';
    return join(dirname(resolve(path)), 'master.key');
  }
  return resolve('data', 'master.key');
}
