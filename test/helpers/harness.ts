/**
 * A hub and a sandbox on loopback for integration tests: the hub runs in-process against a
 * policy file in a temp folder (watched, so tests can edit it live), the sandbox serves the
 * partners with fault knobs, and orders are posted over real HTTP with signed requests.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { parse, stringify } from 'yaml';
import { startHub, type Hub } from '../../src/hub/hub.js';
import { createLogger } from '../../src/hub/logger.js';
import type { Logger } from 'pino';
import { loadHubConfig } from '../../src/hub/config.js';
import { sandboxEnv } from '../../src/hub/sandbox-config.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/server.js';
import { signedHeaders } from '../../src/gateway/signature.js';
import { createApiKey, type CreatedKey } from '../../src/store/api-keys.js';
import { ALL_SCOPES } from './gateway.js';
import type { DialectName } from '../../src/store/db.js';
import type { OrderInput } from '../../src/domain/index.js';
import { createTestDbUrl } from './stores.js';
import { orderFixture } from './fixtures.js';

type PolicyDoc = Record<string, unknown> & { partners: Record<string, Record<string, unknown>> };

export interface Harness {
  hub: Hub;
  sandbox: SandboxHandle;
  /** The store's URL (a test may open it itself, e.g. after the hub closed). */
  dbUrl: string;
  policyFile: string;
  key: CreatedKey;
  /** Rewrites the watched policy file (the hub reloads it without restart). */
  editPolicy(edit: (doc: PolicyDoc) => void): void;
  writePolicyText(text: string): void;
  postOrder(
    order: OrderInput,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }>;
  usOrders(n: number, prefix?: string): OrderInput[];
  faults(body: Record<string, unknown> | null): Promise<void>;
  stats(): Promise<{
    carriers: Record<string, { channels: Record<string, Record<string, number>> } & Record<string, unknown>>;
  }>;
  waybillCount(): Promise<number>;
  /**
   * Starts another full hub node on the same store, policy file and operations file (a second
   * process of a deployment, in this one); closed by close() unless closed before.
   */
  peer(): Promise<Hub>;
  close(): Promise<void>;
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (process.env.HARNESS_TRACE) process.stderr.write(`waiting for ${what}\n`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** With HARNESS_TRACE set, each close step's duration goes to stderr (a slow or hung step shows). */
async function traced(step: string, run: () => Promise<void>): Promise<void> {
  if (!process.env.HARNESS_TRACE) return run();
  const started = performance.now();
  const slow = setInterval(
    () =>
      process.stderr.write(
        `harness close: ${step} still running after ${Math.round(performance.now() - started)} ms\n`,
      ),
    5000,
  );
  try {
    await run();
  } finally {
    clearInterval(slow);
    process.stderr.write(`harness close: ${step} ${Math.round(performance.now() - started)} ms\n`);
  }
}

/** Silent, or with HARNESS_TRACE the hub's shutdown lines (step durations, steps cut off). */
function traceLogger(): Logger {
  if (!process.env.HARNESS_TRACE) return createLogger('silent');
  return createLogger('info', {
    write(line: string) {
      if (/"msg":"(hub closed|shutdown step|jobs still running|job left to its lease)/.test(line))
        process.stderr.write(line);
    },
  });
}

export async function startHarness(
  opts: {
    dialect?: DialectName;
    edit?: (doc: PolicyDoc) => void;
    concurrency?: number;
    logger?: Logger;
    /** Operations file and statistics bucket (issue 15). */
    operations?: { file?: string; env?: NodeJS.ProcessEnv; statsBucketMs?: number };
    /** Extra environment for the policy file's placeholders. */
    env?: Record<string, string>;
    /** Time between a sandbox parcel's tracking steps (default a minute: parcels stay in transit). */
    stepMs?: number;
    /** The clock the hub's inventory rules see (outage thresholds without real waits). */
    clock?: () => number;
    /** What the hub's close() gives requests and jobs in flight (HubOptions.closeGraceMs). */
    closeGraceMs?: number;
    /** The workers' lease on a job (HubOptions.leaseMs), for peers too. */
    leaseMs?: number;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'waygate-harness-'));
  const policyFile = join(dir, 'partners.yaml');
  const base = parse(
    readFileSync(new URL('../fixtures/policies/reliability.yaml', import.meta.url), 'utf8'),
  ) as PolicyDoc;
  opts.edit?.(base);
  writeFileSync(policyFile, stringify(base));
  const { url: dbUrl, drop } = await createTestDbUrl(opts.dialect ?? 'sqlite');
  const sandbox = await startSandbox({ port: 0, stepMs: opts.stepMs ?? 60_000 });
  const env = { ...process.env, ...sandboxEnv(sandbox.url, sandbox.credentials), ...opts.env };
  const logger = opts.logger ?? traceLogger();
  const shutdown = {
    ...(opts.closeGraceMs !== undefined ? { closeGraceMs: opts.closeGraceMs } : {}),
    ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
  };
  const hub = await startHub({
    dbUrl,
    port: 0,
    config: loadHubConfig(policyFile, env),
    logger,
    watch: { file: policyFile, env },
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.operations ? { operations: { env, ...opts.operations } } : {}),
    ...shutdown,
  });
  const key = await createApiKey(hub.store.db, hub.box, { ...ALL_SCOPES, name: 'harness' });
  const sandboxCall = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => {
    const res = await request(`${sandbox.url}${path}`, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`sandbox ${method} ${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text) as unknown;
  };
  let current = structuredClone(base);
  const peers: Hub[] = [];
  return {
    hub,
    sandbox,
    dbUrl,
    policyFile,
    key,
    editPolicy(edit) {
      current = structuredClone(current);
      edit(current);
      writeFileSync(policyFile, stringify(current));
    },
    writePolicyText(text) {
      writeFileSync(policyFile, text);
    },
    async postOrder(order) {
      const body = JSON.stringify(order);
      const res = await request(`${hub.url}/v1/orders`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...signedHeaders(key, 'POST', '/v1/orders', body) },
      });
      return {
        status: res.statusCode,
        body: (await res.body.json()) as Record<string, unknown>,
        headers: res.headers,
      };
    },
    usOrders(n, prefix = randomUUID().slice(0, 8)) {
      return Array.from({ length: n }, (_, i) => orderFixture({ externalId: `${prefix}-${i}` }));
    },
    async faults(body) {
      await sandboxCall(body ? 'POST' : 'DELETE', '/__faults', body ?? undefined);
    },
    stats: () => sandboxCall('GET', '/__stats') as ReturnType<Harness['stats']>,
    async waybillCount() {
      const r = await hub.store.db
        .selectFrom('shipments')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    },
    async peer() {
      const node = await startHub({
        dbUrl,
        port: 0,
        config: loadHubConfig(policyFile, env),
        logger,
        watch: { file: policyFile, env },
        ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
        ...(opts.operations ? { operations: { env, ...opts.operations } } : {}),
        ...shutdown,
      });
      peers.push(node);
      return node;
    },
    async close() {
      // Every step runs even when one before it failed (a database left behind fills the test
      // server); the first failure is reported once all ran.
      const failures: unknown[] = [];
      const step = (name: string, run: () => Promise<void>) =>
        traced(name, run).catch((err: unknown) => void failures.push(err));
      await step('peers', async () => {
        for (const p of peers.splice(0)) await p.close().catch(() => undefined);
      });
      await step('hub', () => hub.close());
      await step('sandbox', () => sandbox.close());
      await step('drop', drop);
      rmSync(dir, { recursive: true, force: true });
      if (failures.length > 0) throw failures[0];
    },
  };
}
