/**
 * Customs through a real hub process (`waygate serve`, the built CLI), killed with SIGKILL at the
 * two points the issue names, on SQLite and PostgreSQL. The crash points are reached through the
 * test-only WAYGATE_TEST_CRASH_AT hook (src/pipeline/crash-point.ts), so the kill lands exactly:
 *
 * 1. after a declaration's message is written to the outbox, before it is recorded as sent —
 *    after the restart the outbox holds that message once (same file, same bytes, same message
 *    id) and every message of the order exactly once;
 * 2. after a receipt is claimed from the inbox, before it is applied — after the restart the
 *    receipt is applied once (one history line), and its file ends in the inbox's done folder.
 *
 * The same journey is the full-hub proof: an order into CN posted to the API, CEB311/411/511/621
 * written to the outbox as transfer envelopes that pass the official XSDs and verify with the
 * declarant certificate's public key, receipts dropped in the inbox shown by GET /v1/orders/{id}
 * and GET /v1/customs/declarations/{id} with their history.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrapEnvelope } from '../src/connectors/customs/china-ceb/envelope.js';
import { schemaOf } from '../src/connectors/customs/china-ceb/messages.js';
import { SANDBOX_PROFILE } from '../src/connectors/customs/china-ceb/profile.js';
import { verifyCebSignature } from '../src/connectors/customs/china-ceb/sign.js';
import { validateCeb } from '../src/connectors/customs/china-ceb/xsd.js';
import type { OrderInput } from '../src/domain/index.js';
import { signedHeaders } from '../src/gateway/signature.js';
import { startSandbox, type SandboxHandle } from '../src/sandbox/server.js';
import { CertificateService } from '../src/security/certs/index.js';
import { localFieldCipher } from '../src/security/field-cipher.js';
import { secretBoxFromKey } from '../src/security/secret-box.js';
import { createApiKey, type CreatedKey } from '../src/store/api-keys.js';
import { declarationHistory, declarationsOfOrder } from '../src/store/customs.js';
import { openStore, type Store } from '../src/store/db.js';
import { ALL_SCOPES } from './helpers/gateway.js';
import { waitFor } from './helpers/harness.js';
import { createTestDbUrl, DIALECTS } from './helpers/stores.js';
import { createTestCa } from './helpers/test-ca.js';

const BIN = fileURLToPath(new URL('../bin/waygate.js', import.meta.url));
const ACTOR = 'cli:test-operator';
const order = (externalId: string): OrderInput => ({
  ...(JSON.parse(
    readFileSync(
      new URL('../src/connectors/customs/china-ceb/fixtures/import-order.canonical.json', import.meta.url),
      'utf8',
    ),
  ) as OrderInput),
  externalId,
});
const receipt = (name: string, guid: string, orderNo: string) =>
  readFileSync(new URL(`./fixtures/customs/${name}`, import.meta.url), 'utf8')
    .replaceAll('{{guid}}', guid)
    .replaceAll('{{orderNo}}', orderNo);

describe.each(DIALECTS)('customs through a hub process killed with SIGKILL (%s)', (dialect) => {
  const masterKey = randomBytes(32).toString('base64');
  let dir: string;
  let transfer: string;
  let configFile: string;
  let dbUrl: string;
  let drop: () => Promise<void>;
  let store: Store;
  let sandbox: SandboxHandle;
  let key: CreatedKey;
  let certPem: string;
  let hub: { child: ChildProcess; url: string } | undefined;
  let stderrOf = '';

  beforeAll(async () => {
    process.env.WAYGATE_MASTER_KEY = masterKey;
    dir = mkdtempSync(join(tmpdir(), 'waygate-customs-crash-'));
    transfer = join(dir, 'transfer');
    ({ url: dbUrl, drop } = await createTestDbUrl(dialect));
    store = await openStore(dbUrl, { cipher: localFieldCipher });
    const box = secretBoxFromKey(Buffer.from(masterKey, 'base64'));
    key = await createApiKey(store.db, box, { ...ALL_SCOPES, name: 'customs-crash' });
    // The declarant's certificate in the hub's store before the hub starts.
    const certs = new CertificateService({ store, box });
    const ca = await createTestCa();
    const req = await certs.create(ACTOR, {
      name: 'customs-declarant',
      subject: 'CN=declarant.waygate.test',
    });
    certPem = await ca.issue(req.csrPem);
    await certs.register(ACTOR, { name: 'customs-declarant', certPem });
    sandbox = await startSandbox({ port: 0, stepMs: 60_000 });
    // The sandbox partner config, plus China customs through the transfer client's folders.
    const doc = parse(readFileSync(new URL('../config/sandbox.yaml', import.meta.url), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    doc.partners!['china-customs'] = {
      kind: 'customs',
      connector: 'china-ceb',
      baseUrl: 'http://127.0.0.1:9',
      credentials: { clientKey: 'unused-with-folders' },
      options: { transferFolder: transfer },
    };
    // Orders into CN go with carrier-alpha (carrier-beta, the default, offers no delivery in CN).
    (doc.routing as { rules: unknown[] }).rules.unshift({ countries: ['CN'], carrier: 'carrier-alpha' });
    // A job of the killed hub runs again once its lease runs out: 5 s rather than the default 30.
    doc.workers = { ...doc.workers, leaseMs: 5_000 };
    doc.customs = {
      partner: 'china-customs',
      certificate: 'customs-declarant',
      defaults: SANDBOX_PROFILE,
      receiptPollMs: 200,
    };
    configFile = join(dir, 'hub.yaml');
    writeFileSync(configFile, stringify(doc));
  }, 120_000);

  afterAll(async () => {
    hub?.child.kill('SIGKILL');
    await sandbox?.close();
    await store?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `waygate serve`; `crashAt` arms the test-only crash point. */
  function startHub(crashAt?: string): Promise<{ child: ChildProcess; url: string }> {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--db', dbUrl, '--config', configFile, '--sandbox-url', sandbox.url],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          WAYGATE_MASTER_KEY: masterKey,
          WAYGATE_LOG_LEVEL: 'error',
          ...(crashAt ? { WAYGATE_TEST_CRASH_AT: crashAt } : {}),
        },
      },
    );
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      stderrOf += d.toString();
    });
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve({ child, url: m[1]! });
      });
      child.once('exit', (code, signal) =>
        reject(new Error(`hub exited ${code ?? signal}: ${err.slice(-2000)}`)),
      );
    });
  }
  /** What the store holds, for a failure message. */
  async function state(orderId: string): Promise<string> {
    const jobs = await store.db
      .selectFrom('jobs')
      .select(['kind', 'status', 'attempts', 'last_error'])
      .execute();
    const decls = Object.values(await declarations(orderId)).map((d) => `${d.message_type}:${d.status}`);
    return JSON.stringify({ decls, jobs, stderr: stderrOf.slice(-1500) });
  }
  async function until(check: () => Promise<boolean>, what: string, orderId: string): Promise<void> {
    try {
      await waitFor(check, 150_000, what);
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${await state(orderId)}`);
    }
  }
  /** Waits for the hub to die of its crash point; true when it died of SIGKILL. */
  function killedBySigkill(child: ChildProcess): Promise<boolean> {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode === 'SIGKILL');
      else child.once('exit', (_code, signal) => resolve(signal === 'SIGKILL'));
    });
  }
  async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
    const text = body === undefined ? '' : JSON.stringify(body);
    const res = await request(`${hub!.url}${path}`, {
      method,
      ...(body === undefined ? {} : { body: text }),
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...signedHeaders(key, method, path, text),
      },
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }
  const outbox = () =>
    readdirSync(join(transfer, 'outbox'))
      .filter((f) => !f.startsWith('.'))
      .sort();
  const declarations = async (orderId: string) =>
    Object.fromEntries((await declarationsOfOrder(store.db, orderId)).map((d) => [d.message_type, d]));

  it('each message is in the outbox once and each receipt applied once across kill -9; the API shows the history', async () => {
    // (1) Killed right after writing the first message to the outbox, before recording it.
    hub = await startHub('customs.outbox-written');
    const input = { ...order(`SO-CN-KILL-${dialect}`) };
    input.payment = { ...input.payment!, amount: '308.75' }; // the three documents agree
    const posted = await call('POST', '/v1/orders', input);
    expect(posted.status).toBe(202);
    const orderId = posted.body.id as string;
    expect(await killedBySigkill(hub.child)).toBe(true);
    const [first] = outbox();
    expect(outbox()).toHaveLength(1);
    const firstBytes = readFileSync(join(transfer, 'outbox', first!), 'utf8');
    const before = await declarations(orderId);
    const written = Object.values(before).find((d) => first!.startsWith(d.message_type))!;
    expect(written.status).toBe('queued'); // on disk, not recorded: the window the kill hit

    // Restarted (receipts armed to crash): the job comes back once its lease runs out.
    hub = await startHub('customs.receipt-read');
    await until(
      async () =>
        Object.values(await declarations(orderId)).filter((d) => d.status === 'declared').length === 4,
      'the four messages declared after the restart',
      orderId,
    );
    const files = outbox();
    expect(files.map((f) => f.slice(0, 6))).toEqual(['CEB311', 'CEB411', 'CEB511', 'CEB621']);
    // The message the kill interrupted is the same file with the same bytes, not a second one.
    expect(readFileSync(join(transfer, 'outbox', first!), 'utf8')).toBe(firstBytes);
    const ids = new Set<string>();
    for (const f of files) {
      const env = unwrapEnvelope(readFileSync(join(transfer, 'outbox', f), 'utf8'));
      ids.add(env.copMsgId);
      const verdict = await validateCeb(env.message, schemaOf(f.slice(0, 6)));
      expect(verdict.problems, f).toEqual([]);
      expect(verifyCebSignature(env.message, { method: 'rsa-sha1', pem: certPem }), f).toEqual({ ok: true });
    }
    expect(ids.size).toBe(4);
    // Written in .staging/ and renamed in: no temporary file is left where the client reads.
    expect(readdirSync(join(transfer, '.staging'))).toEqual([]);
    for (const d of Object.values(await declarations(orderId)))
      expect(
        (await declarationHistory(store.db, d.id)).filter((h) => h.status === 'declared'),
        d.message_type,
      ).toHaveLength(1);

    // (2) A receipt dropped in the inbox: the hub claims it and is killed before applying it.
    const decl = await declarations(orderId);
    writeFileSync(
      join(transfer, 'inbox', 'CEB312_accepted.xml'),
      receipt('CEB312-accepted.xml', decl.CEB311!.guid, input.externalId),
    );
    expect(await killedBySigkill(hub.child)).toBe(true);
    expect(readdirSync(join(transfer, 'inbox', '.claimed'))).toEqual(['CEB312_accepted.xml']);
    expect((await declarations(orderId)).CEB311!.status).toBe('declared');

    // Restarted for good: the claimed receipt is applied once; a release of the list follows.
    hub = await startHub();
    writeFileSync(
      join(transfer, 'inbox', 'CEB622_released.xml'),
      receipt('CEB622-released.xml', decl.CEB621!.guid, input.externalId),
    );
    await until(
      async () => {
        const now = await declarations(orderId);
        return now.CEB311!.status === 'accepted' && now.CEB621!.status === 'released';
      },
      'the receipts applied after the restart',
      orderId,
    );
    const accepted = await declarationHistory(store.db, decl.CEB311!.id);
    expect(accepted.filter((h) => h.status === 'accepted')).toHaveLength(1);
    expect(readdirSync(join(transfer, 'inbox', '.claimed'))).toEqual([]);
    expect(readdirSync(join(transfer, 'inbox', '.done')).sort()).toEqual([
      'CEB312_accepted.xml',
      'CEB622_released.xml',
    ]);

    // What a user sees through the running hub's API.
    const detail = await call('GET', `/v1/orders/${orderId}`);
    expect(detail.status).toBe(200);
    const shown = (detail.body.customs as { declarations: Array<{ messageType: string; status: string }> })
      .declarations;
    expect(shown.map((d) => `${d.messageType}:${d.status}`).sort()).toEqual([
      'CEB311:accepted',
      'CEB411:declared',
      'CEB511:declared',
      'CEB621:released',
    ]);
    const listed = await call('GET', `/v1/customs/declarations?orderId=${orderId}`);
    expect(listed.status).toBe(200);
    expect((listed.body.data as unknown[]).length).toBe(4);
    const one = await call('GET', `/v1/customs/declarations/${decl.CEB621!.id}`);
    expect(one.status).toBe(200);
    expect((one.body.history as Array<{ status: string }>).map((h) => h.status)).toEqual([
      'queued',
      'declared',
      'accepted', // the CEB622 file carries customs' entry (120) and then the release (800)
      'released',
    ]);
    hub.child.kill('SIGTERM');
    await new Promise((r) => hub!.child.once('exit', r));
    hub = undefined;
  }, 400_000);
});
