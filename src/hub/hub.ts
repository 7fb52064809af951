/**
 * The composition root: opens the store, builds connectors from config, starts the workers and
 * the gateway, and tells push partners where to reach the hub.
 */
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { WaygateError } from '../domain/index.js';
import type { Logger } from 'pino';
import { createHttpClient } from '../connectors/http.js';
import type { CarrierConnector, PlatformConnector } from '../connectors/types.js';
import { buildGateway } from '../gateway/app.js';
import { admissionLimitsOf, authFailureLimitsOf, orderSourcesOf } from './gateway-limits.js';
import {
  ensureOrderPulls,
  ensureCustomsReceipts,
  ensurePollJobs,
  ensureSnapshotSchedule,
  ensureStockPulls,
  kindsOfLane,
  type JobDeps,
} from '../pipeline/jobs/index.js';
import { returnWarehouses } from '../pipeline/jobs/inbound-return.js';
import { thresholdFor } from '../pipeline/inventory-view.js';
import { releasePark, savePark, syncParks, type ReleaseResult } from '../pipeline/policy/parks.js';
import type { PartnerEvents } from '../pipeline/policy/runtime.js';
import { DEFAULT_WORKER_OPTIONS, WorkerPool } from '../pipeline/worker.js';
import { closeDraining, ShutdownSteps } from './shutdown.js';
import { DEFAULT_RATE_CARD_DIR, loadRateCards, type RateCardBook } from '../pipeline/settlement/cards.js';
import { keyFileFor, loadMasterKey, secretBoxFromKey, type SecretBox } from '../security/secret-box.js';
import { purgeExpiredNonces } from '../store/api-keys.js';
import { recordAudit } from '../store/audit.js';
import { purgeSessions } from '../store/users.js';
import { auditNotaryFor } from '../security/audit-checkpoint.js';
import { startAuditMaintenance } from '../security/audit-maintenance.js';
import { CertificateKeyring, partnerSigning, startCertificateExpiryChecks } from '../security/certs/index.js';
import { localFieldCipher } from '../security/field-cipher.js';
import { DEFAULT_DB_URL, openStore, type Store } from '../store/db.js';
import { JobQueue } from '../store/queue.js';
import { KEY_REFRESH_MS } from '../store/data-keys.js';
import { networkPolicyOf, type HubConfig } from './config.js';
import { watchConfig, type ConfigEvent, type ConfigWatcher } from './config-watcher.js';
import { buildPartnerSet, type PartnerSet, type SigningResolver } from './partners.js';
import { startProbes } from '../monitor/probes.js';
import { HubMetrics } from '../monitor/metrics.js';
import { Operations } from '../monitor/operations.js';
import {
  loadOperations,
  OperationsConfigError,
  parseOperations,
  type OperationsFile,
} from '../monitor/ops-config.js';
import { watchParsed } from './config-watcher.js';

/** Ended sessions stay a day for investigations (the audit log keeps the logins for good). */
const SESSION_KEEP_MS = 86_400_000;

export interface HubOptions {
  dbUrl?: string;
  port?: number;
  host?: string;
  config: HubConfig;
  logger: Logger;
  concurrency?: number;
  /** Run workers in this process (default true). */
  workers?: boolean;
  /** Watch this file and apply valid edits without restart (env fills its placeholders). */
  watch?: { file: string; env: NodeJS.ProcessEnv };
  /** Serve HTTPS (TLS 1.2 or newer) with this key and certificate, PEM. */
  tls?: { key: string; cert: string };
  /** The rate-card folder that prices each waybill as it is stored (default config/rate-cards). */
  rateCardDir?: string;
  /** Include Node.js process figures in `/metrics` (default true). */
  processMetrics?: boolean;
  /**
   * Operations (alert rules, notifications, incidents, delays, reports): the operations file,
   * watched and applied live; without one the tier default alert rules run and nobody is told.
   */
  operations?: { file?: string; env?: NodeJS.ProcessEnv; statsBucketMs?: number };
  /** The time inventory rules see (outage clocks, snapshot ages); tests inject one. */
  clock?: () => number;
  /**
   * How long close() waits for requests and jobs in flight (default 10 s, or the config's
   * `workers.closeGraceMs`); a job still running then is left to its lease (see worker.ts).
   */
  closeGraceMs?: number;
  /** How long a worker's lease on a job lasts (default the config's `workers.leaseMs`, else 30 s). */
  leaseMs?: number;
}

