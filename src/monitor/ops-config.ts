/**
 * The operations file (config/operations.yaml): alert rules, who is told and how (webhook,
 * e-mail over SMTP, quiet hours, escalation), incident deadlines, tracking-delay thresholds per
 * lane and the merchants' webhooks, and the report schedule. Validated in full like the partner
 * policy — every problem is `file:line: field message` — and hot-reloaded by the hub; a bad edit
 * is rejected and the last good file stays in force.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { createAjv } from '../domain/validation.js';
import { pointerSegments, problemAt, readYamlSource, lineMentioning } from '../domain/yaml-source.js';
import { Duration } from '../pipeline/policy/schema.js';
import { parseDuration } from '../pipeline/policy/policy.js';
import { isTimeZone } from '../pipeline/policy/call-window.js';

export const SEVERITIES = ['minor', 'general', 'major'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CONDITIONS = [
  'success_rate',
  'latency',
  'error_share',
  'no_traffic',
  'queue_backlog',
  'queue_age',
  'dead_letters',
  'channel_failover',
  'cert_expiry',
  'tracking_delays',
  'stock_oversold',
] as const;
export type Condition = (typeof CONDITIONS)[number];

const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' });
const Clock = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM' });
const HttpsUrl = Type.String({ pattern: '^https?://', maxLength: 2048 });
const SeverityT = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));

const Recipient = Type.Object(
  {
    webhook: Type.Optional(
      Type.Object(
        {
          url: HttpsUrl,
          /** HMAC-SHA256 key of the `X-Waygate-Signature` header (use a ${PLACEHOLDER}). */
          secret: Type.String({ minLength: 16 }),
        },
        { additionalProperties: false },
      ),
    ),
    email: Type.Optional(
      Type.Array(Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 254 }), { minItems: 1 }),
    ),
    /**
     * Hours in which notices are held until the hours end (`action: hold`, the default) or sent
     * by e-mail only (`downgrade`), unless the alert's severity is listed in `except`.
     */
    quietHours: Type.Optional(
      Type.Object(
        {
          from: Clock,
          to: Clock,
          timezone: Type.Optional(Type.String()),
          except: Type.Optional(Type.Array(SeverityT)),
          action: Type.Optional(Type.Union([Type.Literal('hold'), Type.Literal('downgrade')])),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const EscalationLevel = Type.Object(
  { after: Duration, to: Type.Array(Name, { minItems: 1 }) },
  { additionalProperties: false },
);

const Rule = Type.Object(
  {
    name: Name,
    condition: Type.Union(CONDITIONS.map((c) => Type.Literal(c))),
    /**
     * A configured partner id, or `*` for every partner (one alert per partner); for
     * stock_oversold a warehouse id, or `*` for every warehouse (one alert per warehouse).
     */
    partner: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    /** An interface (job kind), e.g. `shipment.create`; absent: all of the partner's interfaces. */
    interface: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    window: Type.Optional(Duration),
    /**
     * success_rate: below (0–1); latency: above (ms); error_share: above (0–1); queue_backlog:
     * above (jobs); queue_age: above (seconds); dead_letters: growth above (jobs per window);
     * cert_expiry: within (days); tracking_delays: open exceptions above; stock_oversold:
     * oversold SKUs above (default 0: any).
     */
    threshold: Type.Optional(Type.Number({ minimum: 0 })),
    percentile: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
    code: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,64}$' })),
    /** error_share: the share must also be `factor` times the share over this earlier window. */
    baseline: Type.Optional(Duration),
    factor: Type.Optional(Type.Number({ minimum: 1 })),
    minCalls: Type.Optional(Type.Integer({ minimum: 1 })),
    /** The condition holds this long before the alert fires. */
    for: Type.Optional(Duration),
    /** The condition is clear this long before the alert resolves (damps flapping). */
    clearFor: Type.Optional(Duration),
    severity: Type.Optional(SeverityT),
    /** Open an incident when the alert fires. */
    incident: Type.Optional(Type.Boolean()),
    notify: Type.Optional(Type.Array(Name)),
    /** Overrides the recipients' quiet-hours action for this rule's notices. */
    quietHours: Type.Optional(
      Type.Union([Type.Literal('hold'), Type.Literal('downgrade'), Type.Literal('ignore')]),
    ),
    /**
     * When not acknowledged: one level (`{after, to}`) or several, each `after` counted from the
     * firing and longer than the level before (e.g. on-call lead at 15 min, head of ops at 1 h).
     */
    escalate: Type.Optional(
      Type.Union([EscalationLevel, Type.Array(EscalationLevel, { minItems: 1, maxItems: 10 })]),
    ),
  },
  { additionalProperties: false },
);

const Lane = Type.Object(
  {
    carrier: Type.String({ minLength: 1 }),
    destination: Type.String({ pattern: '^[A-Z]{2}$' }),
    /** Expected door-to-door transit; past it from the waybill's creation the ETA has passed. */
    transit: Duration,
    /** No scan for this long raises `no_scan` (default: delays.noScanAfter). */
    noScanAfter: Type.Optional(Duration),
  },
  { additionalProperties: false },
);

export const OperationsSchema = Type.Object(
  {
    evaluateEvery: Type.Optional(Duration),
    statsFlushEvery: Type.Optional(Duration),
    /** Generate each partner's tier rules (A: alert within 5 min, B: 30 min) [004-1]; default true. */
    tierDefaults: Type.Optional(Type.Boolean()),
    /** Recipients of rules that name none (the tier rules too). */
    defaultRecipients: Type.Optional(Type.Array(Name)),
    /** Alerts firing this often within flapWindow are flapping: recorded, not notified again. */
    flapAfter: Type.Optional(Type.Integer({ minimum: 2 })),
    flapWindow: Type.Optional(Duration),
    smtp: Type.Optional(
      Type.Object(
        {
          host: Type.String({ minLength: 1 }),
          port: Type.Integer({ minimum: 1, maximum: 65535 }),
          secure: Type.Optional(Type.Boolean()),
          from: Type.String({ minLength: 3 }),
          user: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    recipients: Type.Optional(Type.Record(Name, Recipient)),
    incidents: Type.Optional(
      Type.Object(
        {
          deadlines: Type.Optional(
            Type.Object(
              {
                minor: Type.Optional(Duration),
                general: Type.Optional(Duration),
                major: Type.Optional(Duration),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    rules: Type.Optional(Type.Array(Rule)),
    delays: Type.Optional(
      Type.Object(
        {
          checkEvery: Type.Optional(Duration),
          noScanAfter: Type.Optional(Duration),
          lanes: Type.Optional(Type.Array(Lane)),
          learn: Type.Optional(
            Type.Object(
              {
                minSamples: Type.Optional(Type.Integer({ minimum: 1 })),
                percentile: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
                lookback: Type.Optional(Duration),
              },
              { additionalProperties: false },
            ),
          ),
          /** Per order source (platform or ERP): where its merchant is told of delays. */
          merchants: Type.Optional(
            Type.Record(
              Name,
              Type.Object(
                { url: HttpsUrl, secret: Type.String({ minLength: 16 }) },
                { additionalProperties: false },
              ),
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    reports: Type.Optional(
      Type.Object(
        {
          /** Daily report at this time (HH:MM), weekly on Mondays at the same time. */
          at: Type.Optional(Clock),
          timezone: Type.Optional(Type.String()),
          out: Type.Optional(Type.String({ minLength: 1 })),
          langs: Type.Optional(
            Type.Array(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')]), { minItems: 1 }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type OperationsFile = Static<typeof OperationsSchema>;
export type RuleSpec = Static<typeof Rule>;
export type RecipientSpec = Static<typeof Recipient>;

export class OperationsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationsConfigError';
  }
}

const validate = createAjv().compile<OperationsFile>(OperationsSchema);

function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  text: string,
  file: string,
  path: string,
): unknown {
  if (typeof value === 'string')
    return value.replace(/\$\{([A-Z0-9_]+)\}/g, (placeholder, name: string) => {
      const v = env[name];
      if (v === undefined)
        throw new OperationsConfigError(
          `${file}:${lineMentioning({ text }, placeholder)}: ${path} environment variable ${name} is not set`,
        );
      return v;
    });
  const at = (k: string | number) => (path ? `${path}.${k}` : String(k));
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, text, file, at(i)));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, text, file, at(k))]),
    );
  return value;
}

/** Parses and checks an operations file; every problem names file, line and field. */
export function parseOperations(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): OperationsFile {
  const { source, syntaxErrors } = readYamlSource(text, file);
  if (syntaxErrors.length > 0) throw new OperationsConfigError(syntaxErrors[0]!);
  const raw = interpolate(source.doc.toJS() ?? {}, env, text, file, '');
  if (!validate(raw)) {
    const first = validate.errors?.[0];
    throw new OperationsConfigError(
      problemAt(source, pointerSegments(first?.instancePath ?? ''), first?.message ?? 'is invalid'),
    );
  }
  const problems: string[] = [];
  const recipients = new Set(Object.keys(raw.recipients ?? {}));
  const names = new Set<string>();
  const needRecipient = (path: (string | number)[], r: string) => {
    if (!recipients.has(r))
      problems.push(problemAt(source, path, `names recipient ${r}, which is not under recipients`));
  };
  for (const [i, r] of (raw.defaultRecipients ?? []).entries()) needRecipient(['defaultRecipients', i], r);
  for (const [i, rule] of (raw.rules ?? []).entries()) {
    const at = (...p: (string | number)[]) => ['rules', i, ...p];
    if (names.has(rule.name))
      problems.push(problemAt(source, at('name'), `${rule.name} is used by an earlier rule`));
    names.add(rule.name);
    for (const [j, r] of (rule.notify ?? []).entries()) needRecipient(at('notify', j), r);
    if (Array.isArray(rule.escalate)) {
      let previous = -1;
      for (const [k, level] of rule.escalate.entries()) {
        for (const [j, r] of level.to.entries()) needRecipient(at('escalate', k, 'to', j), r);
        const after = parseDuration(level.after);
        if (after <= previous)
          problems.push(
            problemAt(source, at('escalate', k, 'after'), 'must be longer than the level before'),
          );
        previous = after;
      }
    } else
      for (const [j, r] of (rule.escalate?.to ?? []).entries()) needRecipient(at('escalate', 'to', j), r);
    const needs: Partial<Record<Condition, string[]>> = {
      success_rate: ['threshold'],
      latency: ['threshold'],
      error_share: ['threshold', 'code'],
      queue_backlog: ['threshold'],
      queue_age: ['threshold'],
      cert_expiry: ['threshold'],
    };
    for (const field of needs[rule.condition] ?? [])
      if ((rule as Record<string, unknown>)[field] === undefined)
        problems.push(problemAt(source, at(), `needs ${field} for condition ${rule.condition}`));
    // A reconciliation is the evidence of stock_oversold: no call window, interface or code to read.
    if (rule.condition === 'stock_oversold')
      for (const field of ['interface', 'window', 'code', 'baseline', 'factor', 'minCalls', 'percentile'])
        if ((rule as Record<string, unknown>)[field] !== undefined)
          problems.push(problemAt(source, at(field), `does not apply to condition ${rule.condition}`));
    if ((rule.condition === 'success_rate' || rule.condition === 'error_share') && (rule.threshold ?? 0) > 1)
      problems.push(problemAt(source, at('threshold'), 'is a share between 0 and 1'));
  }
  for (const [name, r] of Object.entries(raw.recipients ?? {})) {
    if (!r.webhook && !r.email)
      problems.push(problemAt(source, ['recipients', name], 'needs webhook or email'));
    if (r.email && !raw.smtp)
      problems.push(problemAt(source, ['recipients', name, 'email'], 'needs smtp to be configured'));
    if (r.quietHours?.timezone && !isTimeZone(r.quietHours.timezone))
      problems.push(
        problemAt(source, ['recipients', name, 'quietHours', 'timezone'], 'is not an IANA time zone'),
      );
  }
  if (raw.reports?.timezone && !isTimeZone(raw.reports.timezone))
    problems.push(problemAt(source, ['reports', 'timezone'], 'is not an IANA time zone'));
  if (problems.length > 0) throw new OperationsConfigError(problems.join('\n'));
  return raw;
}

export function loadOperations(file: string, env: NodeJS.ProcessEnv = process.env): OperationsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new OperationsConfigError(
      `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseOperations(text, file, env);
}

/** Incident deadlines per severity [000-13]: minor 1 h, general 2 h, major 4 h unless configured. */
export function deadlinesOf(ops: OperationsFile | undefined): Record<Severity, number> {
  const d = ops?.incidents?.deadlines;
  return {
    minor: parseDuration(d?.minor ?? '1h'),
    general: parseDuration(d?.general ?? '2h'),
    major: parseDuration(d?.major ?? '4h'),
  };
}

export const ms = (v: string | number | undefined, fallback: string | number): number =>
  parseDuration(v ?? fallback);
