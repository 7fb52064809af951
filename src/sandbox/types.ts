import type { FastifyInstance } from 'fastify';
import type { SandboxCredentials } from './credentials.js';
import type { FaultInjector } from './faults.js';
import type { ShipmentLedger } from './billing.js';
import type { LastMileDesk } from './last-mile.js';

export interface SandboxContext {
  credentials: SandboxCredentials;
  /** Milliseconds between two tracking steps on the accelerated clock. */
  stepMs: number;
  /** The sandbox's own base URL once it listens (for label URLs and the like). */
  baseUrl: () => string;
  /** Fault knobs set over `/__faults`; absent when a carrier is mounted on its own in a test. */
  faults?: FaultInjector;
  /** Where carriers note each parcel they accept, for their monthly bills (billing.ts). */
  ledger?: ShipmentLedger;
  /** Where warehouses book the last mile of what they ship with a carrier (last-mile.ts). */
  lastMile?: LastMileDesk;
  /** Fixes the orders the sales platforms make up (SandboxOptions.orderSeed). */
  orderSeed?: string;
}

/** One simulated partner mounted on the sandbox server. */
export interface SandboxPartner {
  readonly id: string;
  register(app: FastifyInstance): void;
  stats(): Record<string, unknown>;
  /** Stops timers and pending pushes. */
  close(): Promise<void>;
}
