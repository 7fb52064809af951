/**
 * Carrier Alpha, simulated: an express carrier with a REST/JSON API, bearer-token auth,
 * idempotency keys on create, and PUSH tracking: signed webhooks (Stripe-style HMAC) with
 * retries and backoff, occasional duplicate deliveries and occasional swapped order, the way
 * real carriers behave. Its API is documented in docs/partners/carrier-alpha.md.
 */
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Agent } from 'undici';
import { deliverOnce } from './deliver.js';
import {
  CHANNEL_PREFIX,
  CHANNELS,
  channelStats,
  newChannelCounters,
  type Channel,
  type ChannelStats,
} from './faults.js';
import { isCountryCode, isCurrencyCode, isDecimalAmount, isHsCode } from '../domain/index.js';
import { journeyFor, type JourneyEvent, type JourneyStep } from './journey.js';
import type { SandboxContext, SandboxPartner } from './types.js';

export interface CarrierAlphaOptions {
  /** Share of push deliveries sent twice with the same id (default 0.05). */
  duplicateRate?: number;
  /** Share of event batches held back and delivered after the next one (default 0.03). */
  swapRate?: number;
  /** First retry delay after a failed push (default 200 ms); doubles per attempt. */
  retryInitialMs?: number;
  /** Longest delay between two attempts of one push (default 2 s). */
  retryMaxMs?: number;
  /** A push still failing this long after its first attempt is abandoned (default 10 min). */
  giveUpAfterMs?: number;
  /** Pushes in flight at once, across all webhooks (default 32). */
  maxConcurrentPushes?: number;
  /** Per-attempt timeout of a push (default 10 s). */
  pushTimeoutMs?: number;
  /** Source of randomness for the delivery chaos (default Math.random). */
  random?: () => number;
}

export type CarrierAlphaStats = {
  calls: number;
  shipmentsCreated: number;
  duplicateCreates: number;
  idempotentReplays: number;
  authFailures: number;
  validationErrors: number;
  pushesDelivered: number;
  pushFailures: number;
  pendingPushes: number;
  pushesAbandoned: number;
  warehouseHandovers: number;
  /** The same counters per channel (`primary` at `/alpha`, `standby` at `/standby/alpha`). */
  channels: Record<Channel, ChannelStats>;
};

// ---------------------------------------------------------------------------------------------
// Alpha's own wire format
// ---------------------------------------------------------------------------------------------

interface AlphaError {
  code: string;
  message: string;
  field?: string;
}

interface AlphaEvent {
  id: string;
  code: string;
  description: string;
  occurred_at: string;
  location: { city: string; country_code: string };
  exception?: { code: string; description: string };
  handover?: { carrier: string; tracking_number: string };
  estimated_delivery?: string;
}

interface ShipTo {
  contact_name: string;
  country_code: string;
  city: string;
  postal_code?: string;
}

interface AlphaShipment {
  shipmentId: string;
  trackingNumber: string;
  reference: string;
  shipTo: ShipTo;
  /** Where the parcel starts when it is not Alpha's origin facility (a warehouse's handover). */
  origin?: { city: string; country_code: string };
  createdAtMs: number;
  journey: JourneyEvent[];
  /** Index of the first journey event not yet fanned out to webhooks. */
  nextIdx: number;
  /** A batch held back to be delivered after the next one (swapped order). */
  held: AlphaEvent[] | null;
  response: Record<string, unknown>;
}

const ORIGIN = { city: 'Shenzhen', country_code: 'CN' };
const LINE_HAUL_HUB = { city: 'Hong Kong', country_code: 'HK' };
const GATEWAYS: Readonly<Record<string, string>> = {
  US: 'Los Angeles',
  CA: 'Vancouver',
  GB: 'London',
  DE: 'Leipzig',
  FR: 'Paris',
  NL: 'Amsterdam',
  AU: 'Sydney',
  JP: 'Tokyo',
};
const POSTAL_REQUIRED = new Set(['US', 'CA', 'GB', 'DE']);
const US_ZIP = /^\d{5}(-\d{4})?$/;
const CONTENTS_TYPES = new Set(['merchandise', 'gift', 'sample', 'documents', 'returned_goods']);
/** `return`: a return label — alpha collects from `ship_from` (the buyer) and delivers to `ship_to`. */
const SERVICES = new Set(['express', 'economy', 'return']);
const WEBHOOK_EVENTS = new Set(['tracking.updated']);

