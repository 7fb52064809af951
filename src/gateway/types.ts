/**
 * The gateway's types: what `buildGateway` is given (`GatewayDeps`, here rather than in app.ts
 * so the routes need not import the module that imports them) and what it adds to Fastify's.
 */
import 'fastify';
import type { Logger } from 'pino';
import type { CarrierConnector, PlatformConnector, WarehouseConnector } from '../connectors/types.js';
import type { AccountService } from '../security/accounts.js';
import type { AuthAttempt, AuthFailureLimits } from '../security/auth-failures.js';
import type { Caller, Permission } from '../security/permissions.js';
import type { SecretBox } from '../security/secret-box.js';
import type { Store } from '../store/db.js';
import type { RateCardBook } from '../pipeline/settlement/cards.js';
import type { FxSource } from '../pipeline/settlement/fx.js';
import type { ViewOptions } from '../pipeline/inventory-view.js';
import type { AdmissionLimits, AdmissionView } from './admission.js';
import type { HubMetrics } from '../monitor/metrics.js';
import type { Operations } from '../monitor/operations.js';
import type { NonceClaim, SessionResolver } from './auth.js';

export interface OrderSources {
  known: readonly string[];
  allowAdHoc: boolean;
}

export interface GatewayDeps {
  store: Store;
  box: SecretBox;
  /** Connectors that verify partner pushes, looked up live (the set changes on policy reload). */
  carriers: { get(id: string): CarrierConnector | undefined };
  platforms: { get(id: string): PlatformConnector | undefined };
  /** Warehouses that take returns, the default first (absent: none). */
  returnWarehouses?: () => string[];
  /** Warehouses that push stock changes (absent: no warehouse partner). */
  warehouses?: { get(id: string): WarehouseConnector | undefined };
  /** Channel health per carrier, for `GET /v1/partners`. */
  partnerHealth?: () => unknown[];
  /**
   * Releases a parked partner (`POST /v1/partners/{id}/release`): its 429 gates and suspension
   * end on every node, its deferred jobs are due now, audited as `partner.released`.
   */
  releasePartner?: (
    partnerId: string,
    actor: string,
    reason: string,
    iface: string,
  ) => Promise<{ partnerId: string; wasParked: boolean; jobsReleased: number }>;
  /** Policy reloads applied and rejected, for `GET /v1/partners/config-events`. */
  configEvents?: () => readonly unknown[];
  /** Wakes the local workers after work was enqueued. */
  notifyWork: () => void;
  /** Ready means the store answers and the workers run. */
  isReady: () => Promise<boolean>;
  logger?: Logger | false;
  bodyLimitBytes?: number;
  /** People's accounts and sessions; one is made on the store when not given. */
  accounts?: AccountService;
  /** Resolves `Authorization: Bearer` session tokens; default: the accounts' sessions. */
  sessions?: SessionResolver;
  /** TLS key and certificate (PEM); without them the gateway speaks plain HTTP (loopback, tests). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Requests per minute: for a key without its own limit, for each partner's pushes, and for
   * unauthenticated callers per address.
   */
  defaultRatePerMinute?: { key: number; partner: number; anonymous: number };
  /** Trust X-Forwarded-For from these proxies (addresses/CIDRs) when checking allow-lists. */
  trustProxy?: string[];
  /** Sees every route as registered, with its auth mode and permission (the API inventory). */
  onRoute?: (route: { method: string; url: string; auth?: string; permission?: string }) => void;
  /** Admission limits (read per request, so a policy reload changes them live). */
  admission?: () => AdmissionLimits;
  /** Jobs waiting in the queue, for the backlog bound. */
  backlog?: () => Promise<number>;
  /** Failed-authentication limits and spike threshold (read per request; defaults fill the rest). */
  authFailures?: () => Partial<AuthFailureLimits>;
  /**
   * The order sources the hub knows (its platform partners and `orders.sources`), read per
   * request so a policy reload applies; `allowAdHoc` accepts any source. Absent: any source.
   */
  orderSources?: () => OrderSources;
  /** Milliseconds since the epoch, for the failed-authentication windows; injectable for tests. */
  now?: () => number;
  /** Prometheus metrics: `/metrics` is served and every API request counted when given. */
  metrics?: HubMetrics;
  /** Addresses (CIDR) that may scrape `/metrics` without credentials, read per request. */
  metricsAllow?: () => readonly string[];
  /** The built web console served at `/` (default dist/console). */
  consoleDir?: string;
  /** Alerts, incidents, knowledge base, delays and reports: `/v1/alerts`, `/v1/incidents`, … */
  operations?: Operations;
  /** Reloads of the operations file applied and rejected. */
  operationsEvents?: () => readonly unknown[];
  /** Fee settlement: rate cards (default: read from config/rate-cards on first use) and options. */
  settlement?: SettlementDeps;
  /** Inventory: each warehouse's outage threshold before its snapshot serves (default 30 min). */
  inventory?: ViewOptions;
}

export interface SettlementDeps {
  book?: RateCardBook;
  reportingCurrency?: string;
  fx?: FxSource;
  /** A CJK font for PDF statements (default: WAYGATE_CJK_FONT or the Debian fonts). */
  fontPath?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact request body as received: signatures are computed over these bytes. */
    rawBytes?: Buffer;
    /** The same body as text: strict UTF-8, a leading byte-order mark dropped. */
    rawBody?: string;
    /** Who is calling, resolved by the auth hook before validation. */
    caller?: Caller;
    /** Who attempted to authenticate, for the failed-authentication throttle (see auth-throttle.ts). */
    authAttempt?: AuthAttempt;
    /** A failed or throttled authentication: audited in an aggregated `auth.failed` row, not per call. */
    authAggregated?: boolean;
    /** The nonce a `nonceInWrite` route must claim in its own transaction. */
    nonceClaim?: NonceClaim;
    /** The error code answered, for the call audit. */
    errorCode?: string;
  }
  interface FastifyInstance {
    /** Admission figures, for readiness and tests. */
    admission: AdmissionView;
  }
  interface FastifyContextConfig {
    /**
     * `api_key`: an API key + HMAC or a user session (Bearer) is required; `partner`: the route
     * verifies the partner's own signature scheme; `none`: public (health, login).
     */
    auth?: 'api_key' | 'partner' | 'none';
    /** The permission a caller needs for this route; `/v1` routes without one are refused. */
    permission?: Permission;
    /** The route claims the request's nonce inside its own write (see auth.ts nonceClaimFor). */
    nonceInWrite?: boolean;
  }
}
