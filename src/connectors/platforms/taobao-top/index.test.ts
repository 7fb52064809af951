import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WaygateError } from '../../../domain/index.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../../http.js';
import { createConnector } from './index.js';
import {
  offlineSendParams,
  parseTopJson,
  readTopEnvelope,
  topTime,
  topTradeToCanonical,
  tradesOf,
} from './mapper.js';
import { signTop, topSignBase, verifyTop } from './signature.js';

const text = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** The TOP documentation's worked example (API调用方法详解). */
const DOC_PARAMS = {
  method: 'taobao.item.seller.get',
  app_key: '12345678',
  session: 'test',
  timestamp: '2016-01-01 12:00:00',
  format: 'json',
  v: '2.0',
  sign_method: 'md5',
  fields: 'num_iid,title,nick,price,num',
  num_iid: '11223344',
};

describe('TOP signing', () => {
  it('reproduces the documented md5 example 66987CB115214E59E6EC978214934FB8', () => {
    expect(topSignBase(DOC_PARAMS)).toBe(
      'app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0',
    );
    expect(signTop(DOC_PARAMS, 'helloworld', 'md5')).toBe('66987CB115214E59E6EC978214934FB8');
  });

  it('signs hmac (HMAC-MD5, not wrapped) and hmac-sha256 over the same sorted string', () => {
    expect(signTop({ ...DOC_PARAMS, sign_method: 'hmac' }, 'helloworld', 'hmac')).toBe(
      'D56D7858309C31B6251083A874D48273',
    );
    expect(signTop({ ...DOC_PARAMS, sign_method: 'hmac-sha256' }, 'helloworld', 'hmac-sha256')).toBe(
      '04DB15AD0774D5CFCE2C837DE43E3FCEA9011ED74F3038FB6AB5F3C4CEA119E8',
    );
  });

  it('orders names by ASCII (foo_bar before foobar), skips empty values and the sign itself', () => {
    expect(topSignBase({ foo: '1', bar: '2', foo_bar: '3', foobar: '4', empty: '', sign: 'X' })).toBe(
      'bar2foo1foo_bar3foobar4',
    );
  });

  it('rejects a tampered parameter or a wrong secret, for every method and any parameters', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), fc.string({ minLength: 1, maxLength: 20 }), {
          minKeys: 1,
        }),
        fc.constantFrom('md5' as const, 'hmac' as const, 'hmac-sha256' as const),
        (params, method) => {
          const sign = signTop(params, 'secret', method);
          const signed = { ...params, sign };
          const key = Object.keys(params)[0] as string;
          const tampered = { ...signed, [key]: `${params[key]}x` };
          return (
            verifyTop(signed, 'secret', method) &&
            !verifyTop(tampered, 'secret', method) &&
            !verifyTop(signed, 'secret2', method)
          );
        },
      ),
    );
  });

  it('formats timestamps in Beijing time', () => {
    expect(topTime(Date.parse('2016-01-01T04:00:00Z'))).toBe('2016-01-01 12:00:00');
  });
});

