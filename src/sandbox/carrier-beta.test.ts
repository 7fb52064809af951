/**
 * The carrier-beta sandbox as a partner developer meets it: signed form posts on 127.0.0.1.
 */
import { createHmac } from 'node:crypto';
import Fastify from 'fastify';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { BETA_ACTIONS, BETA_REASONS } from '../connectors/carriers/carrier-beta/codes.js';
import { createCarrierBeta, s10CheckDigit } from './carrier-beta.js';
import { makeSandboxCredentials } from './credentials.js';
import type { SandboxContext, SandboxPartner } from './types.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const pad = (n: number) => String(n).padStart(2, '0');
function gmt8(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

interface CallOpts {
  secret?: string;
  appKey?: string;
  nowMs?: number;
  tamper?: (params: Record<string, string>) => void;
}

interface Started {
  beta: SandboxPartner;
  url: string;
  call(method: string, content: string, opts?: CallOpts): Promise<{ status: number; body: string }>;
}

async function start(stepMs = 20): Promise<Started> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  let url = '';
  const ctx: SandboxContext = { credentials: makeSandboxCredentials(), stepMs, baseUrl: () => url };
  const beta = createCarrierBeta(ctx);
  beta.register(app);
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(async () => {
    await beta.close();
    await app.close();
  });
  const { appKey, appSecret } = ctx.credentials['carrier-beta'];
  return {
    beta,
    url,
    async call(method, content, opts = {}) {
      const params: Record<string, string> = {
        method,
        app_key: opts.appKey ?? appKey,
        timestamp: gmt8(opts.nowMs ?? Date.now()),
        v: '2.0',
        format: 'xml',
        sign_method: 'hmac-sha256',
        content,
      };
      const base = Object.keys(params)
        .sort()
        .map((k) => `${k}${params[k]}`)
        .join('');
      params.sign = createHmac('sha256', opts.secret ?? appSecret)
        .update(base)
        .digest('hex')
        .toUpperCase();
      opts.tamper?.(params);
      const res = await request(`${url}/beta/router/rest`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params).toString(),
      });
      return { status: res.statusCode, body: await res.body.text() };
    },
  };
}

const createContent = (
  requestId: string,
  outOrderNo: string,
  over: { mobile?: string; name?: string } = {},
) => `
<request>
  <out_order_no>${outOrderNo}</out_order_no>
  <request_id>${requestId}</request_id>
  <service_code>BETA_STANDARD</service_code>
  <receiver><name>${over.name ?? 'Ana Souza'}</name><mobile>${over.mobile ?? '+5541999998888'}</mobile>
    <country>BR</country><city>Curitiba</city><address>Rua XV de Novembro 100</address><zip>80020-310</zip></receiver>
  <parcel><weight unit="g">420</weight><declare_currency>USD</declare_currency><declare_value>19.90</declare_value>
    <items><item><sku>CASE-01</sku><name_en>Phone case</name_en><qty>1</qty><unit_price>19.90</unit_price>
      <hs_code>392690</hs_code><origin>CN</origin><weight>420</weight></item></items></parcel>
</request>`;

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