export interface Hub {
  url: string;
  store: Store;
  box: SecretBox;
  app: FastifyInstance;
  pool: WorkerPool;
  metrics: HubMetrics;
  operations: Operations;
  partners(): PartnerSet;
  configEvents(): readonly ConfigEvent[];
  /** Releases a parked partner (as `waygate partners release`), here and, via the store, on every node. */
  releasePartner(partnerId: string, actor: string, reason: string, iface?: string): Promise<ReleaseResult>;
  /** Reloads the certificate key ring now rather than at its next refresh (a certificate just registered). */
  refreshCertificates(): Promise<void>;
  close(): Promise<void>;
}

/** How often a node reads parks and releases written by other nodes and by the CLI. */
const PARK_SYNC_MS = 2000;
/** What close() gives requests and jobs in flight unless told otherwise. */
const DEFAULT_CLOSE_GRACE_MS = 10_000;
/** What each step after the drain (operations, partner connections, audit, store) may take. */
const CLOSE_STEP_MS = 2000;

export { keyFileFor };

export async function startHub(opts: HubOptions): Promise<Hub> {
  const store = await openStore(opts.dbUrl ?? DEFAULT_DB_URL, { cipher: localFieldCipher });
  // A start that fails half-way (port taken, bad TLS key, unreadable master key) stops what it
  // had started, newest first, so the process can exit instead of hanging on open handles.
  const started: Array<() => unknown> = [() => store.close()];
  try {
    return await assembleHub(opts, store, started);
  } catch (err) {
    for (const stop of started.reverse())
      await Promise.resolve()
        .then(stop)
        .catch(() => undefined);
    throw err;
  }
}