const STEP_CODES: Record<JourneyStep, { code: string; description: string }> = {
  label_created: { code: 'LC', description: 'Shipment information received, label created' },
  picked_up: { code: 'PU', description: 'Picked up from shipper' },
  origin_arrived: { code: 'AR', description: 'Arrived at Alpha origin facility' },
  export_customs_started: { code: 'EC', description: 'Export clearance in progress' },
  export_customs_released: { code: 'ER', description: 'Export clearance completed' },
  linehaul_handover: { code: 'HO', description: 'Handed over to airline for line haul' },
  linehaul_departed: { code: 'DP', description: 'Departed origin gateway' },
  linehaul_arrived: { code: 'AA', description: 'Arrived at destination gateway' },
  import_customs_started: { code: 'CC', description: 'Import clearance in progress' },
  import_customs_held: { code: 'CH', description: 'Held by import customs' },
  import_customs_released: { code: 'CR', description: 'Released by import customs' },
  lastmile_handover: { code: 'HL', description: 'Handed over to last-mile partner' },
  out_for_delivery: { code: 'OD', description: 'Out for delivery' },
  delivery_failed: { code: 'DF', description: 'Delivery attempted, not delivered' },
  delivered: { code: 'DL', description: 'Delivered' },
};

const DELIVERY_FAILURES = [
  { code: 'NH', description: 'Consignee not home' },
  { code: 'BA', description: 'Incorrect or incomplete address' },
  { code: 'NA', description: 'No access to delivery location' },
  { code: 'BC', description: 'Business closed' },
  { code: 'RF', description: 'Delivery refused by consignee' },
];
const CUSTOMS_HOLDS = [
  { code: 'DU', description: 'Duties and taxes unpaid' },
  { code: 'DC', description: 'Additional documents required' },
  { code: 'IV', description: 'Consignee identity verification required' },
  { code: 'IN', description: 'Selected for physical inspection' },
];