describe('carrier-beta sandbox router', () => {
  it('computes the UPU S10 check digit (8,6,4,2,3,5,9,7; 10 -> 0, 11 -> 5)', () => {
    expect(s10CheckDigit('47312482')).toBe(9); // AA473124829GB, the UPU S10 example
    expect(s10CheckDigit('12345678')).toBe(5);
    expect(s10CheckDigit('00000001')).toBe(4);
  });

  it('creates a waybill with an S10 number whose check digit is valid', async () => {
    const s = await start();
    const res = await s.call('beta.waybill.create', createContent('rq-1', 'ord-1'));
    expect(res.status).toBe(200);
    const no = tag(res.body, 'waybill_no') ?? '';
    expect(no).toMatch(/^LB\d{9}CN$/);
    expect(Number(no[10])).toBe(s10CheckDigit(no.slice(2, 10)));
    expect(tag(res.body, 'label_url')).toBe(`${s.url}/beta/label/${no}.pdf`);
    const label = await request(`${s.url}/beta/label/${no}.pdf`);
    expect(label.headers['content-type']).toMatch(/application\/pdf/);
    expect((await label.body.text()).startsWith('%PDF-')).toBe(true);
  });

  it('rejects a request signed with the wrong secret (code 25) and counts it', async () => {
    const s = await start();
    const res = await s.call('beta.waybill.create', createContent('rq-1', 'ord-1'), {
      secret: 'not-the-secret',
    });
    expect(res.status).toBe(200);
    expect(tag(res.body, 'code')).toBe('25');
    expect(s.beta.stats()).toMatchObject({ signatureFailures: 1, shipmentsCreated: 0 });
  });

  it('rejects content tampered with after signing (code 25)', async () => {
    const s = await start();
    const res = await s.call('beta.waybill.create', createContent('rq-1', 'ord-1'), {
      tamper: (p) => {
        p.content = (p.content ?? '').replace('19.90', '1.99');
      },
    });
    expect(tag(res.body, 'code')).toBe('25');
    expect(s.beta.stats()).toMatchObject({ shipmentsCreated: 0 });
  });

  it('rejects a correctly signed but stale timestamp, more than 10 minutes old (code 31)', async () => {
    const s = await start();
    const res = await s.call('beta.waybill.create', createContent('rq-1', 'ord-1'), {
      nowMs: Date.now() - 11 * 60_000,
    });
    expect(tag(res.body, 'code')).toBe('31');
    expect(tag(res.body, 'msg')).toBe('Invalid Timestamp');
  });

  it('rejects an unknown app key (code 29)', async () => {
    const s = await start();
    const res = await s.call('beta.trace.query', '<request><waybill_nos>X</waybill_nos></request>', {
      appKey: '99999999',
    });
    expect(tag(res.body, 'code')).toBe('29');
  });

  it('refuses XXE and billion-laughs content as an isv.invalid-parameter:content error', async () => {
    const s = await start();
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' +
      '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><request><waybill_nos>&c;</waybill_nos></request>';
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><request><waybill_nos>&x;</waybill_nos></request>';
    for (const content of [laughs, xxe]) {
      const res = await s.call('beta.trace.query', content);
      expect(tag(res.body, 'code')).toBe('40');
      expect(tag(res.body, 'sub_code')).toBe('isv.invalid-parameter:content');
      expect(res.body).not.toContain('root:');
    }
    expect(s.beta.stats()).toMatchObject({ validationErrors: 2, traceQueries: 0 });
  });

  it('answers business validation errors as code 40 with an isv sub_code', async () => {
    const s = await start();
    const res = await s.call('beta.waybill.create', createContent('rq-1', 'ord-1', { mobile: '12-34' }));
    expect(tag(res.body, 'code')).toBe('40');
    expect(tag(res.body, 'sub_code')).toBe('isv.invalid-parameter:receiver.mobile');
    expect(tag(res.body, 'request_id')).toMatch(/^[0-9a-f]{12}$/);
    expect(s.beta.stats()).toMatchObject({ validationErrors: 1, shipmentsCreated: 0 });
  });

  it('refuses more than 50 waybills in one trace query', async () => {
    const s = await start();
    const nos = Array.from({ length: 51 }, (_, i) => `LB${String(i).padStart(8, '0')}0CN`).join(',');
    const res = await s.call('beta.trace.query', `<request><waybill_nos>${nos}</waybill_nos></request>`);
    expect(tag(res.body, 'sub_code')).toBe('isv.invalid-parameter:waybill_nos');
  });

  it('answers a real HTTP 503 once for the magic receiver "SANDBOX FAULT 503", then creates on retry', async () => {
    const s = await start();
    const content = createContent('rq-503', 'ord-503', { name: 'SANDBOX FAULT 503' });
    expect((await s.call('beta.waybill.create', content)).status).toBe(503);
    const retry = await s.call('beta.waybill.create', content);
    expect(retry.status).toBe(200);
    expect(s.beta.stats()).toMatchObject({ shipmentsCreated: 1, idempotentReplays: 0 });
  });

  it('renders every journey step with an action code the connector knows, up to SIGNED', async () => {
    const s = await start(5);
    const created = await s.call('beta.waybill.create', createContent('rq-t', 'ord-t'));
    const no = tag(created.body, 'waybill_no') ?? '';
    await new Promise((r) => setTimeout(r, 150));
    const res = await s.call(
      'beta.trace.query',
      `<request><waybill_nos>${no},LB000000014CN</waybill_nos></request>`,
    );
    const actions = [...res.body.matchAll(/<action>([^<]+)<\/action>/g)].map((m) => m[1] ?? '');
    expect(actions[0]).toBe('ACCEPT');
    expect(actions.at(-1)).toBe('SIGNED');
    for (const a of actions) expect(Object.keys(BETA_ACTIONS)).toContain(a);
    for (const r of res.body.matchAll(/<reason>([^<]+)<\/reason>/g))
      expect(Object.keys(BETA_REASONS)).toContain(r[1]);
    expect(res.body.match(/<trace>/g)).toHaveLength(1);
    expect(res.body).toMatch(/<next_carrier>Correios<\/next_carrier>/);
    expect(s.beta.stats()).toMatchObject({ traceQueries: 1 });
  });

  it('forgets everything on close()', async () => {
    const s = await start();
    await s.call('beta.waybill.create', createContent('rq-1', 'ord-1'));
    await s.beta.close();
    const again = await s.call('beta.waybill.create', createContent('rq-1', 'ord-1'));
    expect(tag(again.body, 'success')).toBe('true');
    expect(s.beta.stats()).toMatchObject({ idempotentReplays: 0 });
  });
});
