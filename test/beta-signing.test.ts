/**
 * XML-DSig end to end [003-7.2]: the carrier-beta connector signs its requests with the hub's
 * certificate from the store, the carrier-beta sandbox (configured with that certificate)
 * verifies them and signs its answers, and the connector verifies those against the carrier's
 * certificate registered in the store. Unsigned, tampered and wrongly signed messages fail.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConnector } from '../src/connectors/carriers/carrier-beta/index.js';
import type { BetaSigning } from '../src/connectors/carriers/carrier-beta/client.js';
import { PartnerCallError } from '../src/connectors/errors.js';
import { createHttpClient, type HttpClient } from '../src/connectors/http.js';
import { LOOPBACK_ALLOWED } from '../src/domain/network-policy.js';
import type { CarrierConnector, ShipmentRequest } from '../src/connectors/types.js';
import { startSandbox, type SandboxHandle } from '../src/sandbox/server.js';
import { parseHubConfig } from '../src/hub/config.js';
import { CertificateKeyring, CertificateService, partnerSigning } from '../src/security/certs/index.js';
import { secretBoxFromKey } from '../src/security/secret-box.js';
import type { SignatureScheme } from '../src/security/signing/index.js';
import { DIALECTS, freshStore, type TestStore } from './helpers/stores.js';
import { createTestCa, partnerIdentity, type TestCa } from './helpers/test-ca.js';
import { rejectionOf } from './helpers/errors.js';

const shipment = JSON.parse(
  readFileSync(
    new URL('../src/connectors/carriers/carrier-beta/fixtures/shipment-request.json', import.meta.url),
    'utf8',
  ),
) as ShipmentRequest;
const ACTOR = 'cli:test-operator';

describe.each(DIALECTS)('carrier-beta XML-DSig through the sandbox (%s)', (dialect) => {
  let store: TestStore;
  let sandbox: SandboxHandle;
  let http: HttpClient;
  let ca: TestCa;
  let certs: CertificateService;
  let ring: CertificateKeyring;
  let hubPem: string;

  const portal = async (method: 'GET' | 'PUT' | 'DELETE', body?: unknown) => {
    const res = await request(`${sandbox.url}/__signing/carrier-beta`, {
      method,
      ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
  };

  const connector = (signing?: BetaSigning): CarrierConnector =>
    createConnector(
      {
        partnerId: 'carrier-beta',
        baseUrl: sandbox.url,
        credentials: sandbox.credentials['carrier-beta'],
        timeoutMs: 5000,
      },
      http,
      signing ? { signing } : {},
    );

  const signed = (signWith = 'hub-beta'): BetaSigning => ({
    request: ring.scheme('xmldsig-rsa-sha256', { signWith }),
    response: ring.scheme('xmldsig-rsa-sha256', { verifyFrom: 'carrier-beta' }),
  });

  const betaStats = () => sandbox.stats().carriers['carrier-beta'] ?? {};

  beforeEach(async () => {
    store = await freshStore(dialect);
    sandbox = await startSandbox({ port: 0, stepMs: 20 });
    http = createHttpClient({ network: LOOPBACK_ALLOWED });
    ca = await createTestCa();
    const box = secretBoxFromKey(randomBytes(32));
    certs = new CertificateService({ store, box });
    ring = new CertificateKeyring({ store, box });

    // The lifecycle an operator runs: request, CA issues, register; exchange certificates.
    const req = await certs.create(ACTOR, {
      name: 'hub-beta',
      subject: 'CN=hub.waygate.test,O=Waygate Test',
    });
    hubPem = await ca.issue(req.csrPem);
    await certs.register(ACTOR, { name: 'hub-beta', certPem: hubPem });
    expect(await portal('PUT', { hubCertificate: hubPem, signResponses: true })).toMatchObject({
      status: 200,
      json: { verifiesRequests: true, signsResponses: true },
    });
    const carrierCert = (await portal('GET')).json.certificate as string;
    await certs.importPartner(ACTOR, { partnerId: 'carrier-beta', certPem: carrierCert });
    await ring.refresh();
  });

  afterEach(async () => {
    await http.close();
    await sandbox.close();
    await store.destroy();
  });

  it('ships and tracks with signed requests and verified, signed answers', async () => {
    const beta = connector(signed());
    const created = await beta.createShipment(shipment);
    expect(created.waybillNo).toMatch(/^[A-Z]{2}\d{9}CN$/);
    const again = await beta.createShipment(shipment);
    expect(again.waybillNo).toBe(created.waybillNo);
    const events = await beta.fetchTracking!([created.waybillNo]);
    expect(events.length).toBeGreaterThan(0);
    expect(betaStats()).toMatchObject({ shipmentsCreated: 1, idempotentReplays: 1, signatureFailures: 0 });
  });

  it('is refused by the carrier when the content is not signed', async () => {
    const err = await rejectionOf(connector().createShipment(shipment), PartnerCallError);
    expect(err).toMatchObject({
      code: 'partner_auth_failed',
      retryable: false,
      partnerCode: 'isv.content-signature-missing',
    });
    expect(betaStats()).toMatchObject({ shipmentsCreated: 0, signatureFailures: 1 });
  });

  it('is refused by the carrier when the signed content was changed on the way', async () => {
    const honest = ring.scheme('xmldsig-rsa-sha256', { signWith: 'hub-beta' });
    const tampering: SignatureScheme = {
      ...honest,
      sign: (body) => ({
        body: String(honest.sign(body).body).replace(/<declare_value>[^<]*</, '<declare_value>0.01<'),
      }),
    };
    const err = await rejectionOf(
      connector({ request: tampering }).createShipment(shipment),
      PartnerCallError,
    );
    expect(err).toMatchObject({ code: 'partner_auth_failed', partnerCode: 'isv.content-signature-invalid' });
    expect(err.partnerMessage).toContain('signature_mismatch');
    expect(betaStats()).toMatchObject({ shipmentsCreated: 0 });
  });

  it('is refused by the carrier when signed with a certificate the carrier was not given', async () => {
    const other = await certs.create(ACTOR, { name: 'hub-other', subject: 'CN=other.waygate.test' });
    await certs.register(ACTOR, { name: 'hub-other', certPem: await ca.issue(other.csrPem) });
    await ring.refresh();
    const err = await rejectionOf(connector(signed('hub-other')).createShipment(shipment), PartnerCallError);
    expect(err).toMatchObject({ code: 'partner_auth_failed', partnerCode: 'isv.content-signature-invalid' });
  });

  it("refuses an answer that is not signed by the carrier's registered certificate", async () => {
    const impostor = await partnerIdentity('CN=impostor.example');
    await certs.importPartner(ACTOR, { partnerId: 'carrier-gamma', certPem: impostor.certPem });
    await ring.refresh();
    const err = await rejectionOf(
      connector({
        request: ring.scheme('xmldsig-rsa-sha256', { signWith: 'hub-beta' }),
        response: ring.scheme('xmldsig-rsa-sha256', { verifyFrom: 'carrier-gamma' }),
      }).createShipment(shipment),
      PartnerCallError,
    );
    expect(err).toMatchObject({ code: 'partner_auth_failed', partnerCode: 'signature_mismatch' });

    // The carrier stops signing its answers: an unsigned answer is refused too.
    await portal('PUT', { hubCertificate: hubPem, signResponses: false });
    const unsigned = await rejectionOf(connector(signed()).createShipment(shipment), PartnerCallError);
    expect(unsigned).toMatchObject({ code: 'partner_auth_failed', partnerCode: 'signature_missing' });
  });

  it('stops signing once the certificate is revoked', async () => {
    await certs.revoke(ACTOR, { name: 'hub-beta', reason: 'rotation drill' });
    await ring.refresh();
    const err = await rejectionOf(connector(signed()).createShipment(shipment), PartnerCallError);
    expect(err).toMatchObject({ code: 'partner_auth_failed', retryable: false });
    expect(err.message).toContain('cannot sign');
    expect(betaStats()).toMatchObject({ calls: 0 });
  });

  it('takes its signing set-up from the partner config', async () => {
    const file = new URL('./fixtures/certs/partner-signing.yaml', import.meta.url);
    const text = readFileSync(file, 'utf8');
    const { appKey, appSecret } = sandbox.credentials['carrier-beta'];
    const env = { SANDBOX_URL: sandbox.url, BETA_APP_KEY: appKey, BETA_APP_SECRET: appSecret };
    const config = parseHubConfig(text, 'partner-signing.yaml', env);
    const spec = config.partners['carrier-beta']?.signing;
    expect(spec).toEqual({ scheme: 'xmldsig-rsa-sha256', certificate: 'hub-beta', verifyPartner: true });
    const created = await connector(partnerSigning(ring, 'carrier-beta', spec)).createShipment(shipment);
    expect(created.waybillNo).toMatch(/CN$/);
    expect(() =>
      parseHubConfig(
        text.replace('verifyPartner: true', 'verifyPartner: true\n      keyInfo: trust'),
        'x.yaml',
        env,
      ),
    ).toThrow(/signing/);
  });

  it('works unsigned exactly as before once signing is switched off at the carrier', async () => {
    expect(await portal('DELETE')).toMatchObject({ status: 200, json: { verifiesRequests: false } });
    const created = await connector().createShipment(shipment);
    expect(created.waybillNo).toMatch(/CN$/);
  });
});
