import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HubMetrics, LabelGuard } from './metrics.js';

/** The label sets of every series in an exposition, one string per series. */
function series(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('waygate_') && !l.includes('_bucket{'))
    .map((l) => l.slice(0, l.lastIndexOf(' ')));
}

describe('metrics labels', () => {
  it('keep at most the configured number of distinct values and fold the rest into other', () => {
    const g = new LabelGuard(3);
    expect(['a', 'b', 'c', 'd', 'e', 'a'].map((v) => g.of(v))).toEqual([
      'a',
      'b',
      'c',
      'other',
      'other',
      'a',
    ]);
    expect(g.of(null)).toBe('none');
  });

  it('never carry free text: anything that is not an identifier reads other', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (s) => {
        const v = new LabelGuard(1000).of(s);
        expect(v === s ? /^[A-Za-z0-9/][A-Za-z0-9._:/{}-]{0,79}$/.test(s) : v === 'other').toBe(true);
      }),
    );
  });

  it('bound the series count however many distinct partners, codes, kinds and routes are fed', async () => {
    const m = new HubMetrics({ processMetrics: false, maxLabelValues: 20 });
    for (let i = 0; i < 5000; i++) {
      m.observeHttp({
        partnerId: `partner-${i}`,
        method: 'POST',
        ...(i % 2 ? { status: 100 + (i % 600) } : { error: `code_${i}` }),
        durationMs: i % 100,
        bytesSent: 10,
        bytesReceived: 20,
      });
      m.observeJob({
        kind: `kind.${i}`,
        partnerId: `partner-${i}`,
        outcome: i % 3 ? 'ok' : 'retry',
        code: `err_${i}`,
        durationMs: 5,
      });
      m.observeApi(`/v1/route-${i}`, 'GET', 200 + (i % 300), 3);
    }
    const text = (await m.render()).body;
    const all = series(text);
    // Each metric's series are bounded by the product of its guards, far below the 15,000 fed.
    expect(all.length).toBeLessThan(4000);
    const partners = new Set(
      all.map((s) => /partner="([^"]*)"/.exec(s)?.[1]).filter((p): p is string => p !== undefined),
    );
    expect(partners.size).toBeLessThanOrEqual(21);
    expect(partners.has('other')).toBe(true);
  });

  it('count a partner call by outcome and status, and a transport failure by its code', async () => {
    const m = new HubMetrics({ processMetrics: false });
    m.observeHttp({
      partnerId: 'carrier-alpha',
      method: 'POST',
      status: 503,
      durationMs: 12,
      bytesSent: 100,
      bytesReceived: 30,
    });
    m.observeHttp({
      partnerId: 'carrier-alpha',
      method: 'POST',
      error: 'partner_timeout',
      durationMs: 1000,
      bytesSent: 100,
      bytesReceived: 0,
    });
    const text = (await m.render()).body;
    expect(text).toContain(
      'waygate_partner_requests_total{partner="carrier-alpha",method="POST",outcome="server_error",code="503"} 1',
    );
    expect(text).toContain(
      'waygate_partner_requests_total{partner="carrier-alpha",method="POST",outcome="transport_error",code="partner_timeout"} 1',
    );
    expect(text).toContain(
      'waygate_partner_payload_bytes_total{partner="carrier-alpha",direction="sent"} 200',
    );
  });

  it('read queue depth, oldest age, dead letters and channel state when scraped', async () => {
    const m = new HubMetrics({ processMetrics: false });
    const now = Date.now();
    m.setSources({
      queueStats: async () => [
        { kind: 'shipment.create', status: 'ready', count: 7, oldestCreatedAt: now - 90_000 },
        { kind: 'shipment.create', status: 'dead', count: 2, oldestCreatedAt: now - 1 },
      ],
      partners: () => [
        {
          id: 'carrier-alpha',
          tier: 'A',
          suspendedUntil: null,
          channels: [
            {
              name: 'primary',
              url: 'x',
              state: 'open',
              active: false,
              consecutiveFailures: 6,
              calls: 10,
              failures: 6,
              rateLimitedUntil: new Date(now + 30_000).toISOString(),
              lastProbe: { at: new Date(now - 5000).toISOString(), ok: false, latencyMs: 40 },
            },
          ],
        },
      ],
    });
    const text = (await m.render()).body;
    expect(text).toContain('waygate_queue_jobs{interface="shipment.create",status="ready"} 7');
    expect(text).toContain('waygate_dead_letters{interface="shipment.create"} 2');
    expect(text).toMatch(/waygate_queue_oldest_job_age_seconds\{interface="shipment.create"\} (8\d|9\d)/);
    expect(text).toContain('waygate_channel_up{partner="carrier-alpha",tier="A",channel="primary"} 0');
    expect(text).toContain(
      'waygate_channel_circuit_state{partner="carrier-alpha",channel="primary",state="open"} 1',
    );
    expect(text).toContain('waygate_probe_success{partner="carrier-alpha",channel="primary"} 0');
    expect(text).toMatch(
      /waygate_rate_limit_gate_seconds\{partner="carrier-alpha",channel="primary"\} (29|30)/,
    );
  });
});
