/**
 * The composition root: opens the store, builds connectors from config, starts the workers and
 * the gateway, and tells push partners where to reach the hub.
 */
import { join, dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpClient } from '../connectors/http.js';
import type { CarrierConnector, PlatformConnector } from '../connectors/types.js';
import { buildGateway } from '../gateway/app.js';
import { DEFAULT_ADMISSION } from '../gateway/admission.js';
import { ensurePollJobs, TRACKING_POLL, trackingPollHandler } from '../pipeline/polling.js';
import { SHIPMENT_CREATE } from '../pipeline/accept-order.js';
import { shipmentCreateHandler } from '../pipeline/shipments.js';
import {
  INBOUND_KINDS,
  INBOUND_ORDER,
  INBOUND_TRACKING,
  inboundOrderHandler,
  inboundTrackingHandler,
} from '../pipeline/inbound.js';
import { WorkerPool } from '../pipeline/worker.js';
import { loadMasterKey, secretBoxFromKey, type SecretBox } from '../security/secret-box.js';
import { purgeExpiredNonces } from '../store/api-keys.js';
import { recordAudit } from '../store/audit.js';
import { DEFAULT_DB_URL, openStore, type Store } from '../store/db.js';
import { JobQueue } from '../store/queue.js';
import type { HubConfig } from './config.js';
import { watchConfig, type ConfigEvent, type ConfigWatcher } from './config-watcher.js';
import { buildPartnerSet, type PartnerSet } from './partners.js';
import { startProbes } from '../monitor/probes.js';

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
}

export interface Hub {
  url: string;
  store: Store;
  box: SecretBox;
  app: FastifyInstance;
  pool: WorkerPool;
  partners(): PartnerSet;
  configEvents(): readonly ConfigEvent[];
  close(): Promise<void>;
}

export function keyFileFor(dbUrl: string): string {
  if (dbUrl.startsWith('sqlite:') && !dbUrl.startsWith('sqlite::memory:')) {
    const path = dbUrl.slice('sqlite:'.length).split('?')[0] ?? '';
    return join(dirname(resolve(path)), 'master.key');
  }
  return resolve('data', 'master.key');
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const dbUrl = opts.dbUrl ?? DEFAULT_DB_URL;
  const log = opts.logger;
  const store = await openStore(dbUrl);
  const box = secretBoxFromKey(loadMasterKey(keyFileFor(dbUrl)));
  const http = createHttpClient();
  let partners = buildPartnerSet(opts.config, http);
  const current = () => partners;
  const queue = new JobQueue(store);
  const pollingDeps = { store, queue, partners: current };
  // Two lanes [004-2]: inbound transformations and outbound partner calls never wait on each
  // other; within the outbound lane, each partner's own concurrency limit isolates partners.
  const inboundDeps = { store, queue, partners: current };
  const inboundPool = new WorkerPool(
    queue,
    {
      [INBOUND_ORDER]: inboundOrderHandler(inboundDeps),
      [INBOUND_TRACKING]: inboundTrackingHandler(inboundDeps),
    },
    log,
    { concurrency: 16, kinds: INBOUND_KINDS },
  );
  const pool = new WorkerPool(
    queue,
    {
      [SHIPMENT_CREATE]: shipmentCreateHandler({ store, queue, partners: current }),
      [TRACKING_POLL]: trackingPollHandler(pollingDeps),
    },
    log,
    {
      concurrency: opts.concurrency ?? opts.config.workers?.concurrency ?? 96,
      kinds: [SHIPMENT_CREATE, TRACKING_POLL],
    },
  );
  let probes = startProbes(partners, log);
  let watcher: ConfigWatcher | undefined;
  if (opts.watch) {
    watcher = watchConfig(
      opts.watch.file,
      opts.watch.env,
      (config) => {
        // Built completely before the swap: in-flight work finishes on the old set, new work
        // takes the new one; channel health carries over.
        const next = buildPartnerSet(config, http, partners);
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
  let workersRunning = false;
  const app = await buildGateway({
    store,
    box,
    carriers: { get: (id: string): CarrierConnector | undefined => partners.carrier(id)?.primary },
    platforms: { get: (id: string): PlatformConnector | undefined => partners.platform(id) },
    partnerHealth: () => [...partners.carriers()].map((r) => r.view()),
    configEvents: () => watcher?.events() ?? [],
    admission: () => ({ ...DEFAULT_ADMISSION, ...partners.config.gateway }),
    backlog: async () => {
      const row = await store.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['ready', 'leased'])
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    notifyWork: () => {
      inboundPool.notify();
      pool.notify();
    },
    isReady: async () => {
      await store.db.selectFrom('jobs').select('id').limit(1).execute();
      return workersRunning || opts.workers === false;
    },
    logger: log,
  });
  const address = await app.listen({ port: opts.port ?? 8080, host: opts.host ?? '127.0.0.1' });
  const url = address.replace('[::1]', '127.0.0.1');
  const publicUrl = opts.config.hub?.publicUrl ?? url;

  // Push partners learn where to reach us before any shipment exists, so no event is pushed nowhere.
  await subscribePartners(partners, publicUrl, log);
  await ensurePollJobs(pollingDeps);
  if (opts.workers !== false) {
    inboundPool.start();
    pool.start();
    workersRunning = true;
  }

  const purge = setInterval(() => {
    purgeExpiredNonces(store.db).catch((err: Error) => log.warn({ err: err.message }, 'nonce purge failed'));
  }, 60_000);
  purge.unref();

  log.info(
    {
      url,
      db: store.dialect,
      carriers: [...partners.carriers()].map((c) => c.id),
      platforms: [...partners.platforms().keys()],
    },
    'hub listening',
  );
  return {
    url,
    store,
    box,
    app,
    pool,
    partners: current,
    configEvents: () => watcher?.events() ?? [],
    async close() {
      clearInterval(purge);
      watcher?.close();
      probes.stop();
      await app.close();
      await Promise.all([inboundPool.stop(), pool.stop()]);
      await http.close();
      await store.close();
    },
  };
}

/** Tells push partners where to send orders and tracking; a partner that is down is retried. */
async function subscribePartners(partners: PartnerSet, publicUrl: string, log: Logger): Promise<void> {
  const tasks: Array<{ id: string; run: () => Promise<void> }> = [];
  for (const runtime of partners.carriers()) {
    const c = runtime.primary;
    if (c.registerTrackingWebhook) {
      const register = c.registerTrackingWebhook.bind(c);
      tasks.push({ id: runtime.id, run: () => register(`${publicUrl}/v1/callbacks/${runtime.id}/tracking`) });
    }
  }
  for (const [id, p] of partners.platforms()) {
    if (p.subscribeOrderWebhook) {
      const subscribe = p.subscribeOrderWebhook.bind(p);
      tasks.push({ id, run: () => subscribe(`${publicUrl}/v1/webhooks/${id}/orders`) });
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