async function assembleHub(opts: HubOptions, store: Store, started: Array<() => unknown>): Promise<Hub> {
  const dbUrl = opts.dbUrl ?? DEFAULT_DB_URL;
  const log = opts.logger;
  const box = secretBoxFromKey(loadMasterKey(keyFileFor(dbUrl)));
  // Signed audit checkpoints every minute and at close, retention prune daily [003-4.4] [000-15].
  const audit = startAuditMaintenance(store, auditNotaryFor(dbUrl), { logger: log });
  started.push(() => audit.stop());
  const metrics = new HubMetrics({ processMetrics: opts.processMetrics ?? true });
  // Every partner call: addresses judged at connect time, answers bounded, both from the live config.
  const http = createHttpClient({
    observe: metrics.observeHttp,
    network: () => networkPolicyOf(partners.config),
    maxResponseBytes: (id) =>
      partners.config.partners[id]?.maxResponseBytes ?? partners.config.network?.maxResponseBytes,
  });
  started.push(() => http.close());
  // Partner certificates and the hub's signing keys, refreshed so a renewal or revocation applies live.
  const certRing = new CertificateKeyring({ store, box });
  const certRefresh = await certRing.start(log);
  started.push(() => certRefresh.stop());
  const signingFor: SigningResolver = (id, spec) => partnerSigning(certRing, id, spec);
  // A partner asking for more quiet than its policy allows is capped, alerted on and audited;
  // a long park is stored so a restart keeps it and an operator can release it [004-2.2].
  const partnerEvents: PartnerEvents = {
    waitCapped(e) {
      log.error(
        {
          alert: 'partner_wait_capped',
          partner: e.partnerId,
          channel: e.channel,
          askedMs: e.askedMs,
          waitMs: e.waitMs,
        },
        'partner asked to wait longer than its policy allows; wait capped',
      );
      recordAudit(store.db, {
        actor: 'system:partner-policy',
        action: 'partner.wait_capped',
        target: `partner:${e.partnerId}`,
        detail: { channel: e.channel, askedMs: e.askedMs, waitMs: e.waitMs },
        outcome: 'rejected',
      }).catch((err: Error) => log.error({ err: err.message }, 'could not audit a capped partner wait'));
    },
    parked(e) {
      log.warn({ partner: e.partnerId, state: e.state, reason: e.reason }, 'partner parked');
      savePark(store.db, e).catch((err: Error) =>
        log.error({ err: err.message }, 'could not store a partner park'),
      );
    },
  };
  let partners = buildPartnerSet(opts.config, http, undefined, signingFor, partnerEvents);
  // Parks stored before a restart (or by another node) apply before any job runs.
  const releasesSeen = new Map<string, number>();
  await syncParks(store.db, partners.carriers(), releasesSeen);
  const current = () => partners;
  const queue = new JobQueue(store);
  // Every job kind, its handler and its lane are declared in pipeline/jobs/ (the job registry).
  const rateCards = openRateCards(opts.rateCardDir, log);
  const jobDeps: JobDeps = {
    store,
    queue,
    partners: current,
    rateCards: () => rateCards,
    certificates: certRing,
    ...(opts.clock ? { clock: opts.clock } : {}),
  };
  // Two lanes [004-2]: inbound transformations and outbound partner calls never wait on each
  // other; within the outbound lane, each partner's own concurrency limit isolates partners.
  const opsFile = opts.operations?.file;
  const operations = new Operations({
    store,
    log,
    file: opsFile ? loadOperations(opsFile, opts.operations?.env ?? process.env) : {},
    ...(opts.operations?.statsBucketMs ? { statsBucketMs: opts.operations.statsBucketMs } : {}),
    sources: {
      partners: () => [...partners.carriers()].map((r) => r.view()),
      alerting: () =>
        [...partners.carriers()].map((r) => ({
          id: r.id,
          tier: r.policy.tier,
          kind: 'carrier',
          alerts: r.policy.alerts,
        })),
      queueStats: () => queue.stats(),
    },
  });
  operations.reports.setTiers(() =>
    Object.fromEntries([...partners.carriers()].map((r) => [r.id, r.policy.tier])),
  );
  operations.registerMetrics(metrics);
  // Metrics and the statistics alerts and reports read see every job's fate; both are O(1).
  const observe = (o: Parameters<typeof metrics.observeJob>[0]) => {
    metrics.observeJob(o);
    operations.stats.observe(o);
  };
  const leaseMs = opts.leaseMs ?? opts.config.workers?.leaseMs;
  const lease = leaseMs ? { leaseMs } : {};
  const inboundPool = new WorkerPool('inbound', jobDeps, log, { concurrency: 16, observe, ...lease });
  const pool = new WorkerPool('outbound', jobDeps, log, {
    concurrency: opts.concurrency ?? opts.config.workers?.concurrency ?? 96,
    observe,
    ...lease,
  });
  metrics.setSources({
    queueStats: () => queue.stats(),
    partners: () => [...partners.carriers()].map((r) => r.view()),
  });
  let probes = startProbes(partners, log);
  started.push(() => probes.stop());
  let watcher: ConfigWatcher | undefined;
  if (opts.watch) {
    watcher = watchConfig(
      opts.watch.file,
      opts.watch.env,
      (config) => {
        // Built completely before the swap: in-flight work finishes on the old set, new work
        // takes the new one; channel health carries over.
        const next = buildPartnerSet(config, http, partners, signingFor, partnerEvents);
        partners = next;
        probes.stop();
        probes = startProbes(next, log);
      },
      (event) => {
        if (event.outcome === 'applied') log.info(event, 'partner policy reloaded');
        else log.error(event, 'partner policy rejected; the last good policy stays in force');
        recordAudit(store.db, {
          actor: 'system:config-watcher',
          action: 'config.reload',
          target: event.file,
          detail: { message: event.message },
          outcome: event.outcome === 'applied' ? 'ok' : 'rejected',
        }).catch((err: Error) => log.error({ err: err.message }, 'could not audit a policy reload'));
      },
    );
  }
  const outboundKinds = kindsOfLane('outbound').map((k) => k.name);
  /** An operator's release of a parked carrier: stored (every node follows), applied here at once. */
  const releasePartner = async (
    partnerId: string,
    actor: string,
    reason: string,
    iface = 'hub',
  ): Promise<ReleaseResult> => {
    const runtime = partners.carrier(partnerId) ?? partners.platformRuntime(partnerId);
    if (!runtime)
      throw new WaygateError('partner_not_found', `no carrier or sales platform ${partnerId} is configured`);
    const result = await releasePark(store, partnerId, {
      actor,
      reason,
      kinds: outboundKinds,
      interface: iface,
    });
    runtime.release();
    pool.notify();
    return result;
  };
  started.push(() => watcher?.close());
  const opsEnv = opts.operations?.env ?? process.env;
  const opsWatcher = opsFile
    ? watchParsed<OperationsFile>(
        opsFile,
        (text) => parseOperations(text, opsFile, opsEnv),
        (err) => err instanceof OperationsConfigError,
        (file) => operations.setFile(file),
        (event) => {
          if (event.outcome === 'applied') log.info(event, 'operations file reloaded');
          else log.error(event, 'operations file rejected; the last good one stays in force');
          recordAudit(store.db, {
            actor: 'system:config-watcher',
            action: 'config.reload',
            target: event.file,
            detail: { message: event.message },
            outcome: event.outcome === 'applied' ? 'ok' : 'rejected',
          }).catch((err: Error) => log.error({ err: err.message }, 'could not audit an operations reload'));
        },
      )
    : undefined;
  started.push(() => opsWatcher?.close());
  started.push(() => operations.stop());
  let workersRunning = false;
  const app = await buildGateway({
    store,
    box,
    carriers: { get: (id: string): CarrierConnector | undefined => partners.carrier(id)?.primary },
    platforms: { get: (id: string): PlatformConnector | undefined => partners.platform(id) },
    warehouses: { get: (id: string) => partners.warehouse(id) },
    returnWarehouses: () => returnWarehouses(partners),
    inventory: {
      outageThresholdMs: (id: string) => thresholdFor(partners.inventory(), id),
      ...(opts.clock ? { clock: opts.clock } : {}),
    },
    partnerHealth: () => [...partners.carriers(), ...partners.platformRuntimes()].map((r) => r.view()),
    releasePartner: (id, actor, reason, iface) => releasePartner(id, actor, reason, iface),
    configEvents: () => watcher?.events() ?? [],
    admission: () => admissionLimitsOf(partners.config),
    authFailures: () => authFailureLimitsOf(partners.config),
    orderSources: () => orderSourcesOf(partners.config),
    backlog: () => queue.backlog(),
    metrics,
    metricsAllow: () => partners.config.metrics?.allow ?? [],
    operations,
    operationsEvents: () => opsWatcher?.events() ?? [],
    notifyWork: () => {
      inboundPool.notify();
      pool.notify();
    },
    isReady: async () => {
      await queue.probe();
      return workersRunning || opts.workers === false;
    },
    logger: log,
    ...(opts.tls ? { tls: opts.tls } : {}),
  });
  started.push(() => app.close());
  const address = await app.listen({ port: opts.port ?? 8080, host: opts.host ?? '127.0.0.1' });
  const url = address.replace('[::1]', '127.0.0.1');
  const publicUrl = opts.config.hub?.publicUrl ?? url;

  // Push partners learn where to reach us before any shipment exists, so no event is pushed nowhere.
  await subscribePartners(partners, publicUrl, log);
  await ensurePollJobs(jobDeps);
  await ensureStockPulls(jobDeps);
  await ensureOrderPulls(jobDeps);
  await ensureCustomsReceipts(jobDeps);
  await ensureSnapshotSchedule(jobDeps);
  if (opts.workers !== false) {
    inboundPool.start();
    pool.start();
    workersRunning = true;
  }
  operations.start();

  const purge = setInterval(() => {
    purgeExpiredNonces(store.db).catch((err: Error) => log.warn({ err: err.message }, 'nonce purge failed'));
    purgeSessions(store.db, Date.now() - SESSION_KEEP_MS).catch((err: Error) =>
      log.warn({ err: err.message }, 'session purge failed'),
    );
  }, 60_000);
  purge.unref();
  // A data key added by `waygate keys rotate` (another process) is used for new writes here
  // within one refresh; the rotation waits for that before re-sealing old rows.
  const keyRefresh = setInterval(() => {
    store.keys.refresh().catch((err: Error) => log.warn({ err: err.message }, 'data key refresh failed'));
  }, KEY_REFRESH_MS);
  keyRefresh.unref();
  // Certificates ending within 30 days: a warning and a `cert.expiring` audit entry, once a day [003-7.2].
  const certExpiry = startCertificateExpiryChecks({ store, log });
  const parkSync = setInterval(() => {
    syncParks(store.db, partners.carriers(), releasesSeen)
      .then((released) => {
        if (released.length > 0) {
          log.info({ partners: released }, 'parked partners released');
          pool.notify();
        }
      })
      .catch((err: Error) => log.warn({ err: err.message }, 'partner park sync failed'));
  }, PARK_SYNC_MS);
  parkSync.unref();

  log.info(
    {
      url,
      db: store.dialect,
      carriers: [...partners.carriers()].map((c) => c.id),
      platforms: [...partners.platforms().keys()],
    },
    'hub listening',
  );
  let closed: Promise<void> | undefined;
  return {
    url,
    store,
    box,
    app,
    pool,
    metrics,
    operations,
    partners: current,
    configEvents: () => watcher?.events() ?? [],
    releasePartner,
    refreshCertificates: () => certRing.refresh(),
    close() {
      // Closing twice (a test's peer node closed early, then with its harness) closes once.
      closed ??= (async () => {
        clearInterval(parkSync);
        clearInterval(purge);
        clearInterval(keyRefresh);
        certExpiry.stop();
        certRefresh.stop();
        watcher?.close();
        opsWatcher?.close();
        probes.stop();
        const graceMs = opts.closeGraceMs ?? opts.config.workers?.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
        const steps = new ShutdownSteps(log);
        // Requests and jobs drain together within the grace period; what is still running then
        // is cut off (connections) or left to its lease (jobs), never waited for without end.
        const [, [inbound, outbound]] = await Promise.all([
          steps.run(
            'gateway',
            graceMs,
            () => closeDraining(app.server, () => app.close()),
            () => app.server.closeAllConnections(),
          ),
          Promise.all([inboundPool.stop(graceMs), pool.stop(graceMs)]),
        ]);
        const leftRunning = inbound.leftRunning + outbound.leftRunning;
        if (leftRunning > 0)
          log.warn(
            { jobs: leftRunning, leaseMs: leaseMs ?? DEFAULT_WORKER_OPTIONS.leaseMs },
            'jobs still running at shutdown left to their leases; any node runs them again when a lease runs out',
          );
        await steps.run('operations', CLOSE_STEP_MS, () => operations.stop());
        // Partner calls of jobs left running are aborted rather than waited for (their leases hold them).
        await steps.run(
          'partner connections',
          CLOSE_STEP_MS,
          () => (leftRunning > 0 ? http.destroy() : http.close()),
          () => http.destroy(),
        );
        await steps.run('audit', CLOSE_STEP_MS, () => audit.stop());
        await steps.run('store', CLOSE_STEP_MS, () => store.close());
        log.info({ ms: steps.durations, jobsLeftRunning: leftRunning }, 'hub closed');
      })();
      return closed;
    },
  };
}

