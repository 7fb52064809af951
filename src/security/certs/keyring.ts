/**
 * The certificates in use, held in memory for synchronous signing and verification: the hub's
 * active key pairs (opened from the SecretBox) and the partners' active certificates. Every
 * call checks validity against the clock, so an expired certificate stops signing at its
 * notAfter; revocations and renewals made anywhere (CLI, another node) take effect at the next
 * refresh (`start()` refreshes every 30 s by default).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { findCertificates, sealedPrivateKey } from '../../store/certs.js';
import type { Store } from '../../store/db.js';
import type { SecretBox } from '../secret-box.js';
import { ecdsaP256Scheme, rsaPkcs1Scheme, rsaPssScheme } from '../signing/public-key.js';
import {
  SigningUnavailableError,
  type SchemeId,
  type SignatureScheme,
  type TrustedKey,
} from '../signing/types.js';
import { xmlDsigScheme } from '../signing/xml-dsig.js';

interface Validity {
  certificateId: string;
  notBefore: number;
  notAfter: number;
}

export interface HubSigningKey extends Validity {
  key: KeyObject;
  certificatePem: string;
}

interface PartnerCert extends Validity {
  pem: string;
}

export type PublicKeySchemeId = Exclude<SchemeId, `hmac-${string}`>;

export interface KeyringSchemeOptions {
  /** Name of the hub certificate to sign with. */
  signWith?: string;
  /** Partner whose registered certificates verify inbound messages. */
  verifyFrom?: string;
  /** Header for detached schemes. */
  header?: string;
}

export class CertificateKeyring {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #now: () => number;
  #hub = new Map<string, HubSigningKey>();
  #partners = new Map<string, PartnerCert[]>();

  constructor(deps: { store: Store; box: SecretBox; now?: () => number }) {
    this.#store = deps.store;
    this.#box = deps.box;
    this.#now = deps.now ?? Date.now;
  }

  /** Reloads active certificates; what was revoked or superseded since drops out. */
  async refresh(): Promise<void> {
    const rows = await findCertificates(this.#store.db, { status: ['active'] });
    const hub = new Map<string, HubSigningKey>();
    const partners = new Map<string, PartnerCert[]>();
    for (const r of rows) {
      if (!r.cert_pem || r.not_before === null || r.not_after === null) continue;
      const validity = { certificateId: r.id, notBefore: r.not_before, notAfter: r.not_after };
      if (r.owner === 'partner') {
        partners.set(r.name, [...(partners.get(r.name) ?? []), { ...validity, pem: r.cert_pem }]);
        continue;
      }
      // Rows come oldest first, so the newest active certificate of a name wins.
      const kept = this.#hub.get(r.name);
      const key = kept?.certificateId === r.id ? kept.key : await this.#openKey(r.id);
      if (key) hub.set(r.name, { ...validity, key, certificatePem: r.cert_pem });
    }
    this.#hub = hub;
    this.#partners = partners;
  }

  async #openKey(id: string): Promise<KeyObject | undefined> {
    const sealed = await sealedPrivateKey(this.#store.db, id);
    return sealed ? createPrivateKey(this.#box.open(sealed)) : undefined;
  }

  /** Refreshes now and every `intervalMs`; a failed refresh keeps the last good set. */
  async start(log: Logger, intervalMs = 30_000): Promise<{ stop(): void }> {
    await this.refresh();
    const timer = setInterval(() => {
      this.refresh().catch((err: Error) =>
        log.warn({ err: err.message }, 'certificate key ring refresh failed'),
      );
    }, intervalMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  #valid(v: Validity): boolean {
    const now = this.#now();
    return v.notBefore <= now && now < v.notAfter;
  }

  /** The key and certificate to sign with now; throws SigningUnavailableError when there is none. */
  signingKey(name: string): HubSigningKey {
    const entry = this.#hub.get(name);
    if (!entry) throw new SigningUnavailableError(`no active certificate named ${name} to sign with`);
    if (!this.#valid(entry)) {
      throw new SigningUnavailableError(
        `certificate ${name} (${entry.certificateId}) is outside its validity`,
      );
    }
    return entry;
  }

  /** The partner's certificates valid now. */
  trusted(partnerId: string): TrustedKey[] {
    return (this.#partners.get(partnerId) ?? [])
      .filter((c) => this.#valid(c))
      .map((c) => ({ id: c.certificateId, pem: c.pem }));
  }

  /** A scheme whose keys are looked up at each call, so it follows renewals and revocations. */
  scheme(id: PublicKeySchemeId, o: KeyringSchemeOptions): SignatureScheme {
    const signingKey = o.signWith ? () => this.signingKey(o.signWith!).key : undefined;
    const trusted = o.verifyFrom ? () => this.trusted(o.verifyFrom!) : undefined;
    const common = {
      ...(signingKey ? { signingKey } : {}),
      ...(trusted ? { trusted } : {}),
      ...(o.header ? { header: o.header } : {}),
    };
    switch (id) {
      case 'rsa-sha256-pkcs1':
        return rsaPkcs1Scheme(common);
      case 'rsa-sha256-pss':
        return rsaPssScheme(common);
      case 'ecdsa-p256-sha256':
        return ecdsaP256Scheme(common);
      case 'xmldsig-rsa-sha256':
        return xmlDsigScheme({
          ...common,
          ...(o.signWith ? { certificate: () => this.signingKey(o.signWith!).certificatePem } : {}),
        });
    }
  }
}