describe('TOP trade mapping', () => {
  it('maps a sold trade to the canonical order, its 19-digit tid exact', () => {
    const env = readTopEnvelope(
      parseTopJson(text('trades-sold-increment.top.json')),
      'trades_sold_increment_get_response',
    );
    if (!env?.ok) throw new Error('expected the response');
    const page = tradesOf(env.value);
    expect(page?.hasNext).toBe(true);
    expect(topTradeToCanonical(page?.trades[0], 'taobao-top')).toEqual(
      JSON.parse(text('trade.canonical.json')),
    );
  });

  it('names every trade field it cannot map, and refuses a trade not waiting to ship', () => {
    let err: unknown;
    try {
      topTradeToCanonical(
        {
          tid: 12,
          status: 'WAIT_BUYER_PAY',
          created: '28/11/2026',
          receiver_name: '',
          orders: { order: [{ title: 'x', num: 0, price: 3 }] },
        },
        'taobao-top',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WaygateError);
    const fields = ((err as WaygateError).details as { errors: { field: string }[] }).errors.map(
      (e) => e.field,
    );
    expect(fields).toEqual(
      expect.arrayContaining([
        '/status',
        '/created',
        '/receiver_name',
        '/receiver_city',
        '/receiver_address',
        '/orders/order/0/outer_sku_id',
        '/orders/order/0/num',
        '/orders/order/0/price',
      ]),
    );
  });

  it('builds the logistics send-back parameters', () => {
    expect(offlineSendParams('3912345678901234567', 'YT2412345678901', 'YUNEXPRESS')).toEqual({
      method: 'taobao.logistics.offline.send',
      tid: '3912345678901234567',
      out_sid: 'YT2412345678901',
      company_code: 'YUNEXPRESS',
    });
  });
});

describe('TOP connector', () => {
  const sent: HttpRequest[] = [];
  const http = (body: string): HttpClient => ({
    async send(r) {
      sent.push(r);
      return { status: 200, headers: {}, body } satisfies HttpResponse;
    },
    close: async () => undefined,
  });
  const endpoint = {
    partnerId: 'taobao-top',
    baseUrl: 'https://gw.api.taobao.com',
    credentials: { appKey: '12345678', appSecret: 'helloworld', session: 'sess-1' },
  };

  it('pulls a page of trades with a signed request and hands back the next page', async () => {
    sent.length = 0;
    const top = createConnector(endpoint, http(text('trades-sold-increment.top.json')));
    const page = await top.pullOrders('2026-11-28T00:00:00Z');
    expect(page.orders.map((o) => o.externalId)).toEqual(['3912345678901234567']);
    expect(page.next).toMatch(/-2$/);
    const params = Object.fromEntries(new URLSearchParams(sent[0]?.body ?? ''));
    expect(sent[0]?.url).toBe('https://gw.api.taobao.com/router/rest');
    expect(verifyTop(params, 'helloworld', 'md5')).toBe(true);
    expect(params).toMatchObject({
      method: 'taobao.trades.sold.increment.get',
      status: 'WAIT_SELLER_SEND_GOODS',
      page_no: '1',
    });
  });

  it('walks a long catch-up one day-window at a time and ends at the window that reached the present', async () => {
    const empty = JSON.stringify({
      trades_sold_increment_get_response: { has_next: false, request_id: 'r1' },
    });
    const windows: Array<[string, string]> = [];
    const top = createConnector(endpoint, {
      async send(r) {
        const p = Object.fromEntries(new URLSearchParams(r.body ?? ''));
        windows.push([p.start_modified!, p.end_modified!]);
        // Time passes between calls, as it does: a window ending "now" is already past at the next.
        await new Promise((resolve) => setTimeout(resolve, 3));
        return { status: 200, headers: {}, body: empty } satisfies HttpResponse;
      },
      close: async () => undefined,
    });
    let page = await top.pullOrders(new Date(Date.now() - 2.5 * 24 * 3600_000).toISOString());
    for (let i = 0; i < 10 && page.next; i++) page = await top.pullOrders('ignored', page.next);
    expect(page.next).toBeUndefined();
    // Two full days, then the half day up to the present; the job starts the next run from there.
    expect(windows).toHaveLength(3);
    expect(windows[1]![0]).toBe(windows[0]![1]);
    expect(windows[2]![0]).toBe(windows[1]![1]);
  });

  it('ends the feed after the last page of a window, however long the pages took', async () => {
    const empty = JSON.stringify({
      trades_sold_increment_get_response: { has_next: false, request_id: 'r2' },
    });
    const top = createConnector(endpoint, http(empty));
    // Page 3 of a window that ended a minute ago: the next run starts again from the job's `since`.
    const to = Date.now() - 60_000;
    const page = await top.pullOrders('ignored', `${to - 3600_000}-${to}-3`);
    expect(page.next).toBeUndefined();
  });

  it('sends the shipment back and reads its confirmation', async () => {
    const top = createConnector(endpoint, http(text('logistics-offline-send.top.json')));
    await expect(
      top.sendFulfilment({
        externalOrderId: '3912345678901234567',
        waybillNo: 'YT1',
        carrierName: 'yunexpress',
        status: 'info_received',
      }),
    ).resolves.toEqual({ partnerRef: '3912345678901234567' });
  });

  it.each([
    ['error-rate-limited.top.json', { code: 'partner_rate_limited', retryable: true, retryAfterMs: 29_000 }],
    ['error-isp.top.json', { code: 'partner_server_error', retryable: true }],
    ['error-invalid-session.top.json', { code: 'partner_auth_failed', retryable: false }],
    [
      'error-isv.top.json',
      { code: 'partner_rejected', retryable: false, partnerCode: 'isv.logistics-offline-service-error:B04' },
    ],
  ])('maps the error envelope %s', async (file, expected) => {
    const top = createConnector(endpoint, http(text(file)));
    const err = await top
      .sendFulfilment({ externalOrderId: '1', waybillNo: 'W', carrierName: 'x', status: 'in_transit' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject(expected);
    expect(JSON.stringify(err)).not.toContain('helloworld');
    expect(JSON.stringify(err)).not.toContain('sess-1');
  });
});