/** Tells push partners where to send orders and tracking; a partner that is down is retried. */
async function subscribePartners(partners: PartnerSet, publicUrl: string, log: Logger): Promise<void> {
  const tasks: Array<{ id: string; run: () => Promise<void> }> = [];
  const subscribes = (id: string) => partners.config.partners[id]?.subscribe !== false;
  for (const runtime of partners.carriers()) {
    const c = runtime.primary;
    if (c.registerTrackingWebhook && subscribes(runtime.id)) {
      const register = c.registerTrackingWebhook.bind(c);
      tasks.push({ id: runtime.id, run: () => register(`${publicUrl}/v1/callbacks/${runtime.id}/tracking`) });
    }
  }
  for (const [id, p] of partners.platforms()) {
    if (p.subscribeOrderWebhook && subscribes(id)) {
      const subscribe = p.subscribeOrderWebhook.bind(p);
      tasks.push({ id, run: () => subscribe(`${publicUrl}/v1/webhooks/${id}/orders`) });
    }
    if (p.subscribeReturnWebhook && subscribes(id)) {
      const subscribeReturns = p.subscribeReturnWebhook.bind(p);
      tasks.push({ id, run: () => subscribeReturns(`${publicUrl}/v1/webhooks/${id}/returns`) });
    }
  }
  for (const [id, w] of partners.warehouses()) {
    if (w.subscribeStockEvents && subscribes(id)) {
      const subscribe = w.subscribeStockEvents.bind(w);
      tasks.push({ id, run: () => subscribe(`${publicUrl}/v1/webhooks/${id}/stock`) });
    }
  }
  for (const task of tasks) {
    for (let attempt = 1; ; attempt++) {
      try {
        await task.run();
        break;
      } catch (err) {
        if (attempt >= 5) {
          log.error(
            { partner: task.id, err: (err as Error).message },
            'could not register webhook with partner',
          );
          break;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }
}

/**
 * The rate cards that price waybills as they are stored. No folder: the hub runs without
 * expected charges (bills are priced when reconciled); a bad card is logged with every issue
 * and pricing stays off rather than pricing with half a book.
 */
function openRateCards(dir: string | undefined, log: Logger): RateCardBook | undefined {
  const path = dir ?? DEFAULT_RATE_CARD_DIR;
  if (!existsSync(path)) return undefined;
  try {
    return loadRateCards(path);
  } catch (err) {
    log.error({ dir: path, err: (err as Error).message }, 'rate cards not loaded: waybills are not priced');
    return undefined;
  }
}
