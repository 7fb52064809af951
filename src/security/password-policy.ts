/**
 * Password rules for people's accounts. Two presets, chosen by an administrator and stored in the
 * settings table (`waygate user policy --preset NAME`):
 *
 * - `waygate-default` is requirement [004-9] as written: more than 12 characters with upper and
 *   lower case, a digit and a special character, rotated every 90 days (enforced at login).
 * - `nist-800-63b-4` follows NIST SP 800-63B rev. 4: at least 15 characters, no composition
 *   rules and no forced rotation, long passphrases welcome.
 *
 * Both refuse passwords on the blocklist of common passwords, variants of them (`Password123!!`,
 * `P@ssw0rd`), passwords containing the username, and runs such as `aaaa…` or `abcd…`.
 * Every refusal names its reasons as stable codes so the API, the CLI and a UI can explain them.
 */
import { readFileSync } from 'node:fs';

export const POLICY_PRESETS = ['waygate-default', 'nist-800-63b-4'] as const;
export type PolicyPresetName = (typeof POLICY_PRESETS)[number];

export function isPolicyPreset(value: string): value is PolicyPresetName {
  return (POLICY_PRESETS as readonly string[]).includes(value);
}

export interface PasswordPolicy {
  preset: PolicyPresetName;
  /** In Unicode code points, after NFKC normalisation. */
  minLength: number;
  maxLength: number;
  requireUpper: boolean;
  requireLower: boolean;
  requireDigit: boolean;
  requireSpecial: boolean;
  /** A password older than this must be changed at the next login; null: never expires. */
  maxAgeDays: number | null;
}

export const PASSWORD_POLICIES: Record<PolicyPresetName, PasswordPolicy> = {
  'waygate-default': {
    preset: 'waygate-default',
    minLength: 13,
    maxLength: 128,
    requireUpper: true,
    requireLower: true,
    requireDigit: true,
    requireSpecial: true,
    maxAgeDays: 90,
  },
  'nist-800-63b-4': {
    preset: 'nist-800-63b-4',
    minLength: 15,
    // NIST asks for at least 64; the bound only keeps a hashing request from being a denial of service.
    maxLength: 128,
    requireUpper: false,
    requireLower: false,
    requireDigit: false,
    requireSpecial: false,
    maxAgeDays: null,
  },
};

export const DEFAULT_POLICY_PRESET: PolicyPresetName = 'waygate-default';

export type PasswordRejection =
  | 'too_short'
  | 'too_long'
  | 'missing_uppercase'
  | 'missing_lowercase'
  | 'missing_digit'
  | 'missing_special'
  | 'common_password'
  | 'contains_username'
  | 'repetitive_or_sequential'
  | 'same_as_current';

export function describeRejection(code: PasswordRejection, policy: PasswordPolicy): string {
  switch (code) {
    case 'too_short':
      return `must be at least ${policy.minLength} characters`;
    case 'too_long':
      return `must be at most ${policy.maxLength} characters`;
    case 'missing_uppercase':
      return 'must contain an upper-case letter';
    case 'missing_lowercase':
      return 'must contain a lower-case letter';
    case 'missing_digit':
      return 'must contain a digit';
    case 'missing_special':
      return 'must contain a special character (neither letter nor digit)';
    case 'common_password':
      return 'is a common password or a variant of one';
    case 'contains_username':
      return 'must not contain the username';
    case 'repetitive_or_sequential':
      return 'must not be a repeated or sequential run of characters';
    case 'same_as_current':
      return 'must differ from the current password';
  }
}

/** The form in which passwords are hashed and checked (NIST: normalise Unicode before hashing). */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/*
 * The file lives in src/ and is read from there by both src/security (tests) and dist/security
 * (the built CLI): `../../src/security/wordlists` resolves to the same file from either, so the build
 * needs no copy step.
 */
const BLOCKLIST_FILE = new URL('../../src/security/wordlists/common-passwords.txt', import.meta.url);

let blocklist: ReadonlySet<string> | undefined;

/** Lower-case entries of 4+ characters; comments and blank lines skipped. */
export function loadBlocklist(text: string): ReadonlySet<string> {
  const out = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const word = line.trim().toLowerCase();
    if (word.length >= 4 && !word.startsWith('#')) out.add(word);
  }
  return out;
}

