/**
 * The composition root: opens the store, builds connectors from config, starts the workers and
 * the gateway, and tells push partners where to reach the hub.
 */
import { join, dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpClient, type HttpClient } from '../connectors/http.js';
import { CARRIER_CONNECTORS, PLATFORM_CONNECTORS } from '../connectors/registry.js';
import type { CarrierConnector, PlatformConnector } from '../connectors/types.js';
import { buildGateway } from '../gateway/app.js';
import { ensurePollJobs, TRACKING_POLL, trackingPollHandler } from '../pipeline/polling.js';
import { SHIPMENT_CREATE } from '../pipeline/accept-order.js';
import { shipmentCreateHandler } from '../pipeline/shipments.js';
import { WorkerPool } from '../pipeline/worker.js';
import { loadMasterKey, secretBoxFromKey, type SecretBox } from '../security/secret-box.js';
import { purgeExpiredNonces } from '../store/api-keys.js';
import { DEFAULT_DB_URL, openStore, type Store } from '../store/db.js';
import { JobQueue } from '../store/queue.js';
import { ConfigError, type HubConfig } from './config.js';

export interface HubOptions {
  dbUrl?: string;
  port?: number;
  host?: string;
  config: HubConfig;
  logger: Logger;
  concurrency?: number;
  /** Run workers in this process (default true). */
  workers?: boolean;
}

export interface Hub {
  url: string;
  store: Store;
  box: SecretBox;
  app: FastifyInstance;
  pool: WorkerPool;
  close(): Promise<void>;
}

export function keyFileFor(dbUrl: string): string {
  if (dbUrl.startsWith('sqlite:') && !dbUrl.startsWith('sqlite::memory:')) {
    const path = dbUrl.slice('sqlite:'.length).split('?')[0] ?? '';
    return join(dirname(resolve(path)), 'master.key');
  }
  return resolve('data', 'master.key');
}

export function buildConnectors(config: HubConfig, http: HttpClient) {
  const carriers = new Map<string, CarrierConnector>();
  const platforms = new Map<string, PlatformConnector>();
  for (const [id, p] of Object.entries(config.partners)) {
    const connectorId = p.connector ?? id;
    const endpoint = {
      partnerId: id,
      baseUrl: p.baseUrl,
      credentials: p.credentials,
      ...(p.timeoutMs ? { timeoutMs: p.timeoutMs } : {}),
    };
    if (p.kind === 'carrier') {
      const factory = CARRIER_CONNECTORS[connectorId];
      if (!factory) throw new ConfigError(`partner ${id}: no carrier connector named ${connectorId}`);
      carriers.set(id, factory(endpoint, http));
    } else {
      const factory = PLATFORM_CONNECTORS[connectorId];
      if (!factory) throw new ConfigError(`partner ${id}: no platform connector named ${connectorId}`);
      platforms.set(id, factory(endpoint, http));
    }
  }
  return { carriers, platforms };
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const dbUrl = opts.dbUrl ?? DEFAULT_DB_URL;
  const log = opts.logger;
  const store = await openStore(dbUrl);
  const box = secretBoxFromKey(loadMasterKey(keyFileFor(dbUrl)));
  const http = createHttpClient();
  const { carriers, platforms } = buildConnectors(opts.config, http);
  const queue = new JobQueue(store);
  const config = opts.config;
  const pollingDeps = {
    store,
    queue,
    carriers,
    pollIntervalMs: () => config.tracking?.pollIntervalMs ?? 5000,
  };
  const pool = new WorkerPool(
    queue,
    {
      [SHIPMENT_CREATE]: shipmentCreateHandler({ store, queue, carriers, routing: () => config.routing }),
      [TRACKING_POLL]: trackingPollHandler(pollingDeps),
    },
    log,
    { concurrency: opts.concurrency ?? config.workers?.concurrency ?? 32 },
  );
  let workersRunning = false;
  const app = await buildGateway({
    store,
    box,
    carriers,
    platforms,
    notifyWork: () => pool.notify(),
    isReady: async () => {
      await store.db.selectFrom('jobs').select('id').limit(1).execute();
      return workersRunning || opts.workers === false;
    },
    logger: log,
  });
  const address = await app.listen({ port: opts.port ?? 8080, host: opts.host ?? '127.0.0.1' });
  const url = address.replace('[::1]', '127.0.0.1');
  const publicUrl = config.hub?.publicUrl ?? url;

  // Push partners learn where to reach us before any shipment exists, so no event is pushed nowhere.
  await subscribePartners(carriers, platforms, publicUrl, log);
  await ensurePollJobs(pollingDeps);
  if (opts.workers !== false) {
    pool.start();
    workersRunning = true;
  }

  const purge = setInterval(() => {
    purgeExpiredNonces(store.db).catch((err: Error) => log.warn({ err: err.message }, 'nonce purge failed'));
  }, 60_000);
  purge.unref();

  log.info(
    { url, db: store.dialect, carriers: [...carriers.keys()], platforms: [...platforms.keys()] },
    'hub listening',
  );
  return {
    url,
    store,
    box,
    app,
    pool,
    async close() {
      clearInterval(purge);
      await app.close();
      await pool.stop();
      await http.close();
      await store.close();
    },
  };
}

/** Tells push partners where to send orders and tracking; a partner that is down is retried. */
async function subscribePartners(
  carriers: ReadonlyMap<string, CarrierConnector>,
  platforms: ReadonlyMap<string, PlatformConnector>,
  publicUrl: string,
  log: Logger,
): Promise<void> {
  const tasks: Array<{ id: string; run: () => Promise<void> }> = [];
  for (const [id, c] of carriers) {
    if (c.registerTrackingWebhook) {
      const register = c.registerTrackingWebhook.bind(c);
      tasks.push({ id, run: () => register(`${publicUrl}/v1/callbacks/${id}/tracking`) });
    }
  }
  for (const [id, p] of platforms) {
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
