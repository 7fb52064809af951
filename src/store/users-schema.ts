/** Row types of people's accounts, their sessions, password resets and hub settings [004-8]. */

export type UserStatus = 'active' | 'frozen' | 'disabled';

export interface UsersTable {
  /** `usr_…` (time-ordered, see ids.ts). */
  id: string;
  /** Lower case, unique. */
  username: string;
  /** A role of security/permissions.ts. */
  role: string;
  /** Argon2id PHC string. */
  password_hash: string;
  /** Milliseconds since the epoch (as every time below). */
  password_changed_at: number;
  /** Consecutive failed logins since the last success or lockout. */
  failed_count: number;
  locked_until: number | null;
  /** `active`, `frozen` (by review or an admin; reversible) or `disabled` (a leaver). */
  status: string;
  /** Confirmed TOTP secret (base32), sealed with the SecretBox; null: no second factor. */
  totp_secret_enc: string | null;
  /** A secret enrolled but not confirmed yet; it replaces the confirmed one only once confirmed. */
  totp_pending_enc: string | null;
  /** The last TOTP time step accepted, so a code cannot be used twice. */
  totp_last_step: number | null;
  last_login_at: number | null;
  /** Set when an admin unfreezes the account: inactivity is counted from here on. */
  reactivated_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** hex(sha256(token)); the token itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: number;
  /** Absolute end of the session. */
  expires_at: number;
  /** Idle timeout counts from here. */
  last_seen_at: number;
  revoked_at: number | null;
}

export interface PasswordResetsTable {
  /** hex(sha256(token)). */
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

/** A type alias, not an interface: `withTables<T>()` needs T to have an index signature. */
export type UsersTables = {
  users: UsersTable;
  sessions: SessionsTable;
  password_resets: PasswordResetsTable;
  settings: SettingsTable;
};
