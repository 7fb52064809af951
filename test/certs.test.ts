/**
 * The certificate/key store [003-7.2] on both dialects: request → issue (test CA) → register →
 * sign/verify → renew → revoke, partner certificates, expiry alerts, and no plaintext keys.
 */
import { randomBytes } from 'node:crypto';
import { runCli } from './helpers/cli.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerCertCommands } from '../src/cli/certs.js';
import { WaygateError } from '../src/domain/index.js';
import {
  CertificateKeyring,
  CertificateService,
  checkExpiringCertificates,
  expiringCertificates,
} from '../src/security/certs/index.js';
import { secretBoxFromKey, type SecretBox } from '../src/security/secret-box.js';
import { rsaPssScheme, xmlDsigScheme, SigningUnavailableError } from '../src/security/signing/index.js';
import { listAudit } from '../src/store/audit.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { createTestCa, partnerIdentity, type TestCa } from './helpers/test-ca.js';
import { rejectionOf } from './helpers/errors.js';

const DAY = 86_400_000;
const ACTOR = 'cli:test-operator';
const xml = readFileSync(new URL('./fixtures/certs/order-request.xml', import.meta.url), 'utf8');

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe.each(DIALECTS)('certificate store (%s)', (dialect) => {
  let store: TestStore;
  let box: SecretBox;
  let ca: TestCa;
  let now: number;
  let certs: CertificateService;

  beforeEach(async () => {
    store = await freshStore(dialect);
    box = secretBoxFromKey(randomBytes(32));
    ca = await createTestCa();
    now = Date.now();
    certs = new CertificateService({ store, box, now: () => now });
  });
  afterEach(async () => {
    await store.destroy();
  });

  const keyringAt = (at: () => number = () => now) => new CertificateKeyring({ store, box, now: at });

  it('creates a key pair and CSR, registers the issued certificate, signs, renews and revokes', async () => {
    const req = await certs.create(ACTOR, { name: 'hub-beta', subject: 'CN=hub.example,O=Waygate Test' });
    expect(req.csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(req.certificate).toMatchObject({ status: 'pending', keyAlg: 'rsa-2048', name: 'hub-beta' });

    const issued = await ca.issue(req.csrPem);
    const active = await certs.register(ACTOR, { name: 'hub-beta', certPem: issued });
    expect(active).toMatchObject({
      id: req.certificate.id,
      status: 'active',
      subject: 'CN=hub.example, O=Waygate Test',
      issuer: 'CN=Waygate Test CA, O=Test Only',
    });
    expect(active.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(active.serial).toMatch(/^[0-9a-f]+$/);
    expect(active.daysLeft).toBeGreaterThan(360);
    expect((await certs.certificatePem('hub-beta')).pem).toContain('BEGIN CERTIFICATE');

    // Signs with the registered key; the partner verifies with the certificate alone.
    const ring = keyringAt();
    await ring.refresh();
    const signed = ring.scheme('xmldsig-rsa-sha256', { signWith: 'hub-beta' }).sign(xml);
    const partner = xmlDsigScheme({ trusted: [{ id: 'hub', pem: issued }] });
    expect(partner.verify(signed.body)).toMatchObject({ ok: true });
    const header = ring.scheme('rsa-sha256-pss', { signWith: 'hub-beta' }).sign(xml).header?.value;
    expect(rsaPssScheme({ trusted: [{ id: 'hub', pem: issued }] }).verify(xml, header)).toMatchObject({
      ok: true,
    });

    // Renewal: a new key and CSR; the current certificate keeps signing meanwhile.
    const renewal = await certs.renew(ACTOR, { name: 'hub-beta' });
    expect(renewal.certificate).toMatchObject({ status: 'pending', renewsId: active.id });
    expect(renewal.csrPem).not.toBe(req.csrPem);
    await ring.refresh();
    expect(ring.signingKey('hub-beta').certificateId).toBe(active.id);
    const renewedPem = await ca.issue(renewal.csrPem);
    const renewed = await certs.register(ACTOR, { name: 'hub-beta', certPem: renewedPem });
    const all = await certs.list();
    expect(all.find((c) => c.id === active.id)).toMatchObject({
      status: 'superseded',
      supersededBy: renewed.id,
    });
    await ring.refresh();
    expect(ring.signingKey('hub-beta').certificateId).toBe(renewed.id);
    expect(
      xmlDsigScheme({ trusted: [{ id: 'new', pem: renewedPem }] }).verify(
        ring.scheme('xmldsig-rsa-sha256', { signWith: 'hub-beta' }).sign(xml).body,
      ),
    ).toMatchObject({ ok: true });

    // Revocation: the certificate never signs again, and its sealed key is gone.
    const revoked = await certs.revoke(ACTOR, { name: 'hub-beta', reason: 'key compromise drill' });
    expect(revoked).toMatchObject({
      id: renewed.id,
      status: 'revoked',
      revokeReason: 'key compromise drill',
    });
    await ring.refresh();
    expect(() => ring.signingKey('hub-beta')).toThrow(SigningUnavailableError);
    expect(() => ring.scheme('xmldsig-rsa-sha256', { signWith: 'hub-beta' }).sign(xml)).toThrow(
      SigningUnavailableError,
    );
    expect(
      (await rejectionOf(certs.revoke(ACTOR, { id: renewed.id, reason: 'again' }), WaygateError)).code,
    ).toBe('cert_already_revoked');
    const raw = await store.db
      .withTables<{ certificates: { id: string; private_key_sealed: string | null } }>()
      .selectFrom('certificates')
      .select('private_key_sealed')
      .where('id', '=', renewed.id)
      .executeTakeFirstOrThrow();
    expect(raw.private_key_sealed).toBeNull();

    const actions = (await listAudit(store.db, { limit: 50 })).map((a) => a.action).reverse();
    expect(actions).toEqual(['cert.create', 'cert.register', 'cert.renew', 'cert.register', 'cert.revoke']);
  });

  it('makes ECDSA P-256 keys and RSA 3072 keys on request', async () => {
    const ec = await certs.create(ACTOR, { name: 'hub-ec', subject: 'CN=ec.example', alg: 'ecdsa-p256' });
    await certs.register(ACTOR, { name: 'hub-ec', certPem: await ca.issue(ec.csrPem) });
    const rsa = await certs.create(ACTOR, {
      name: 'hub-rsa3072',
      subject: 'CN=rsa.example',
      alg: 'rsa-3072',
    });
    expect(rsa.certificate.keyAlg).toBe('rsa-3072');
    const ring = keyringAt();
    await ring.refresh();
    const sig = ring.scheme('ecdsa-p256-sha256', { signWith: 'hub-ec' }).sign(xml).header?.value;
    const pem = (await certs.certificatePem('hub-ec')).pem;
    const { ecdsaP256Scheme } = await import('../src/security/signing/index.js');
    expect(ecdsaP256Scheme({ trusted: [{ id: 'ec', pem }] }).verify(xml, sig)).toMatchObject({ ok: true });
    // An EC key cannot make XML-DSig RSA-SHA256 signatures.
    expect(() => ring.scheme('xmldsig-rsa-sha256', { signWith: 'hub-ec' }).sign(xml)).toThrow(
      SigningUnavailableError,
    );
  });

  it('refuses a certificate issued for another key, and records the refusal', async () => {
    const mine = await certs.create(ACTOR, { name: 'hub-a', subject: 'CN=a.example' });
    const other = await certs.create(ACTOR, { name: 'hub-b', subject: 'CN=b.example' });
    const wrong = await ca.issue(other.csrPem);
    const err = await rejectionOf(certs.register(ACTOR, { name: 'hub-a', certPem: wrong }), WaygateError);
    expect(err.code).toBe('cert_key_mismatch');
    expect((await certs.list()).find((c) => c.id === mine.certificate.id)?.status).toBe('pending');
    const [audit] = await listAudit(store.db, { action: 'cert.register', limit: 1 });
    expect(audit).toMatchObject({ outcome: 'rejected', detail: { code: 'cert_key_mismatch' } });
  });

  it('refuses an expired certificate, an unreadable one, a duplicate name and a second pending renewal', async () => {
    const req = await certs.create(ACTOR, { name: 'hub-x', subject: 'CN=x.example' });
    const expired = await ca.issue(req.csrPem, {
      notBefore: new Date(now - 10 * DAY),
      notAfter: new Date(now - DAY),
    });
    expect(
      (await rejectionOf(certs.register(ACTOR, { name: 'hub-x', certPem: expired }), WaygateError)).code,
    ).toBe('cert_expired');
    expect(
      (await rejectionOf(certs.register(ACTOR, { name: 'hub-x', certPem: 'not a pem' }), WaygateError)).code,
    ).toBe('cert_unreadable');
    expect(
      (await rejectionOf(certs.create(ACTOR, { name: 'hub-x', subject: 'CN=x.example' }), WaygateError)).code,
    ).toBe('cert_name_taken');
    expect(
      (await rejectionOf(certs.create(ACTOR, { name: 'hub-y', subject: 'garbage' }), WaygateError)).code,
    ).toBe('cert_subject_invalid');
    await certs.register(ACTOR, { name: 'hub-x', certPem: await ca.issue(req.csrPem) });
    await certs.renew(ACTOR, { name: 'hub-x' });
    expect((await rejectionOf(certs.renew(ACTOR, { name: 'hub-x' }), WaygateError)).code).toBe(
      'cert_request_pending',
    );
  });

  it("verifies inbound signatures only with a partner's registered, unrevoked certificate", async () => {
    const partner = await partnerIdentity();
    const stranger = await partnerIdentity('CN=stranger.example');
    const imported = await certs.importPartner(ACTOR, {
      partnerId: 'carrier-beta',
      certPem: partner.certPem,
    });
    expect(imported).toMatchObject({
      owner: 'partner',
      name: 'carrier-beta',
      status: 'active',
      keyAlg: 'rsa-2048',
    });
    expect(
      (
        await rejectionOf(
          certs.importPartner(ACTOR, { partnerId: 'carrier-beta', certPem: partner.certPem }),
          WaygateError,
        )
      ).code,
    ).toBe('cert_already_registered');

    const ring = keyringAt();
    await ring.refresh();
    const verifier = ring.scheme('xmldsig-rsa-sha256', { verifyFrom: 'carrier-beta' });
    const fromPartner = xmlDsigScheme({ signingKey: partner.privateKey }).sign(xml).body;
    const fromStranger = xmlDsigScheme({ signingKey: stranger.privateKey }).sign(xml).body;
    expect(verifier.verify(fromPartner)).toMatchObject({ ok: true, keyId: imported.id });
    expect(verifier.verify(fromStranger)).toMatchObject({ ok: false, code: 'signature_mismatch' });
    // Another partner's registration does not vouch for this one.
    expect(
      ring.scheme('xmldsig-rsa-sha256', { verifyFrom: 'carrier-alpha' }).verify(fromPartner),
    ).toMatchObject({
      ok: false,
      code: 'key_unavailable',
    });

    await certs.revoke(ACTOR, { id: imported.id, reason: 'partner rotated' });
    await ring.refresh();
    expect(verifier.verify(fromPartner)).toMatchObject({ ok: false, code: 'key_unavailable' });
  });

  it('lists certificates expiring within the threshold and alerts once per certificate per day', async () => {
    const soon = await certs.create(ACTOR, { name: 'hub-soon', subject: 'CN=soon.example' });
    await certs.register(ACTOR, {
      name: 'hub-soon',
      certPem: await ca.issue(soon.csrPem, { notAfter: new Date(now + 10 * DAY) }),
    });
    const later = await certs.create(ACTOR, { name: 'hub-later', subject: 'CN=later.example' });
    await certs.register(ACTOR, { name: 'hub-later', certPem: await ca.issue(later.csrPem) });

    expect((await expiringCertificates(store.db, 30, now)).map((c) => c.name)).toEqual(['hub-soon']);
    expect(await expiringCertificates(store.db, 5, now)).toEqual([]);
    expect((await certs.expiring()).map((c) => c.daysLeft)).toEqual([9]);

    const { log, lines } = capturingLogger();
    const first = await checkExpiringCertificates({ store, log, now: () => now });
    expect(first.map((c) => c.name)).toEqual(['hub-soon']);
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(lines[0]).toMatchObject({ certificateId: soon.certificate.id, daysLeft: 9 });
    // Same day (and a second node running the same check): nothing new.
    expect(await checkExpiringCertificates({ store, log, now: () => now + 60_000 })).toEqual([]);
    expect(lines).toHaveLength(1);
    // The next day it is raised again.
    expect(await checkExpiringCertificates({ store, log, now: () => now + DAY })).toHaveLength(1);
    const alerts = await listAudit(store.db, { action: 'cert.expiring', limit: 10 });
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({ actor: 'system:cert-expiry', target: 'cert:hub/hub-soon' });
  });

  it('stores private keys only sealed: no plaintext key in any row, audit entry or listing', async () => {
    const req = await certs.create(ACTOR, { name: 'hub-kept', subject: 'CN=kept.example' });
    await certs.register(ACTOR, { name: 'hub-kept', certPem: await ca.issue(req.csrPem) });
    const row = await store.db
      .withTables<{ certificates: Record<string, unknown> & { id: string } }>()
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', req.certificate.id)
      .executeTakeFirstOrThrow();
    const sealed = String(row.private_key_sealed);
    const plain = box.open(sealed);
    expect(plain).toContain('BEGIN PRIVATE KEY');
    const keyBody = plain.split('\n')[3]!; // a line from the middle of the PKCS#8 body
    expect(keyBody.length).toBeGreaterThan(40);
    const rowText = JSON.stringify(row);
    expect(rowText).not.toContain('PRIVATE KEY');
    expect(rowText).not.toContain(keyBody);
    const audit = JSON.stringify(await listAudit(store.db, { limit: 50 }));
    expect(audit).not.toContain('PRIVATE KEY');
    expect(audit).not.toContain(sealed.slice(0, 40));
    const listing = JSON.stringify(await certs.list());
    expect(listing).not.toMatch(/PRIVATE KEY|private_?key/i);
    expect(listing).not.toContain(sealed.slice(0, 40));
  });

  it('does not sign with a certificate outside its validity', async () => {
    const req = await certs.create(ACTOR, { name: 'hub-short', subject: 'CN=short.example' });
    await certs.register(ACTOR, {
      name: 'hub-short',
      certPem: await ca.issue(req.csrPem, { notAfter: new Date(now + DAY) }),
    });
    let clock = now;
    const ring = keyringAt(() => clock);
    await ring.refresh();
    expect(ring.signingKey('hub-short').certificateId).toBe(req.certificate.id);
    clock = now + 2 * DAY;
    expect(() => ring.signingKey('hub-short')).toThrow(/outside its validity/);
  });
});

describe('waygate certs (CLI)', () => {
  let store: TestStore;
  let dir: string;
  beforeEach(async () => {
    store = await freshStore('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'waygate-certs-cli-'));
  });
  afterEach(async () => {
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
    await store.destroy();
  });

  /** Runs `waygate certs …` against the test store and returns what it printed. */
  function cli(...args: string[]): Promise<{ out: string; err: string }> {
    return runCli(registerCertCommands, ['certs', ...args, '--db', store.url]);
  }

  it('runs the lifecycle: create, register, show, list, expiring, renew, import-partner, revoke', async () => {
    const ca = await createTestCa();
    const csr = (
      await cli('create', '--name', 'hub-beta', '--subject', 'CN=hub.example,O=Test', '--alg', 'ecdsa-p256')
    ).out;
    expect(csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----[\s\S]+-----END CERTIFICATE REQUEST-----\n$/);
    const certFile = join(dir, 'hub-beta.pem');
    writeFileSync(certFile, await ca.issue(csr, { notAfter: new Date(Date.now() + 20 * DAY) }));
    expect((await cli('register', '--name', 'hub-beta', '--file', certFile)).out).toMatch(/^registered crt_/);

    const shown = (await cli('show', '--name', 'hub-beta')).out;
    expect(shown).toBe(`${readFileSync(certFile, 'utf8').trimEnd()}\n`);
    expect(shown).not.toContain('PRIVATE KEY');

    const list = (await cli('list')).out;
    expect(list).toMatch(/^ID\s+OWNER\s+NAME\s+STATUS\s+ALG\s+SUBJECT\s+NOT AFTER\s+DAYS LEFT/);
    expect(list).toMatch(/hub\s+hub-beta\s+active\s+ecdsa-p256\s+CN=hub.example, O=Test/);
    expect((await cli('expiring', '--days', '30')).out).toContain('hub-beta');
    expect((await cli('expiring', '--days', '7')).out).toBe('no certificate expires within 7 days\n');

    expect((await cli('renew', '--name', 'hub-beta')).out).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    const partner = await partnerIdentity();
    const partnerFile = join(dir, 'partner.pem');
    writeFileSync(partnerFile, partner.certPem);
    expect((await cli('import-partner', '--partner', 'carrier-beta', '--file', partnerFile)).out).toMatch(
      /^imported crt_/,
    );
    const json = JSON.parse((await cli('list', '--json')).out) as { certificates: Array<{ status: string }> };
    expect(json.certificates.map((c) => c.status)).toEqual(['active', 'pending', 'active']);

    expect((await cli('revoke', '--name', 'hub-beta', '--reason', 'drill')).out).toMatch(
      /^revoked crt_.* \(hub\/hub-beta\)/,
    );
    const refused = await cli('show', '--name', 'hub-beta');
    expect(refused.err).toContain('cert_not_issued');
    expect(process.exitCode).toBe(1);
  });
});
