/**
 * The certificate lifecycle of [003-7.2]: request (key pair + CSR), registration of the issued
 * certificate, partner certificates, retrieval, listing with expiry, renewal, revocation and
 * expiry alerts. Private keys are sealed with the SecretBox before they are stored and are
 * never returned, logged or audited; every action leaves an audit entry with ids only.
 */
import { createPrivateKey, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { WaygateError } from '../../domain/errors.js';
import { recordAudit, scrubFreeText, type AuditEntry } from '../../store/audit.js';
import {
  activeEndingBefore,
  claimCertificateAlert,
  findCertificates,
  getCertificate,
  insertCertificate,
  sealedPrivateKey,
  updateCertificate,
  type CertRow,
} from '../../store/certs.js';
import type { CertOwner, CertStatus, KeyAlg } from '../../store/certs-schema.js';
import type { Store } from '../../store/db.js';
import { newId } from '../../store/ids.js';
import type { Executor } from '../../store/transaction.js';
import type { SecretBox } from '../secret-box.js';
import { createKeyAndCsr, parseCertificate, samePublicKey, type CreatableAlg } from './x509.js';

const DAY_MS = 86_400_000;
/** A CA's clock may run a little ahead of ours. */
const NOT_BEFORE_SKEW_MS = 5 * 60_000;
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const PARTNER_RE = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** A certificate as operators and callers see it: no key material. */
export interface CertificateInfo {
  id: string;
  owner: CertOwner;
  name: string;
  status: CertStatus;
  keyAlg: KeyAlg;
  subject?: string;
  requestedSubject?: string;
  issuer?: string;
  serial?: string;
  fingerprint?: string;
  notBefore?: string;
  notAfter?: string;
  /** Whole days until notAfter (negative once expired). */
  daysLeft?: number;
  renewsId?: string;
  supersededBy?: string;
  revokeReason?: string;
  createdAt: string;
}

export interface CertificateRequest {
  certificate: CertificateInfo;
  csrPem: string;
}

export interface CertDeps {
  store: Store;
  box: SecretBox;
  now?: () => number;
}

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

export function toInfo(row: CertRow, nowMs: number): CertificateInfo {
  const info: CertificateInfo = {
    id: row.id,
    owner: row.owner,
    name: row.name,
    status: row.status,
    keyAlg: row.key_alg,
    createdAt: new Date(row.created_at).toISOString(),
  };
  if (row.subject) info.subject = row.subject;
  if (row.requested_subject) info.requestedSubject = row.requested_subject;
  if (row.issuer) info.issuer = row.issuer;
  if (row.serial) info.serial = row.serial;
  if (row.fingerprint) info.fingerprint = row.fingerprint;
  if (row.not_before !== null) info.notBefore = iso(row.not_before);
  if (row.not_after !== null) {
    info.notAfter = iso(row.not_after);
    info.daysLeft = Math.floor((row.not_after - nowMs) / DAY_MS);
  }
  if (row.renews_id) info.renewsId = row.renews_id;
  if (row.superseded_by) info.supersededBy = row.superseded_by;
  if (row.revoke_reason) info.revokeReason = row.revoke_reason;
  return info;
}

const target = (owner: CertOwner, name: string) => `cert:${owner}/${name}`;

function auditEntry(
  actor: string,
  action: string,
  row: Pick<CertRow, 'owner' | 'name' | 'id' | 'key_alg'>,
  detail: Record<string, unknown>,
  outcome: AuditEntry['outcome'] = 'ok',
): AuditEntry {
  return {
    actor,
    action,
    target: target(row.owner, row.name),
    detail: { certificateId: row.id, keyAlg: row.key_alg, ...detail },
    outcome,
  };
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new WaygateError('cert_name_invalid', 'name must be 1-63 characters of a-z, 0-9, ".", "_" or "-"');
  }
}

