/**
 * The per-partner reliability policy as it is written in YAML: tier, channels, timeouts,
 * retry schedule, rate limit, call windows, 429 handling, circuit breaker, probes, alerts.
 * Everything is optional but the tier; what is left out comes from the tier's defaults [004-1].
 */
import { Type, type Static } from '@sinclair/typebox';

export const Duration = Type.Union([
  Type.String({ pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$', description: 'e.g. 500ms, 1s, 5m, 2h' }),
  Type.Integer({ minimum: 0, description: 'milliseconds' }),
]);

/**
 * Partner URLs are http(s). Which hosts they may name is decided on the parsed URL, by address
 * and not by text, when the config is loaded (hub/config.ts, domain/network-policy.ts) and again
 * at connect time by the HTTP client: a pattern cannot see that `0x7f.1` is 127.0.0.1.
 */
export const PartnerUrl = Type.String({
  pattern: '^[hH][tT][tT][pP][sS]?://',
  maxLength: 2048,
  description: 'http(s) URL; internal addresses are refused unless network.allow/allowLoopback permit them',
});
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const Clock = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$', description: 'HH:MM' });

export const CallWindowSchema = Type.Object(
  {
    days: Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), { minItems: 1, uniqueItems: true }),
    from: Clock,
    to: Clock,
    timezone: Type.Optional(
      Type.String({ minLength: 1, description: 'IANA time zone, e.g. Asia/Shanghai (default UTC)' }),
    ),
  },
  { additionalProperties: false },
);
export type CallWindowSpec = Static<typeof CallWindowSchema>;

export const PolicySchema = {
  tier: Type.Optional(Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C')])),
  channels: Type.Optional(
    Type.Object(
      {
        primary: Type.Optional(Type.Object({ url: PartnerUrl }, { additionalProperties: false })),
        standby: Type.Optional(
          Type.Array(
            Type.Object(
              { name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,30}$' }), url: PartnerUrl },
              { additionalProperties: false },
            ),
          ),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  retry: Type.Optional(
    Type.Object(
      {
        backoff: Type.Optional(Type.Array(Duration, { minItems: 1 })),
        maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      },
      { additionalProperties: false },
    ),
  ),
  rateLimit: Type.Optional(
    Type.Object(
      { rps: Type.Number({ exclusiveMinimum: 0 }), burst: Type.Optional(Type.Integer({ minimum: 1 })) },
      { additionalProperties: false },
    ),
  ),
  callWindows: Type.Optional(Type.Array(CallWindowSchema)),
  on429: Type.Optional(
    Type.Object(
      {
        /** Wait used when a 429 carries neither Retry-After nor X-RateLimit-Reset. */
        defaultWait: Type.Optional(Duration),
        /** This many 429s in a row suspend the partner for `suspendFor`. */
        suspendAfter: Type.Optional(Type.Integer({ minimum: 1 })),
        suspendFor: Type.Optional(Duration),
        /**
         * The longest wait a partner's Retry-After / X-RateLimit-Reset may impose (default and
         * ceiling: suspendFor). Asking for more is capped and alerted on.
         */
        maxWait: Type.Optional(Duration),
      },
      { additionalProperties: false },
    ),
  ),
  circuitBreaker: Type.Optional(
    Type.Object(
      {
        failureThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
        /** A channel failing for this long moves traffic to a standby even below the threshold. */
        failoverAfter: Type.Optional(Duration),
        /** How long an open channel is left alone before probes may close it again. */
        openFor: Type.Optional(Duration),
      },
      { additionalProperties: false },
    ),
  ),
  probe: Type.Optional(Type.Object({ interval: Duration }, { additionalProperties: false })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
  alerts: Type.Optional(
    Type.Object(
      {
        successRateBelow: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        p99AboveMs: Type.Optional(Type.Integer({ minimum: 1 })),
        alertWithin: Type.Optional(Duration),
      },
      { additionalProperties: false },
    ),
  ),
};
