import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseOperations, OperationsConfigError } from './ops-config.js';
import { tierRules } from './alerts.js';
import { TIER_DEFAULTS } from '../pipeline/policy/policy.js';

describe('the operations file', () => {
  it('accepts the example in config/', () => {
    const text = readFileSync(new URL('../../config/operations.yaml', import.meta.url), 'utf8');
    const env = Object.fromEntries(
      [...text.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => [m[1]!, 'placeholder-secret-value']),
    );
    expect(parseOperations(text, 'operations.yaml', env).rules?.length).toBeGreaterThan(3);
  });

  it('names file, line and field of a mistake', () => {
    const bad = [
      'rules:',
      '  - name: a',
      '    condition: success_rate',
      '    threshold: 2',
      '    notify: [nobody]',
      '',
    ].join('\n');
    expect(() => parseOperations(bad, 'ops.yaml', {})).toThrow(OperationsConfigError);
    expect(() => parseOperations(bad, 'ops.yaml', {})).toThrow(
      /ops\.yaml:5: rules\.0\.notify\.0 names recipient nobody/,
    );
    expect(() => parseOperations(bad, 'ops.yaml', {})).toThrow(
      /ops\.yaml:4: rules\.0\.threshold is a share between 0 and 1/,
    );
    expect(() => parseOperations('rules:\n  - name: a\n    condition: nope\n', 'ops.yaml', {})).toThrow(
      /ops\.yaml:3: rules\.0\.condition/,
    );
  });
});

describe('escalation levels in the operations file', () => {
  const file = (levels: string) =>
    [
      'recipients:',
      '  lead: { webhook: { url: "https://hooks.example.test/lead", secret: s3cret-0123456789 } }',
      '  head: { webhook: { url: "https://hooks.example.test/head", secret: s3cret-0123456789 } }',
      'rules:',
      '  - name: a',
      '    condition: queue_backlog',
      '    threshold: 10',
      '    escalate:',
      levels,
      '',
    ].join('\n');

  it('accepts one level or several with increasing delays', () => {
    expect(
      parseOperations(file('      { after: 15m, to: [lead] }'), 'ops.yaml', {}).rules?.[0]?.escalate,
    ).toEqual({
      after: '15m',
      to: ['lead'],
    });
    const two = parseOperations(
      file('      - { after: 15m, to: [lead] }\n      - { after: 1h, to: [head] }'),
      'ops.yaml',
      {},
    );
    expect(two.rules?.[0]?.escalate).toHaveLength(2);
  });

  it('refuses a level no later than the one before, and an unknown recipient, naming file and line', () => {
    const bad = file('      - { after: 1h, to: [lead] }\n      - { after: 30m, to: [nobody] }');
    expect(() => parseOperations(bad, 'ops.yaml', {})).toThrow(
      /ops\.yaml:10: rules\.0\.escalate\.1\.after must be longer than the level before/,
    );
    expect(() => parseOperations(bad, 'ops.yaml', {})).toThrow(
      /ops\.yaml:10: rules\.0\.escalate\.1\.to\.0 names recipient nobody/,
    );
  });
});

describe('tier default rules [004-1]', () => {
  it('alert an A carrier within 5 minutes and a B carrier within 30, at their SLA', () => {
    const rules = tierRules(
      [
        { id: 'a1', tier: 'A', kind: 'carrier', alerts: TIER_DEFAULTS.A.alerts },
        { id: 'b1', tier: 'B', kind: 'carrier', alerts: TIER_DEFAULTS.B.alerts },
      ],
      {},
    );
    const a = rules.find((r) => r.name === 'tier-a1-success')!;
    const b = rules.find((r) => r.name === 'tier-b1-success')!;
    expect([a.windowMs, a.threshold, a.severity, a.incident]).toEqual([5 * 60_000, 0.999, 'major', true]);
    expect([b.windowMs, b.threshold, b.severity, b.incident]).toEqual([30 * 60_000, 0.995, 'general', false]);
    expect(rules.map((r) => r.condition).sort()).toEqual([
      'channel_failover',
      'channel_failover',
      'latency',
      'latency',
      'success_rate',
      'success_rate',
    ]);
  });
});
