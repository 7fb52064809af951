// Fills a Waygate SQLite store with `count` finished orders, fast: the rows of one real order
// (taken by the hub through the normal path, so sealed fields and JSON are exactly what the
// hub writes) are cloned with INSERT … SELECT in large transactions. Per order: the order, its
// two history rows, its shipment, its label-created tracking event and the carrier push that
// brought it. The audit log is not cloned: its hash chain cannot be copied row by row.
import Database from 'better-sqlite3';

const BATCH = 100_000;

export function prefillSqlite(file, count, templateExternalId) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // Filling a benchmark store; the hub reopens it with its own synchronous=FULL afterwards.
  db.pragma('synchronous = OFF');
  const order = db.prepare('SELECT * FROM orders WHERE external_id = ?').get(templateExternalId);
  if (!order) throw new Error(`template order ${templateExternalId} is not in the store`);
  const shipment = db.prepare('SELECT * FROM shipments WHERE order_id = ?').get(order.id);
  if (!shipment) throw new Error(`template order ${templateExternalId} has no shipment yet`);
  const hasEvent = db.prepare('SELECT 1 FROM tracking_events WHERE waybill_no = ?').get(shipment.waybill_no);
  const span = 30 * 86_400_000; // the pre-filled orders are spread over the last 30 days
  const seq = `WITH RECURSIVE seq(n) AS (SELECT @from UNION ALL SELECT n + 1 FROM seq WHERE n < @to)`;
  const age = `(@span * (@count - n) / @count)`;
  const statements = [
    `${seq} INSERT INTO orders SELECT printf('ord_00pf%022d', n), o.source, printf('prefill-%d', n), o.status,
       o.currency, o.total_value, o.destination_country, o.recipient, o.items, o.placed_at,
       o.created_at - ${age}, o.updated_at - ${age}, o.recipient_email_bidx, o.recipient_phone_bidx
     FROM seq, orders o WHERE o.id = @orderId`,
    `${seq} INSERT INTO order_history (order_id, at, status, note)
       SELECT printf('ord_00pf%022d', n), h.at - ${age}, h.status, h.note
       FROM seq, order_history h WHERE h.order_id = @orderId`,
    `${seq} INSERT INTO shipments SELECT printf('shp_00pf%022d', n), printf('ord_00pf%022d', n), s.carrier,
       printf('PF%010d', n), s.status, s.label_url, s.estimated_delivery, s.last_event_at - ${age},
       s.next_poll_at, s.created_at - ${age}, s.updated_at - ${age}
     FROM seq, shipments s WHERE s.id = @shipmentId`,
    ...(hasEvent
      ? [
          `${seq} INSERT INTO tracking_events SELECT printf('evt_00pf%022d', n), e.carrier, printf('PF%010d', n),
             printf('scn_pf%d', n), e.code, e.stage, e.partner_code, e.description, e.occurred_at - ${age},
             e.detail, e.received_at - ${age}
           FROM seq, tracking_events e WHERE e.waybill_no = @waybill`,
          `${seq} INSERT INTO inbound_messages SELECT printf('msg_00pf%022d', n), m.partner_id, m.kind,
             printf('prefill-%d', n), m.received_at - ${age}, m.body
           FROM seq, (SELECT * FROM inbound_messages WHERE kind = 'inbound.tracking' LIMIT 1) m`,
        ]
      : []),
  ].map((text) => db.prepare(text));
  // Columns are listed by position above: refuse a schema that has moved on.
  const columns = (t) => db.prepare(`SELECT count(*) AS n FROM pragma_table_info('${t}')`).get().n;
  const expected = { orders: 14, shipments: 11, tracking_events: 11, inbound_messages: 6 };
  for (const [t, n] of Object.entries(expected))
    if (columns(t) !== n)
      throw new Error(
        `prefill: table ${t} has ${columns(t)} columns, expected ${n}; update bench/lib/prefill.mjs`,
      );
  const fill = db.transaction((from, to) => {
    for (const s of statements)
      s.run({
        from,
        to,
        count,
        span,
        orderId: order.id,
        shipmentId: shipment.id,
        waybill: shipment.waybill_no,
      });
  });
  for (let from = 1; from <= count; from += BATCH) fill(from, Math.min(count, from + BATCH - 1));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