/** Active certificates (hub and partner) that end within `withinDays` days, expired ones included. */
export async function expiringCertificates(
  ex: Executor,
  withinDays: number = DEFAULT_EXPIRY_WARNING_DAYS,
  nowMs = Date.now(),
): Promise<CertificateInfo[]> {
  if (!Number.isFinite(withinDays) || withinDays < 0) {
    throw new WaygateError('cert_days_invalid', 'days must be a number of days, 0 or more');
  }
  const rows = await activeEndingBefore(ex, nowMs + withinDays * DAY_MS);
  return rows.map((r) => toInfo(r, nowMs));
}

export class CertificateService {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #now: () => number;

  constructor(deps: CertDeps) {
    this.#store = deps.store;
    this.#box = deps.box;
    this.#now = deps.now ?? Date.now;
  }

  /** A new key pair (sealed) and a CSR for the CA; the certificate is registered later. */
  async create(
    actor: string,
    o: { name: string; subject: string; alg?: CreatableAlg },
  ): Promise<CertificateRequest> {
    checkName(o.name);
    const alg = o.alg ?? 'rsa-2048';
    const open = await findCertificates(this.#store.db, {
      owner: 'hub',
      name: o.name,
      status: ['pending', 'active'],
    });
    if (open.length > 0) {
      throw new WaygateError(
        'cert_name_taken',
        `certificate ${o.name} already exists (${open[0]!.status}); renew it with "certs renew" or pick another name`,
      );
    }
    return this.#newRequest(actor, 'cert.create', { name: o.name, subject: o.subject, alg });
  }

  /** A new key pair and CSR to replace the active certificate, which stays in use until then. */
  async renew(
    actor: string,
    o: { name: string; alg?: CreatableAlg; subject?: string },
  ): Promise<CertificateRequest> {
    const rows = await findCertificates(this.#store.db, {
      owner: 'hub',
      name: o.name,
      status: ['pending', 'active'],
    });
    const pending = rows.find((r) => r.status === 'pending');
    if (pending) {
      throw new WaygateError(
        'cert_request_pending',
        `a request for ${o.name} is already waiting for its certificate (${pending.id}); register it, or revoke it with "certs revoke --id ${pending.id}"`,
      );
    }
    const current = rows.filter((r) => r.status === 'active').at(-1);
    if (!current) throw new WaygateError('cert_not_found', `no active certificate named ${o.name} to renew`);
    const alg = o.alg ?? (current.key_alg === 'rsa-4096' ? 'rsa-3072' : current.key_alg);
    const subject = o.subject ?? current.subject ?? current.requested_subject ?? `CN=${o.name}`;
    return this.#newRequest(actor, 'cert.renew', { name: o.name, subject, alg, renews: current.id });
  }

  async #newRequest(
    actor: string,
    action: string,
    o: { name: string; subject: string; alg: CreatableAlg; renews?: string },
  ): Promise<CertificateRequest> {
    const material = await createKeyAndCsr(o.alg, o.subject);
    const now = this.#now();
    const id = newId('crt', now);
    const row = {
      id,
      owner: 'hub' as const,
      name: o.name,
      status: 'pending' as const,
      key_alg: o.alg,
      public_key: material.publicKeyPem,
      private_key_sealed: this.#box.seal(material.privateKeyPem),
      requested_subject: o.subject,
      csr_pem: material.csrPem,
      cert_pem: null,
      subject: null,
      issuer: null,
      serial: null,
      fingerprint: null,
      not_before: null,
      not_after: null,
      renews_id: o.renews ?? null,
      superseded_by: null,
      revoke_reason: null,
      created_at: now,
      updated_at: now,
      activated_at: null,
      superseded_at: null,
      revoked_at: null,
    };
    await this.#store.write(async (trx) => {
      await insertCertificate(trx, row);
      await recordAudit(trx, auditEntry(actor, action, row, o.renews ? { renewsId: o.renews } : {}), now);
    });
    const saved = await getCertificate(this.#store.db, id);
    return { certificate: toInfo(saved!, now), csrPem: material.csrPem };
  }

  /**
   * Registers the certificate the CA issued for a pending request of `name`: it must carry that
   * request's key (checked against the sealed private key too) and be within its validity.
   * The certificate it renews, and any other active one of the name, become superseded.
   */
  async register(actor: string, o: { name: string; certPem: string }): Promise<CertificateInfo> {
    const now = this.#now();
    const facts = parseCertificate(o.certPem);
    const refuse = async (err: WaygateError, row?: CertRow): Promise<never> => {
      await this.#store.write((trx) =>
        recordAudit(
          trx,
          {
            actor,
            action: 'cert.register',
            target: target('hub', o.name),
            detail: {
              code: err.code,
              fingerprint: facts.fingerprint,
              ...(row ? { certificateId: row.id } : {}),
            },
            outcome: 'rejected',
          },
          now,
        ),
      );
      throw err;
    };
    const [known] = await findCertificates(this.#store.db, { fingerprint: facts.fingerprint });
    if (known) {
      return refuse(
        new WaygateError('cert_already_registered', `this certificate is already registered (${known.id})`),
        known,
      );
    }
    const pending = await findCertificates(this.#store.db, {
      owner: 'hub',
      name: o.name,
      status: ['pending'],
    });
    if (pending.length === 0) {
      return refuse(
        new WaygateError('cert_no_pending_request', `no pending request named ${o.name}; create one first`),
      );
    }
    const row = pending.find((r) => samePublicKey(r.public_key, facts.publicKey));
    if (!row || !(await this.#holdsPrivateKey(row.id, facts.pem))) {
      return refuse(
        new WaygateError(
          'cert_key_mismatch',
          `the certificate does not carry the key of the request for ${o.name}`,
        ),
      );
    }
    if (facts.notAfter <= now) {
      return refuse(
        new WaygateError('cert_expired', `the certificate expired on ${iso(facts.notAfter)}`),
        row,
      );
    }
    if (facts.notBefore > now + NOT_BEFORE_SKEW_MS) {
      return refuse(
        new WaygateError('cert_not_yet_valid', `the certificate is valid only from ${iso(facts.notBefore)}`),
        row,
      );
    }
    await this.#store.write(async (trx) => {
      const activated = await updateCertificate(trx, row.id, ['pending'], {
        status: 'active',
        cert_pem: facts.pem,
        subject: facts.subject,
        issuer: facts.issuer,
        serial: facts.serial,
        fingerprint: facts.fingerprint,
        not_before: facts.notBefore,
        not_after: facts.notAfter,
        activated_at: now,
        updated_at: now,
      });
      if (!activated) throw new WaygateError('cert_state_changed', `request ${row.id} is no longer pending`);
      const previous = (
        await findCertificates(trx, { owner: 'hub', name: o.name, status: ['active'] })
      ).filter((r) => r.id !== row.id);
      for (const p of previous) {
        await updateCertificate(trx, p.id, ['active'], {
          status: 'superseded',
          superseded_by: row.id,
          superseded_at: now,
          updated_at: now,
        });
      }
      const ids = previous.map((p) => p.id);
      await recordAudit(
        trx,
        auditEntry(actor, 'cert.register', row, {
          fingerprint: facts.fingerprint,
          serial: facts.serial,
          notAfter: iso(facts.notAfter),
          ...(ids.length > 0 ? { supersededIds: ids } : {}),
        }),
        now,
      );
    });
    return toInfo((await getCertificate(this.#store.db, row.id))!, now);
  }

  async #holdsPrivateKey(id: string, certPem: string): Promise<boolean> {
    const key = await this.#privateKey(id);
    return key !== undefined && new NodeX509(certPem).checkPrivateKey(key);
  }

  /** Opens a sealed key; used only for the register check and by the key ring for signing. */
  async #privateKey(id: string): Promise<KeyObject | undefined> {
    const sealed = await sealedPrivateKey(this.#store.db, id);
    return sealed === undefined ? undefined : createPrivateKey(this.#box.open(sealed));
  }

  /** Registers a partner's certificate (public only) to verify what that partner signs. */
  async importPartner(actor: string, o: { partnerId: string; certPem: string }): Promise<CertificateInfo> {
    if (!PARTNER_RE.test(o.partnerId)) {
      throw new WaygateError('cert_partner_invalid', 'partner must be a partner id such as carrier-beta');
    }
    const now = this.#now();
    const facts = parseCertificate(o.certPem);
    const refuse = async (err: WaygateError): Promise<never> => {
      await this.#store.write((trx) =>
        recordAudit(
          trx,
          {
            actor,
            action: 'cert.import_partner',
            target: target('partner', o.partnerId),
            detail: { code: err.code, fingerprint: facts.fingerprint },
            outcome: 'rejected',
          },
          now,
        ),
      );
      throw err;
    };
    const [known] = await findCertificates(this.#store.db, { fingerprint: facts.fingerprint });
    if (known)
      return refuse(
        new WaygateError('cert_already_registered', `this certificate is already registered (${known.id})`),
      );
    if (facts.notAfter <= now)
      return refuse(new WaygateError('cert_expired', `the certificate expired on ${iso(facts.notAfter)}`));
    const row = {
      id: newId('crt', now),
      owner: 'partner' as const,
      name: o.partnerId,
      status: 'active' as const,
      key_alg: facts.keyAlg,
      public_key: facts.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      private_key_sealed: null,
      requested_subject: null,
      csr_pem: null,
      cert_pem: facts.pem,
      subject: facts.subject,
      issuer: facts.issuer,
      serial: facts.serial,
      fingerprint: facts.fingerprint,
      not_before: facts.notBefore,
      not_after: facts.notAfter,
      renews_id: null,
      superseded_by: null,
      revoke_reason: null,
      created_at: now,
      updated_at: now,
      activated_at: now,
      superseded_at: null,
      revoked_at: null,
    };
    await this.#store.write(async (trx) => {
      await insertCertificate(trx, row);
      await recordAudit(
        trx,
        auditEntry(actor, 'cert.import_partner', row, {
          fingerprint: facts.fingerprint,
          serial: facts.serial,
          notAfter: iso(facts.notAfter),
        }),
        now,
      );
    });
    return toInfo((await getCertificate(this.#store.db, row.id))!, now);
  }

  /** The PEM of the active certificate of `name` (never the key). */
  async certificatePem(name: string): Promise<{ certificate: CertificateInfo; pem: string }> {
    const rows = await findCertificates(this.#store.db, {
      owner: 'hub',
      name,
      status: ['active', 'pending'],
    });
    const active = rows.filter((r) => r.status === 'active').at(-1);
    if (!active?.cert_pem) {
      throw new WaygateError(
        rows.length > 0 ? 'cert_not_issued' : 'cert_not_found',
        rows.length > 0
          ? `${name} has no certificate yet; register the one the CA issued with "certs register"`
          : `no certificate named ${name}`,
      );
    }
    return { certificate: toInfo(active, this.#now()), pem: active.cert_pem };
  }

  /** The active certificates registered for a partner, newest last. */
  async partnerCertificates(
    partnerId: string,
  ): Promise<Array<{ certificate: CertificateInfo; pem: string }>> {
    const rows = await findCertificates(this.#store.db, {
      owner: 'partner',
      name: partnerId,
      status: ['active'],
    });
    const now = this.#now();
    return rows.flatMap((r) => (r.cert_pem ? [{ certificate: toInfo(r, now), pem: r.cert_pem }] : []));
  }

  /** Every certificate and request, with its expiry. */
  async list(f: { owner?: CertOwner; status?: readonly CertStatus[] } = {}): Promise<CertificateInfo[]> {
    const now = this.#now();
    return (await findCertificates(this.#store.db, f)).map((r) => toInfo(r, now));
  }

  /**
   * Revokes by id, or by name (the hub's active certificate of that name, else its pending
   * request). A revoked certificate never signs or verifies again, and its sealed key is erased.
   */
  async revoke(actor: string, o: { id?: string; name?: string; reason: string }): Promise<CertificateInfo> {
    const reason = scrubFreeText(o.reason.trim(), 200);
    if (reason === '') throw new WaygateError('cert_reason_required', 'a revocation needs a reason');
    let row: CertRow | undefined;
    if (o.id) {
      row = await getCertificate(this.#store.db, o.id);
    } else if (o.name) {
      const rows = await findCertificates(this.#store.db, {
        owner: 'hub',
        name: o.name,
        status: ['active', 'pending'],
      });
      row = rows.filter((r) => r.status === 'active').at(-1) ?? rows.at(-1);
    } else {
      throw new WaygateError('cert_target_required', 'give the certificate id or name to revoke');
    }
    if (!row) throw new WaygateError('cert_not_found', `no certificate ${o.id ?? o.name} to revoke`);
    if (row.status === 'revoked')
      throw new WaygateError('cert_already_revoked', `certificate ${row.id} is already revoked`);
    const now = this.#now();
    const found = row;
    await this.#store.write(async (trx) => {
      const done = await updateCertificate(trx, found.id, [found.status], {
        status: 'revoked',
        revoke_reason: reason,
        revoked_at: now,
        updated_at: now,
        private_key_sealed: null,
      });
      if (!done)
        throw new WaygateError('cert_state_changed', `certificate ${found.id} changed meanwhile; try again`);
      await recordAudit(
        trx,
        auditEntry(actor, 'cert.revoke', found, {
          previousStatus: found.status,
          reason,
          ...(found.fingerprint ? { fingerprint: found.fingerprint } : {}),
        }),
        now,
      );
    });
    return toInfo((await getCertificate(this.#store.db, found.id))!, now);
  }

  expiring(withinDays: number = DEFAULT_EXPIRY_WARNING_DAYS): Promise<CertificateInfo[]> {
    return expiringCertificates(this.#store.db, withinDays, this.#now());
  }
}

/**
 * The periodic expiry check: a warning in the log and a `cert.expiring` audit entry for each
 * active certificate ending within `withinDays`, at most once per certificate per UTC day, even
 * with several hub nodes running it (the alert mark is claimed in the store).
 */
export async function checkExpiringCertificates(
  deps: { store: Store; log: Logger; now?: () => number },
  withinDays: number = DEFAULT_EXPIRY_WARNING_DAYS,
): Promise<CertificateInfo[]> {
  const now = (deps.now ?? Date.now)();
  const day = new Date(now).toISOString().slice(0, 10);
  const due = await expiringCertificates(deps.store.db, withinDays, now);
  const raised: CertificateInfo[] = [];
  for (const cert of due) {
    const claimed = await deps.store.write(async (trx) => {
      if (!(await claimCertificateAlert(trx, cert.id, day, 'expiring', now))) return false;
      await recordAudit(
        trx,
        {
          actor: 'system:cert-expiry',
          action: 'cert.expiring',
          target: target(cert.owner, cert.name),
          detail: { certificateId: cert.id, notAfter: cert.notAfter, daysLeft: cert.daysLeft, withinDays },
          outcome: 'ok',
        },
        now,
      );
      return true;
    });
    if (!claimed) continue;
    raised.push(cert);
    deps.log.warn(
      {
        certificateId: cert.id,
        certificate: `${cert.owner}/${cert.name}`,
        notAfter: cert.notAfter,
        daysLeft: cert.daysLeft,
      },
      (cert.daysLeft ?? 0) < 0 ? 'certificate has expired' : 'certificate expires soon; renew it',
    );
  }
  return raised;
}

/** Runs the expiry check now and then every `intervalMs` (default hourly); stop() ends it. */
export function startCertificateExpiryChecks(
  deps: { store: Store; log: Logger; now?: () => number },
  opts: { intervalMs?: number; withinDays?: number } = {},
): { stop(): void } {
  const run = () => {
    checkExpiringCertificates(deps, opts.withinDays).catch((err: Error) =>
      deps.log.warn({ err: err.message }, 'certificate expiry check failed'),
    );
  };
  run();
  const timer = setInterval(run, opts.intervalMs ?? 3_600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
