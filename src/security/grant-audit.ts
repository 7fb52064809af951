/**
 * A refused grant leaves an audit row: escalation attempts are what the security team looks for.
 * The grant's own transaction rolls back, so the refusal is written in one of its own.
 */
import { WaygateError } from '../domain/index.js';
import { recordAudit } from '../store/audit.js';
import type { Store } from '../store/db.js';

export interface GrantAttempt {
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

/** Runs `grant`; a refusal (403) is audited as `rejected` with its code, then thrown on. */
export async function auditRefusal<T>(
  store: Store,
  attempt: GrantAttempt,
  grant: () => Promise<T>,
): Promise<T> {
  try {
    return await grant();
  } catch (err) {
    if (err instanceof WaygateError && err.kind === 'forbidden')
      await store.write((trx) =>
        recordAudit(trx, { ...attempt, detail: { ...attempt.detail, error: err.code }, outcome: 'rejected' }),
      );
    throw err;
  }
}