const ALPHA_STATUS: Record<string, string> = {
  LC: 'label_created',
  CH: 'customs_hold',
  OD: 'out_for_delivery',
  DF: 'delivery_attempted',
  DL: 'delivered',
};

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** Binary min-heap keyed by a number; used for due journeys and due retries. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly key: (item: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.key(a[p] as T) <= this.key(a[i] as T)) break;
      [a[p], a[i]] = [a[i] as T, a[p] as T];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.key(a[l] as T) < this.key(a[m] as T)) m = l;
        if (r < a.length && this.key(a[r] as T) < this.key(a[m] as T)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i] as T, a[m] as T];
        i = m;
      }
    }
    return top;
  }
  clear(): void {
    this.items.length = 0;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.trim().length > 0 && v.length <= max;

function hashBytes(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function nextCarrierFor(
  country: string,
  trackingNumber: string,
): { carrier: string; tracking_number: string } {
  const h = hashBytes(`lastmile:${trackingNumber}`);
  const digits = (n: number) =>
    Array.from({ length: n }, (_, i) => String((h[i % h.length] ?? 0) % 10)).join('');
  switch (country) {
    case 'US':
      return { carrier: 'USPS', tracking_number: `9400${digits(18)}` };
    case 'GB':
      return { carrier: 'Royal Mail', tracking_number: `RM${digits(9)}GB` };
    case 'DE':
      return { carrier: 'DHL Paket', tracking_number: `JJD${digits(18)}` };
    case 'CA':
      return { carrier: 'Canada Post', tracking_number: digits(16) };
    default:
      return { carrier: 'Alpha Local Partner', tracking_number: `LM${digits(12)}` };
  }
}

function renderEvent(s: AlphaShipment, j: JourneyEvent): AlphaEvent {
  const meta = STEP_CODES[j.step];
  const dest = { city: s.shipTo.city, country_code: s.shipTo.country_code };
  const gateway = {
    city: GATEWAYS[s.shipTo.country_code] ?? s.shipTo.city,
    country_code: s.shipTo.country_code,
  };
  const h = hashBytes(`reason:${s.trackingNumber}`);
  let location = s.origin ?? ORIGIN;
  let description = meta.description;
  const event: AlphaEvent = {
    id: `scn_${hashBytes(`${s.trackingNumber}:${j.seq}`).toString('hex').slice(0, 24)}`,
    code: meta.code,
    description,
    occurred_at: new Date(j.atMs).toISOString(),
    location,
  };
  switch (j.step) {
    case 'linehaul_handover':
    case 'linehaul_departed':
      location = LINE_HAUL_HUB;
      break;
    case 'linehaul_arrived':
    case 'import_customs_started':
    case 'import_customs_released':
      location = gateway;
      break;
    case 'import_customs_held': {
      location = gateway;
      const reason = CUSTOMS_HOLDS[(h[0] ?? 0) % CUSTOMS_HOLDS.length] ?? { code: 'DU', description: '' };
      event.exception = { ...reason };
      description = `${meta.description}: ${reason.description}`;
      break;
    }
    case 'lastmile_handover': {
      location = gateway;
      const next = nextCarrierFor(s.shipTo.country_code, s.trackingNumber);
      event.handover = next;
      description = `${meta.description} ${next.carrier}, tracking ${next.tracking_number}`;
      event.estimated_delivery = new Date(s.journey.at(-1)?.atMs ?? j.atMs).toISOString();
      break;
    }
    case 'out_for_delivery':
    case 'delivered':
      location = dest;
      break;
    case 'delivery_failed': {
      location = dest;
      const reason = DELIVERY_FAILURES[(h[1] ?? 0) % DELIVERY_FAILURES.length] ?? {
        code: 'NH',
        description: '',
      };
      event.exception = { ...reason };
      description = `${meta.description}: ${reason.description}`;
      break;
    }
    case 'label_created':
      event.estimated_delivery = new Date(s.journey.at(-1)?.atMs ?? j.atMs).toISOString();
      break;
    default:
      break;
  }
  event.location = location;
  event.description = description;
  return event;
}

// ---------------------------------------------------------------------------------------------
// Request validation (alpha's rules)
// ---------------------------------------------------------------------------------------------

function validateShipment(body: unknown): AlphaError[] {
  const errors: AlphaError[] = [];
  const add = (field: string, code: string, message: string) => errors.push({ code, message, field });
  if (!isObject(body)) {
    add('', 'invalid_body', 'Request body must be a JSON object');
    return errors;
  }
  if (!isText(body.reference, 64)) add('reference', 'required', 'reference is required (1-64 characters)');
  if (body.service !== undefined && (typeof body.service !== 'string' || !SERVICES.has(body.service))) {
    add('service', 'invalid', 'service must be one of express, economy, return');
  }
  if (body.service === 'return') {
    const from = body.ship_from;
    if (!isObject(from))
      add('ship_from', 'required', 'ship_from (where alpha collects) is required for a return');
    else {
      if (!isText(from.contact_name, 200))
        add('ship_from.contact_name', 'required', 'contact_name is required');
      if (!isText(from.city, 100)) add('ship_from.city', 'required', 'city is required');
      if (typeof from.country_code !== 'string' || !/^[A-Z]{2}$/.test(from.country_code))
        add('ship_from.country_code', 'invalid', 'country_code must be ISO 3166-1 alpha-2');
    }
  }

  const to = body.ship_to;
  let country = '';
  if (!isObject(to)) {
    add('ship_to', 'required', 'ship_to is required');
  } else {
    if (!isText(to.contact_name, 200)) add('ship_to.contact_name', 'required', 'contact_name is required');
    const lines = to.address_lines;
    if (!Array.isArray(lines) || lines.length < 1 || lines.length > 3) {
      add('ship_to.address_lines', 'required', 'address_lines must hold 1 to 3 lines');
    } else {
      lines.forEach((line, i) => {
        if (i === 0 ? !isText(line, 200) : typeof line !== 'string' || line.length > 200) {
          add(
            `ship_to.address_lines[${i}]`,
            'invalid',
            'address line must be text of at most 200 characters',
          );
        }
      });
    }
    if (!isText(to.city, 100)) add('ship_to.city', 'required', 'city is required');
    if (to.state_code !== undefined && !isText(to.state_code, 100)) {
      add('ship_to.state_code', 'invalid', 'state_code must be text');
    }
    if (to.phone !== undefined && (typeof to.phone !== 'string' || !/^\+?[0-9 ()-]{5,24}$/.test(to.phone))) {
      add('ship_to.phone', 'invalid', 'phone must be a phone number');
    }
    if (
      to.email !== undefined &&
      (typeof to.email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(to.email))
    ) {
      add('ship_to.email', 'invalid', 'email must be an e-mail address');
    }
    if (typeof to.country_code !== 'string' || !isCountryCode(to.country_code)) {
      add('ship_to.country_code', 'invalid_country', 'country_code must be an ISO 3166-1 alpha-2 code');
    } else {
      country = to.country_code;
    }
    const postal = to.postal_code;
    if (postal !== undefined && !isText(postal, 20)) {
      add('ship_to.postal_code', 'invalid_postal_code', 'postal_code must be text of at most 20 characters');
    } else if (postal === undefined && POSTAL_REQUIRED.has(country)) {
      add('ship_to.postal_code', 'postal_code_required', `postal_code is required for ${country}`);
    } else if (country === 'US' && typeof postal === 'string' && !US_ZIP.test(postal)) {
      add(
        'ship_to.postal_code',
        'invalid_postal_code',
        'postal_code must be a US ZIP code (12345 or 12345-6789)',
      );
    }
  }

  const parcels = body.parcels;
  if (!Array.isArray(parcels) || parcels.length < 1 || parcels.length > 50) {
    add('parcels', 'required', 'parcels must hold 1 to 50 parcels');
  } else {
    parcels.forEach((p: unknown, i) => {
      const w = isObject(p) ? p.weight : undefined;
      if (
        !isObject(w) ||
        typeof w.value !== 'number' ||
        !(w.value > 0) ||
        w.value > 1000 ||
        w.unit !== 'kg'
      ) {
        add(
          `parcels[${i}].weight`,
          'invalid_weight',
          'weight must be {"value": > 0 and <= 1000, "unit": "kg"}',
        );
      }
    });
  }

  const customs = body.customs;
  if (customs === undefined) {
    if (country !== '' && country !== ORIGIN.country_code) {
      add('customs', 'customs_required', 'customs is required for international shipments');
    }
  } else if (!isObject(customs)) {
    add('customs', 'invalid', 'customs must be an object');
  } else {
    if (typeof customs.contents_type !== 'string' || !CONTENTS_TYPES.has(customs.contents_type)) {
      add(
        'customs.contents_type',
        'invalid',
        `contents_type must be one of ${[...CONTENTS_TYPES].join(', ')}`,
      );
    }
    if (typeof customs.currency !== 'string' || !isCurrencyCode(customs.currency)) {
      add('customs.currency', 'invalid_currency', 'currency must be an ISO 4217 code');
    }
    if (
      customs.declared_value !== undefined &&
      (typeof customs.declared_value !== 'string' || !isDecimalAmount(customs.declared_value))
    ) {
      add(
        'customs.declared_value',
        'invalid_amount',
        'declared_value must be a decimal string such as "12.50"',
      );
    }
    const items = customs.items;
    if (!Array.isArray(items) || items.length < 1 || items.length > 999) {
      add('customs.items', 'required', 'customs.items must hold 1 to 999 items');
    } else {
      items.forEach((item: unknown, i) => {
        const f = `customs.items[${i}]`;
        if (!isObject(item)) {
          add(f, 'invalid', 'item must be an object');
          return;
        }
        if (!isText(item.description, 500)) add(`${f}.description`, 'required', 'description is required');
        if (!Number.isInteger(item.quantity) || (item.quantity as number) < 1) {
          add(`${f}.quantity`, 'invalid', 'quantity must be a positive integer');
        }
        if (typeof item.unit_value !== 'string' || !isDecimalAmount(item.unit_value)) {
          add(`${f}.unit_value`, 'invalid_amount', 'unit_value must be a decimal string such as "12.50"');
        }
        if (typeof item.hs_tariff_number !== 'string' || !isHsCode(item.hs_tariff_number)) {
          add(`${f}.hs_tariff_number`, 'invalid_hs_code', 'hs_tariff_number must have 6 to 10 digits');
        }
        if (typeof item.origin_country !== 'string' || !isCountryCode(item.origin_country)) {
          add(`${f}.origin_country`, 'invalid_country', 'origin_country must be an ISO 3166-1 alpha-2 code');
        }
        if (typeof item.weight_kg !== 'number' || !(item.weight_kg > 0)) {
          add(`${f}.weight_kg`, 'invalid_weight', 'weight_kg must be a number above 0');
        }
      });
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// The partner
// ---------------------------------------------------------------------------------------------

interface Delivery {
  pushId: string;
  url: string;
  body: string;
  firstAttemptMs: number;
  dueMs: number;
  attempts: number;
}

const MINIMAL_PDF = (trackingNumber: string) =>
  Buffer.from(
    `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n` +
      `3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]/Contents 4 0 R>>endobj\n` +
      `4 0 obj<</Length 44>>stream\nBT /F1 18 Tf 20 400 Td (${trackingNumber}) Tj ET\nendstream endobj\n` +
      `trailer<</Root 1 0 R>>\n%%EOF\n`,
  );

export function createCarrierAlpha(ctx: SandboxContext, opts: CarrierAlphaOptions = {}): SandboxPartner {
  const creds = ctx.credentials['carrier-alpha'];
  const expectedAuth = Buffer.from(`Bearer ${creds.apiToken}`);
  const random = opts.random ?? Math.random;
  const duplicateRate = opts.duplicateRate ?? 0.05;
  const swapRate = opts.swapRate ?? 0.03;
  const retryInitialMs = opts.retryInitialMs ?? 200;
  const retryMaxMs = opts.retryMaxMs ?? 2_000;
  const giveUpAfterMs = opts.giveUpAfterMs ?? 10 * 60_000;
  const maxConcurrent = opts.maxConcurrentPushes ?? 32;
  const pushTimeoutMs = opts.pushTimeoutMs ?? 10_000;

  const counters = {
    calls: 0,
    shipmentsCreated: 0,
    duplicateCreates: 0,
    idempotentReplays: 0,
    authFailures: 0,
    validationErrors: 0,
    pushesDelivered: 0,
    pushFailures: 0,
    pushesAbandoned: 0,
    /** Parcels warehouses handed over under their own account (last-mile.ts): not billed here. */
    warehouseHandovers: 0,
  };
  const perChannel = newChannelCounters();

  const byId = new Map<string, AlphaShipment>();
  const byTracking = new Map<string, AlphaShipment>();
  const byIdempotencyKey = new Map<string, AlphaShipment>();
  const references = new Set<string>();
  const webhooks = new Map<string, { id: string; url: string; events: string[] }>();

  const journeys = new MinHeap<AlphaShipment>((s) => s.journey[s.nextIdx]?.atMs ?? Number.POSITIVE_INFINITY);
  const retries = new MinHeap<Delivery>((d) => d.dueMs);
  let ready: Delivery[] = [];
  let readyHead = 0;
  let inFlight = 0;
  let closed = false;
  let agent: Agent | null = null;

  const pushAgent = (): Agent => {
    agent ??= new Agent({ connections: maxConcurrent, keepAliveTimeout: 10_000 });
    return agent;
  };

  const sign = (timestamp: number, body: string) =>
    createHmac('sha256', creds.webhookSecret).update(`${timestamp}.${body}`).digest('hex');

  function newTrackingNumber(): string {
    for (;;) {
      const n = `AL${String(randomInt(0, 1_000_000_000)).padStart(9, '0')}${randomInt(0, 10)}`;
      if (!byTracking.has(n)) return n;
    }
  }

  function enqueue(d: Delivery): void {
    ready.push(d);
  }

  function fanOut(s: AlphaShipment, events: AlphaEvent[], nowMs: number): void {
    if (events.length === 0 || webhooks.size === 0) return;
    const pushId = `evt_${randomBytes(12).toString('hex')}`;
    const body = JSON.stringify({
      id: pushId,
      type: 'tracking.updated',
      created: Math.floor(nowMs / 1000),
      data: { tracking_number: s.trackingNumber, reference: s.reference, shipment_id: s.shipmentId, events },
    });
    for (const hook of webhooks.values()) {
      const copies = random() < duplicateRate ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        enqueue({ pushId, url: hook.url, body, firstAttemptMs: nowMs, dueMs: nowMs, attempts: 0 });
      }
    }
  }

  function advanceJourneys(nowMs: number): void {
    for (;;) {
      const s = journeys.peek();
      const next = s?.journey[s.nextIdx];
      if (!s || !next || next.atMs > nowMs) break;
      journeys.pop();
      const due: AlphaEvent[] = [];
      while (s.nextIdx < s.journey.length && (s.journey[s.nextIdx]?.atMs ?? Infinity) <= nowMs) {
        due.push(renderEvent(s, s.journey[s.nextIdx] as JourneyEvent));
        s.nextIdx++;
      }
      const more = s.nextIdx < s.journey.length;
      if (s.held) {
        fanOut(s, due, nowMs);
        fanOut(s, s.held, nowMs);
        s.held = null;
      } else if (more && webhooks.size > 0 && random() < swapRate) {
        s.held = due;
      } else {
        fanOut(s, due, nowMs);
      }
      if (more) journeys.push(s);
    }
  }

  function pump(): void {
    while (!closed && inFlight < maxConcurrent && readyHead < ready.length) {
      const d = ready[readyHead] as Delivery;
      readyHead++;
      void attempt(d);
    }
    if (readyHead > 1024 && readyHead * 2 > ready.length) {
      ready = ready.slice(readyHead);
      readyHead = 0;
    }
  }

  async function attempt(d: Delivery): Promise<void> {
    inFlight++;
    d.attempts++;
    const t = Math.floor(Date.now() / 1000);
    const ok = await deliverOnce(
      pushAgent(),
      d.url,
      {
        'content-type': 'application/json',
        'user-agent': 'Alpha-Webhooks/1.0',
        'alpha-signature': `t=${t},v1=${sign(t, d.body)}`,
        'alpha-webhook-id': d.pushId,
      },
      d.body,
      pushTimeoutMs,
    );
    inFlight--;
    if (closed) return;
    if (ok) {
      counters.pushesDelivered++;
    } else {
      counters.pushFailures++;
      const now = Date.now();
      const delay = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(d.attempts - 1, 20));
      if (now + delay - d.firstAttemptMs > giveUpAfterMs) {
        counters.pushesAbandoned++;
      } else {
        d.dueMs = now + delay;
        retries.push(d);
      }
    }
    pump();
  }

  function tick(): void {
    if (closed) return;
    const now = Date.now();
    advanceJourneys(now);
    for (let d = retries.peek(); d && d.dueMs <= now; d = retries.peek()) {
      retries.pop();
      enqueue(d);
    }
    pump();
  }

  const tickMs = Math.max(5, Math.min(100, Math.floor(ctx.stepMs / 2)));
  const timer = setInterval(tick, tickMs);
  timer.unref();

  // ------------------------------------------------------------------------------------------
  // HTTP
  // ------------------------------------------------------------------------------------------

  const fail = (reply: FastifyReply, status: number, errors: AlphaError[]) =>
    reply.code(status).send({ errors });

  function authorized(req: FastifyRequest, reply: FastifyReply): boolean {
    const header = req.headers.authorization;
    const got = Buffer.from(typeof header === 'string' ? header : '');
    if (got.length === expectedAuth.length && timingSafeEqual(got, expectedAuth)) return true;
    counters.authFailures++;
    void reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="alpha"')
      .send({ errors: [{ code: 'unauthorized', message: 'Missing or invalid bearer token' }] });
    return false;
  }

  function createShipment(body: Record<string, unknown>, channel: Channel): AlphaShipment {
    const to = body.ship_to as Record<string, unknown>;
    const reference = body.reference as string;
    const trackingNumber = newTrackingNumber();
    const createdAtMs = Date.now();
    const journey = journeyFor(trackingNumber, createdAtMs, ctx.stepMs);
    const shipmentId = `shp_${randomBytes(12).toString('hex')}`;
    const s: AlphaShipment = {
      shipmentId,
      trackingNumber,
      reference,
      shipTo: {
        contact_name: to.contact_name as string,
        country_code: to.country_code as string,
        city: to.city as string,
        ...(typeof to.postal_code === 'string' ? { postal_code: to.postal_code } : {}),
      },
      createdAtMs,
      journey,
      nextIdx: 0,
      held: null,
      response: {},
    };
    s.response = {
      shipment_id: shipmentId,
      tracking_number: trackingNumber,
      reference,
      status: 'label_created',
      label: {
        format: 'PDF',
        url: `${ctx.baseUrl()}${CHANNEL_PREFIX[channel]}/alpha/v1/labels/${shipmentId}.pdf`,
      },
      estimated_delivery: new Date(journey.at(-1)?.atMs ?? createdAtMs).toISOString(),
      created_at: new Date(createdAtMs).toISOString(),
    };
    counters.shipmentsCreated++;
    perChannel[channel].shipmentsCreated++;
    ctx.ledger?.record({
      carrier: 'carrier-alpha',
      waybillNo: trackingNumber,
      country: s.shipTo.country_code,
      ...(s.shipTo.postal_code ? { postalCode: s.shipTo.postal_code } : {}),
      weightGrams: (body.parcels as { weight: { value: number } }[]).reduce(
        (g, p) => g + Math.round(p.weight.value * 1000),
        0,
      ),
      atMs: createdAtMs,
    });
    if (references.has(reference)) {
      counters.duplicateCreates++;
      perChannel[channel].duplicateCreates++;
    }
    references.add(reference);
    byId.set(shipmentId, s);
    byTracking.set(trackingNumber, s);
    journeys.push(s);
    return s;
  }

  /**
   * A warehouse hands a parcel over under its own account: Alpha issues the waybill, scans the
   * parcel from the warehouse (a domestic journey) and pushes its tracking to every webhook, as
   * for any parcel. It is the warehouse's to pay, so it is not in the seller's bills.
   */
  ctx.lastMile?.offer('carrier-alpha', (p) => {
    const trackingNumber = newTrackingNumber();
    const createdAtMs = Date.now();
    const journey = journeyFor(trackingNumber, createdAtMs, ctx.stepMs, { domestic: true });
    const shipmentId = `shp_${randomBytes(12).toString('hex')}`;
    const s: AlphaShipment = {
      shipmentId,
      trackingNumber,
      reference: p.reference,
      shipTo: {
        contact_name: p.to.name,
        country_code: p.to.country,
        city: p.to.city,
        ...(p.to.postcode ? { postal_code: p.to.postcode } : {}),
      },
      origin: { city: p.from.city, country_code: p.from.country },
      createdAtMs,
      journey,
      nextIdx: 0,
      held: null,
      response: {},
    };
    s.response = {
      shipment_id: shipmentId,
      tracking_number: trackingNumber,
      reference: p.reference,
      status: 'label_created',
      estimated_delivery: new Date(journey.at(-1)?.atMs ?? createdAtMs).toISOString(),
      created_at: new Date(createdAtMs).toISOString(),
    };
    counters.warehouseHandovers++;
    byId.set(shipmentId, s);
    byTracking.set(trackingNumber, s);
    journeys.push(s);
    return trackingNumber;
  });

  /** Alpha's gateway refusing a call (fault injection), in alpha's error shape. */
  const refusal = (status: 429 | 503, message: string) => ({
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({
      errors: [{ code: status === 429 ? 'rate_limited' : 'service_unavailable', message }],
    }),
  });

  /** Mounts the API once per channel; both channels share shipments, keys and webhooks. */
  function register(app: FastifyInstance): void {
    for (const channel of CHANNELS) {
      void app.register(async (scope) => mount(scope, channel), { prefix: CHANNEL_PREFIX[channel] });
    }
  }

  function mount(scope: FastifyInstance, channel: Channel): void {
    scope.addHook('onRequest', async () => {
      counters.calls++;
      perChannel[channel].calls++;
    });
    ctx.faults?.install(scope, 'carrier-alpha', channel, refusal);
    scope.setErrorHandler((err: { statusCode?: number; code?: string }, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      const code =
        err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'unsupported_media_type'
          : status === 413
            ? 'payload_too_large'
            : status === 400
              ? 'invalid_json'
              : 'internal_error';
      const message =
        code === 'invalid_json'
          ? 'Request body is not valid JSON'
          : code === 'unsupported_media_type'
            ? 'Content-Type must be application/json'
            : code === 'payload_too_large'
              ? 'Request body is too large'
              : 'Internal error';
      return reply.code(status).send({ errors: [{ code, message }] });
    });

    scope.post('/alpha/v1/shipments', async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
        return fail(reply, 400, [
          {
            code: 'idempotency_key_required',
            message: 'Idempotency-Key header is required (1-255 characters)',
          },
        ]);
      }
      const previous = byIdempotencyKey.get(key);
      if (previous) {
        counters.idempotentReplays++;
        perChannel[channel].idempotentReplays++;
        return reply.code(200).header('idempotent-replayed', 'true').send(previous.response);
      }
      const errors = validateShipment(req.body);
      if (errors.length > 0) {
        counters.validationErrors++;
        return fail(reply, 422, errors);
      }
      const s = createShipment(req.body as Record<string, unknown>, channel);
      byIdempotencyKey.set(key, s);
      return reply.code(201).send(s.response);
    });

    scope.get<{ Params: { shipmentId: string } }>('/alpha/v1/shipments/:shipmentId', async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      const s = byId.get(req.params.shipmentId);
      if (!s) return fail(reply, 404, [{ code: 'not_found', message: 'No such shipment' }]);
      return s.response;
    });

    scope.get<{ Params: { file: string } }>('/alpha/v1/labels/:file', async (req, reply) => {
      const s = byId.get(req.params.file.replace(/\.pdf$/, ''));
      if (!s) return fail(reply, 404, [{ code: 'not_found', message: 'No such label' }]);
      return reply.type('application/pdf').send(MINIMAL_PDF(s.trackingNumber));
    });

    scope.get<{ Params: { trackingNumber: string } }>(
      '/alpha/v1/tracking/:trackingNumber',
      async (req, reply) => {
        if (!authorized(req, reply)) return reply;
        const s = byTracking.get(req.params.trackingNumber);
        if (!s) return fail(reply, 404, [{ code: 'not_found', message: 'No such tracking number' }]);
        const now = Date.now();
        const events = s.journey.filter((j) => j.atMs <= now).map((j) => renderEvent(s, j));
        const last = events.at(-1)?.code ?? 'LC';
        return {
          tracking_number: s.trackingNumber,
          reference: s.reference,
          status: ALPHA_STATUS[last] ?? 'in_transit',
          estimated_delivery: s.response.estimated_delivery,
          events,
        };
      },
    );

    scope.post('/alpha/v1/webhooks', async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      const body = req.body;
      const errors: AlphaError[] = [];
      let url = '';
      if (!isObject(body)) {
        errors.push({ code: 'invalid_body', message: 'Request body must be a JSON object', field: '' });
      } else {
        try {
          const parsed = new URL(String(body.url));
          if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError('protocol');
          url = parsed.toString();
        } catch {
          errors.push({
            code: 'invalid_url',
            message: 'url must be an absolute http(s) URL',
            field: 'url',
          });
        }
        const events = body.events;
        if (
          !Array.isArray(events) ||
          events.length === 0 ||
          !events.every((e) => typeof e === 'string' && WEBHOOK_EVENTS.has(e))
        ) {
          errors.push({
            code: 'invalid_events',
            message: 'events must list tracking.updated',
            field: 'events',
          });
        }
      }
      if (errors.length > 0) {
        counters.validationErrors++;
        return fail(reply, 422, errors);
      }
      const existing = webhooks.get(url);
      if (existing) return reply.code(200).send(existing);
      const hook = { id: `wh_${randomBytes(10).toString('hex')}`, url, events: ['tracking.updated'] };
      webhooks.set(url, hook);
      return reply.code(201).send(hook);
    });

    scope.get('/alpha/v1/webhooks', async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      return { data: [...webhooks.values()] };
    });

    scope.delete<{ Params: { id: string } }>('/alpha/v1/webhooks/:id', async (req, reply) => {
      if (!authorized(req, reply)) return reply;
      for (const [url, hook] of webhooks) {
        if (hook.id === req.params.id) {
          webhooks.delete(url);
          return reply.code(204).send();
        }
      }
      return fail(reply, 404, [{ code: 'not_found', message: 'No such webhook' }]);
    });
  }

  return {
    id: 'carrier-alpha',
    register,
    stats: (): CarrierAlphaStats => ({
      ...counters,
      pendingPushes: ready.length - readyHead + inFlight + retries.size,
      channels: channelStats('carrier-alpha', perChannel, ctx.faults),
    }),
    async close() {
      closed = true;
      clearInterval(timer);
      ready = [];
      readyHead = 0;
      retries.clear();
      journeys.clear();
      const a = agent;
      agent = null;
      if (a) await a.destroy();
    },
  };
}
