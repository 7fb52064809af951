import { describe, expect, it } from 'vitest';
import {
  PASSWORD_POLICIES,
  checkPassword,
  describeRejection,
  loadBlocklist,
  passwordExpired,
  passwordExpiresAt,
  type PasswordRejection,
} from './password-policy.js';
import { ARGON2_OPTIONS, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { readFileSync } from 'node:fs';

const strict = PASSWORD_POLICIES['waygate-default'];
const nist = PASSWORD_POLICIES['nist-800-63b-4'];
const DAY = 86_400_000;

describe('waygate-default preset [004-9]', () => {
  it('accepts a password of 13+ characters with upper, lower, digit and special', () => {
    expect(checkPassword('Tangerine#K42', strict)).toEqual([]);
    expect(checkPassword('Violin-Harbour-Quartz-7', strict)).toEqual([]);
  });

  it('needs MORE than 12 characters: 12 is refused, 13 accepted', () => {
    expect(checkPassword('Tangerin#K42', strict)).toEqual(['too_short']);
    expect(checkPassword('Tangerine#K42', strict)).toEqual([]);
  });

  it.each<[string, PasswordRejection]>([
    ['tangerine#kayak42', 'missing_uppercase'],
    ['TANGERINE#KAYAK42', 'missing_lowercase'],
    ['Tangerine#Kayak', 'missing_digit'],
    ['TangerineKayak42', 'missing_special'],
  ])('refuses %s: %s', (password, reason) => {
    expect(checkPassword(password, strict)).toEqual([reason]);
  });

  it('lists every broken rule at once', () => {
    expect(checkPassword('quartz', strict)).toEqual([
      'too_short',
      'missing_uppercase',
      'missing_digit',
      'missing_special',
    ]);
  });

  it.each([
    'Password123!!',
    'P@ssw0rd2024!',
    'Welcome@2024#',
    'Waygate2024!!',
    'Qwerty123456!',
    'ILoveYou12345!',
  ])('refuses the common-password variant %s', (password) => {
    expect(checkPassword(password, strict)).toEqual(['common_password']);
  });

  it('refuses a password that contains the username, whatever its case', () => {
    expect(checkPassword('Kim.Lee#Tangerine42', strict, { username: 'kim.lee' })).toEqual([
      'contains_username',
    ]);
    expect(checkPassword('Tangerine#K42', strict, { username: 'kim.lee' })).toEqual([]);
  });

  it('refuses repeated and sequential runs', () => {
    expect(checkPassword('Aa1!Aa1!Aa1!Aa1!', strict)).toContain('repetitive_or_sequential');
  });

  it('expires a password after 90 days and says when', () => {
    const changed = Date.parse('2030-01-01T00:00:00Z');
    expect(passwordExpiresAt(strict, changed)).toBe(changed + 90 * DAY);
    expect(passwordExpired(strict, changed, changed + 90 * DAY - 1)).toBe(false);
    expect(passwordExpired(strict, changed, changed + 90 * DAY)).toBe(true);
  });
});

describe('nist-800-63b-4 preset', () => {
  it('accepts a long passphrase without composition rules', () => {
    expect(checkPassword('correct horse battery staple', nist)).toEqual([]);
    expect(checkPassword('violin harbour quartz lantern '.repeat(2).trim(), nist)).toEqual([]);
  });

  it('needs at least 15 characters and allows up to 128', () => {
    expect(checkPassword('violin harbour', nist)).toEqual(['too_short']);
    expect(checkPassword('violin harbour!', nist)).toEqual([]);
    expect(checkPassword('Zq'.repeat(60) + 'violin harbour quartz lantern kayak', nist)).toContain(
      'too_long',
    );
  });

  it('counts characters, not bytes (Unicode normalised)', () => {
    expect(checkPassword('ünïcödé-pässwörd', nist)).toEqual([]);
  });

  it.each(['passwordpassword', 'iloveyou12345678', 'abcdefghijklmnopq', '111111111111111111'])(
    'still refuses the weak %s',
    (password) => {
      const reasons = checkPassword(password, nist);
      expect(reasons.length).toBeGreaterThan(0);
      expect(reasons.every((r) => r === 'common_password' || r === 'repetitive_or_sequential')).toBe(true);
    },
  );

  it('never forces rotation', () => {
    expect(passwordExpiresAt(nist, 0)).toBeNull();
    expect(passwordExpired(nist, 0, 10_000 * DAY)).toBe(false);
  });
});

describe('blocklist', () => {
  it('ships a few thousand entries and skips comments', () => {
    const list = loadBlocklist(
      readFileSync(new URL('./wordlists/common-passwords.txt', import.meta.url), 'utf8'),
    );
    expect(list.size).toBeGreaterThan(2000);
    expect(list.has('password')).toBe(true);
    expect([...list].some((w) => w.startsWith('#'))).toBe(false);
  });

  it('is matched after stripping digits and symbols and undoing substitutions', () => {
    const list = loadBlocklist('# test list\nkayaking\n');
    expect(checkPassword('K@y@king2024!!', strict, { blocklist: list })).toEqual(['common_password']);
    expect(checkPassword('K@y@king2024!!', strict, { blocklist: new Set() })).toEqual([]);
  });

  it('has a message for every reason', () => {
    const codes: PasswordRejection[] = [
      'too_short',
      'too_long',
      'missing_uppercase',
      'missing_lowercase',
      'missing_digit',
      'missing_special',
      'common_password',
      'contains_username',
      'repetitive_or_sequential',
      'same_as_current',
    ];
    for (const c of codes) expect(describeRejection(c, strict)).toMatch(/\w/);
  });
});

describe('argon2id hashing', () => {
  it('hashes with argon2id at the OWASP parameters and verifies', async () => {
    const hash = await hashPassword('Tangerine#K42');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(ARGON2_OPTIONS.algorithm).toBe(2);
    expect(await verifyPassword(hash, 'Tangerine#K42')).toBe(true);
    expect(await verifyPassword(hash, 'Tangerine#K43')).toBe(false);
    expect(await verifyPassword('not a hash', 'Tangerine#K42')).toBe(false);
    expect(needsRehash(hash)).toBe(false);
  });

  it('asks for a rehash of weaker or unreadable hashes', () => {
    expect(
      needsRehash(
        '$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$c2FtcGxlaGFzaHNhbXBsZWhhc2hzYW1wbGVoYXNo',
      ),
    ).toBe(true);
    expect(needsRehash('$2b$10$abcdefghijklmnopqrstuu')).toBe(true);
  });
});