function defaultBlocklist(): ReadonlySet<string> {
  blocklist ??= loadBlocklist(readFileSync(BLOCKLIST_FILE, 'utf8'));
  return blocklist;
}

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
  '+': 't',
};

const deLeet = (s: string) => s.replace(/[01345789@$!|+]/g, (c) => LEET[c] ?? c);
const stripEnds = (s: string) => s.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
const lettersOnly = (s: string) => s.replace(/[^\p{L}]/gu, '');

/** The shortest unit the text is a repetition of (the text itself when it is not one). */
function repeatedUnit(s: string): string {
  for (let n = 1; n <= s.length / 2; n++) {
    if (s.length % n === 0 && s.slice(0, n).repeat(s.length / n) === s) return s.slice(0, n);
  }
  return s;
}

/**
 * The forms a guesser tries first: the password itself, its core without leading/trailing digits
 * and symbols, that core with substitutions undone, and its letters alone.
 */
function guessableForms(lower: string): string[] {
  const core = stripEnds(lower);
  const forms = new Set([lower, core, deLeet(core), lettersOnly(lower), lettersOnly(deLeet(core))]);
  for (const f of [...forms]) forms.add(repeatedUnit(f));
  return [...forms].filter((f) => f.length >= 4);
}

const RUNS = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

function isRepetitiveOrSequential(lower: string): boolean {
  if (new Set(lower).size <= 2) return true;
  // A unit said three times or more (`abcabcabc`, `Aa1!Aa1!Aa1!`) adds almost nothing per repeat.
  if (repeatedUnit(lower).length * 3 <= lower.length) return true;
  return RUNS.some((run) => {
    const cycle = run.repeat(Math.ceil(lower.length / run.length) + 1);
    const reversed = [...cycle].reverse().join('');
    return cycle.includes(lower) || reversed.includes(lower);
  });
}

export interface PasswordCheckContext {
  username?: string;
  /** Overrides the shipped blocklist (tests). */
  blocklist?: ReadonlySet<string>;
}

/** Every rule the password breaks, in a stable order; empty when it is acceptable. */
export function checkPassword(
  password: string,
  policy: PasswordPolicy,
  ctx: PasswordCheckContext = {},
): PasswordRejection[] {
  const pw = normalisePassword(password);
  const length = [...pw].length;
  const reasons: PasswordRejection[] = [];
  if (length < policy.minLength) reasons.push('too_short');
  if (length > policy.maxLength) reasons.push('too_long');
  if (policy.requireUpper && !/\p{Lu}/u.test(pw)) reasons.push('missing_uppercase');
  if (policy.requireLower && !/\p{Ll}/u.test(pw)) reasons.push('missing_lowercase');
  if (policy.requireDigit && !/\p{Nd}/u.test(pw)) reasons.push('missing_digit');
  if (policy.requireSpecial && !/[^\p{L}\p{N}]/u.test(pw)) reasons.push('missing_special');

  const lower = pw.toLowerCase();
  const list = ctx.blocklist ?? defaultBlocklist();
  if (guessableForms(lower).some((f) => list.has(f))) reasons.push('common_password');
  const user = ctx.username?.normalize('NFKC').toLowerCase();
  if (user && user.length >= 3 && (lower.includes(user) || deLeet(lower).includes(user)))
    reasons.push('contains_username');
  if (isRepetitiveOrSequential(lower)) reasons.push('repetitive_or_sequential');
  return reasons;
}

/** When a password set at `changedAtMs` must be changed; null when the policy never expires it. */
export function passwordExpiresAt(policy: PasswordPolicy, changedAtMs: number): number | null {
  return policy.maxAgeDays === null ? null : changedAtMs + policy.maxAgeDays * 86_400_000;
}

/** Rotation [004-9]: true once the password is older than the policy allows. */
export function passwordExpired(policy: PasswordPolicy, changedAtMs: number, nowMs: number): boolean {
  const expiresAt = passwordExpiresAt(policy, changedAtMs);
  return expiresAt !== null && nowMs >= expiresAt;
}
