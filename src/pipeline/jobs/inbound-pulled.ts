/**
 * `inbound.pulled`: an order a platform's feed served that the hub refused — its connector could
 * not map it, it is not a canonical order, or it breaks a business rule. `orders.pull` keeps it
 * (the payload sealed in `inbound_messages`, once per platform order id) and queues this job,
 * then goes on with the feed: one bad order neither stops its page nor holds the cursor back.
 *
 * The job tries the order again: the platform's connector reads the kept payload back
 * (`readPulledOrder`: `form: partner`), or the kept canonical order is taken as it is (`form:
 * canonical`), and the order is accepted. What failed once usually fails again, and the job then
 * waits in the dead letters with the reason (fields named, values sealed), where an operator
 * sees it (`waygate dlq list`, `GET /v1/dlq`) and replays it after the fix (a connector
 * upgrade, a catalogue or config change) — or discards it. A replay of an order the hub has since
 * accepted (the platform corrected it and the next pull took it) stores nothing twice.
 */
import { Type } from '@sinclair/typebox';
import { OrderInput, WaygateError } from '../../domain/index.js';
import { getInboundMessage, INBOUND_BODY_CONTEXT } from '../../store/inbound-messages.js';
import { acceptOrder } from '../accept-order.js';
import { checker } from '../validation.js';
import { defineJobKind } from './kind.js';

export const InboundPulledPayload = Type.Object(
  {
    messageId: Type.String({ pattern: '^msg_[0-9a-z]{26}$', description: 'the kept order payload (sealed)' }),
    partnerId: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
      description: 'the platform whose feed served the order',
    }),
    externalId: Type.String({ minLength: 1, maxLength: 64, description: "the platform's order id" }),
    form: Type.Union([Type.Literal('partner'), Type.Literal('canonical')], {
      description:
        "partner: the platform's own payload, read back by its connector; canonical: the connector's canonical order",
    }),
  },
  { additionalProperties: false },
);

/** The inbound_messages kind under which refused pulled orders are kept. */
export const PULLED_ORDER_MESSAGE = 'order.pulled';

const canonicalOrder = checker(OrderInput);

const invalid = (partnerId: string, message: string, details?: unknown) =>
  new WaygateError('order_payload_invalid', `the ${partnerId} order ${message}`, details);

export const inboundPulled = defineJobKind({
  name: 'inbound.pulled',
  description:
    "tries again an order a platform's feed served that the hub refused (kept sealed); dead-lettered with the reason until a fix lets it in",
  lane: 'inbound',
  payload: InboundPulledPayload,
  partnerOf: (p) => p.partnerId,
  dedupeKey: (p) => `inbound.pulled:${p.messageId}`,
  handler: (deps) => ({
    async run(job) {
      const p = job.payload;
      const msg = await getInboundMessage(deps.store.db, p.messageId);
      if (!msg) throw invalid(p.partnerId, `${p.externalId} is no longer kept (message ${p.messageId})`);
      const raw = await deps.store.keys.open(msg.sealedBody, INBOUND_BODY_CONTEXT);
      let order: unknown;
      if (p.form === 'canonical') {
        order = JSON.parse(raw) as unknown;
      } else {
        const platform = deps.partners().platform(p.partnerId);
        if (!platform?.readPulledOrder)
          throw new Error(`platform ${p.partnerId} is not configured, or cannot read a kept order back`);
        order = platform.readPulledOrder(raw);
      }
      const issues = canonicalOrder.issues(order);
      const first = issues[0];
      if (first) {
        // Field paths and rules only: the values are the buyer's, and this text is logged.
        throw invalid(
          p.partnerId,
          `${p.externalId} is not a canonical order: ${first.field} ${first.message}`,
          issues.map(({ field, message }) => ({ field, message })),
        );
      }
      await acceptOrder(deps.store, order as OrderInput, { caller: p.partnerId });
      await deps.queue.complete(job);
    },
  }),
  // The kept payload is replayed as it is: the fix is in the connector, catalogue or config.
  deadLetter: { edit: null },
});
