#!/usr/bin/env node
// The physical limit for the spine benchmark: a bare Node HTTP server that, for every order it
// receives, calls the same sandbox carrier through the same connector code as the hub (mapping,
// pooled HTTP, idempotency key, retries) and answers with the waybill — no persistence, no queue,
// no auth.
//   node bench/passthrough.mjs --sandbox-url URL [--port 0]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createHttpClient } from '../dist/connectors/http.js';
import { LOOPBACK_ALLOWED } from '../dist/domain/network-policy.js';
import { createConnector } from '../dist/connectors/carriers/carrier-alpha/index.js';

const { values } = parseArgs({
  options: { 'sandbox-url': { type: 'string' }, port: { type: 'string', default: '0' } },
});
const sandboxUrl = values['sandbox-url'];
const credentials = await (await fetch(`${sandboxUrl}/__credentials`)).json();
const alpha = createConnector(
  { partnerId: 'carrier-alpha', baseUrl: sandboxUrl, credentials: credentials['carrier-alpha'] },
  createHttpClient({ network: LOOPBACK_ALLOWED }),
);
let seq = 0;
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (body += d));
  req.on('end', async () => {
    try {
      const order = JSON.parse(body);
      const id = `pt-${process.pid}-${++seq}`;
      const weight = order.items.reduce((g, i) => g + i.weightGrams * i.quantity, 0);
      const request = {
        orderId: id,
        reference: order.externalId,
        idempotencyKey: id,
        recipient: order.recipient,
        items: order.items,
        currency: order.currency,
        declaredValue: '25.00',
        totalWeightGrams: weight,
      };
      // The same job as the hub's: a retryable failure (5xx, 429, connection) is tried again,
      // after 200, 400, 800, 1600 ms, five attempts in all.
      let created;
      for (let attempt = 1; ; attempt++) {
        try {
          created = await alpha.createShipment(request);
          break;
        } catch (err) {
          if (!err.retryable || attempt >= 5) throw err;
          await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
        }
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id, waybillNo: created.waybillNo }));
    } catch (err) {
      res
        .writeHead(502, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: String(err.message) }));
    }
  });
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`passthrough listening on http://127.0.0.1:${server.address().port}\n`);
});
