/** Orders and shipments: search, then one order with its tracking timeline, customs status and history. */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api';
import { ErrorNote, PageTitle, TableBox, useFormat, useLoad } from '../ui';

const STATUSES = [
  'needs_data',
  'accepted',
  'awaiting_stock',
  'at_warehouse',
  'failed',
  'cancelled',
  'waybill_issued',
  'in_transit',
  'customs_processing',
  'customs_held',
  'out_for_delivery',
  'delivery_failed',
  'available_for_pickup',
  'delivered',
  'returning',
  'returned',
  'exception',
];

interface OrderSummary {
  id: string;
  source: string;
  externalId: string;
  status: string;
  currency: string;
  totalValue: string;
  destinationCountry: string;
  createdAt: string;
  updatedAt: string;
}

interface TrackingEvent {
  eventId: string;
  code: string;
  stage: string;
  partnerCode: string;
  description: string;
  occurredAt: string;
  location?: { city?: string; country?: string };
}

interface OrderDetailView extends OrderSummary {
  recipient: Record<string, string>;
  items: Array<{ sku: string; description: string; quantity: number; unitPrice: string }>;
  placedAt: string | null;
  shipments: Array<{
    id: string;
    carrier: string;
    waybillNo: string;
    status: string;
    estimatedDelivery: string | null;
    lastEventAt: string | null;
    createdAt: string;
  }>;
  tracking: { status: string | null; events: number; estimatedDelivery: string | null };
  customs: { status: string };
  history: Array<{ at: string; status: string; note: string }>;
}

interface Search {
  q: string;
  status: string;
  source: string;
  country: string;
  from: string;
  to: string;
}

const EMPTY: Search = { q: '', status: '', source: '', country: '', from: '', to: '' };
const isoOf = (day: string, end = false) =>
  day ? new Date(`${day}T00:00:00Z`).getTime() + (end ? 86_400_000 : 0) : undefined;

export function Orders() {
  const { t } = useTranslation();
  const f = useFormat();
  const [form, setForm] = useState<Search>(EMPTY);
  const [search, setSearch] = useState<Search>(EMPTY);
  const [cursor, setCursor] = useState<string>();
  const list = useLoad(
    () => {
      const from = isoOf(search.from);
      const to = isoOf(search.to, true);
      return api<{ data: OrderSummary[]; nextCursor: string | null }>(
        'GET',
        `/v1/orders${qs({
          q: search.q.trim(),
          status: search.status,
          source: search.source.trim(),
          country: search.country.trim().toUpperCase(),
          from: from === undefined ? undefined : new Date(from).toISOString(),
          to: to === undefined ? undefined : new Date(to).toISOString(),
          cursor,
          limit: 50,
        })}`,
      );
    },
    JSON.stringify([search, cursor]),
  );
  const set = (k: keyof Search) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCursor(undefined);
    setSearch(form);
  };
  return (
    <section>
      <PageTitle title={t('orders.title')} help={t('orders.help')} />
      <form className="filters" onSubmit={submit}>
        <label>
          {t('orders.q')}
          <input value={form.q} onChange={set('q')} placeholder={t('orders.qPlaceholder')} maxLength={100} />
        </label>
        <label>
          {t('orders.status')}
          <select value={form.status} onChange={set('status')}>
            <option value="">{t('common.any')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('common.source')}
          <input value={form.source} onChange={set('source')} />
        </label>
        <label>
          {t('orders.country')}
          <input value={form.country} onChange={set('country')} maxLength={2} />
        </label>
        <label>
          {t('orders.from')}
          <input type="date" value={form.from} onChange={set('from')} />
        </label>
        <label>
          {t('orders.to')}
          <input type="date" value={form.to} onChange={set('to')} />
        </label>
        <button type="submit">{t('common.search')}</button>
      </form>
      <ErrorNote error={list.error} />
      {list.data?.data.length === 0 && <p className="muted">{t('orders.none')}</p>}
      {list.data && list.data.data.length > 0 && (
        <TableBox>
          <table>
            <thead>
              <tr>
                <th>{t('orders.order')}</th>
                <th>{t('common.source')}</th>
                <th>{t('orders.externalId')}</th>
                <th>{t('orders.status')}</th>
                <th>{t('orders.country')}</th>
                <th>{t('orders.total')}</th>
                <th>{t('orders.created')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((o) => (
                <tr key={o.id}>
                  <td className="mono">
                    <a href={`#/orders/${encodeURIComponent(o.id)}`}>{o.id}</a>
                  </td>
                  <td>{o.source}</td>
                  <td>{o.externalId}</td>
                  <td>{t(`status.${o.status}`, { defaultValue: o.status })}</td>
                  <td>{o.destinationCountry}</td>
                  <td>
                    {o.totalValue} {o.currency}
                  </td>
                  <td>{f.dateTime(o.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
      <div className="pager">
        {cursor && (
          <button type="button" onClick={() => setCursor(undefined)}>
            {t('common.first')}
          </button>
        )}
        {list.data?.nextCursor && (
          <button type="button" onClick={() => setCursor(list.data?.nextCursor ?? undefined)}>
            {t('common.next')}
          </button>
        )}
      </div>
    </section>
  );
}

export function OrderDetail({ id, canTrack }: { id: string; canTrack: boolean }) {
  const { t } = useTranslation();
  const f = useFormat();
  const order = useLoad(
    () => api<OrderDetailView>('GET', `/v1/orders/${encodeURIComponent(id)}`),
    id,
    15_000,
  );
  const o = order.data;
  const first = o?.shipments[0];
  const tracking = useLoad(
    () =>
      first && canTrack
        ? api<{ events: TrackingEvent[] }>(
            'GET',
            `/v1/shipments/${encodeURIComponent(first.waybillNo)}/tracking${qs({ carrier: first.carrier })}`,
          )
        : Promise.resolve({ events: [] as TrackingEvent[] }),
    `${first?.carrier ?? ''}|${first?.waybillNo ?? ''}|${o?.updatedAt ?? ''}`,
  );
  return (
    <section>
      <PageTitle title={t('orders.detailTitle', { id })} help={t('orders.detailHelp')}>
        <a href="#/orders">{t('common.back')}</a>
      </PageTitle>
      <ErrorNote error={order.error ?? tracking.error} />
      {o && (
        <>
          <dl className="facts">
            <dt>{t('orders.status')}</dt>
            <dd data-testid="order-status">{t(`status.${o.status}`, { defaultValue: o.status })}</dd>
            <dt>{t('common.source')}</dt>
            <dd>
              {o.source} · {o.externalId}
            </dd>
            <dt>{t('orders.total')}</dt>
            <dd>
              {o.totalValue} {o.currency}
            </dd>
            <dt>{t('orders.recipient')}</dt>
            <dd>{[o.recipient.name, o.recipient.city, o.recipient.country].filter(Boolean).join(', ')}</dd>
            <dt>{t('orders.customs')}</dt>
            <dd>{t(`customs.${o.customs.status}`, { defaultValue: o.customs.status })}</dd>
            <dt>{t('orders.eta')}</dt>
            <dd>{o.tracking.estimatedDelivery ?? '—'}</dd>
            <dt>{t('orders.created')}</dt>
            <dd>{f.dateTime(o.createdAt)}</dd>
          </dl>
          <h2>{t('orders.shipments')}</h2>
          {o.shipments.length === 0 ? (
            <p className="muted">{t('orders.noShipment')}</p>
          ) : (
            <TableBox>
              <table>
                <thead>
                  <tr>
                    <th>{t('orders.carrier')}</th>
                    <th>{t('orders.waybill')}</th>
                    <th>{t('orders.status')}</th>
                    <th>{t('orders.lastEvent')}</th>
                  </tr>
                </thead>
                <tbody>
                  {o.shipments.map((s) => (
                    <tr key={s.id}>
                      <td>{s.carrier}</td>
                      <td className="mono">{s.waybillNo}</td>
                      <td>{t(`shipmentStatus.${s.status}`, { defaultValue: s.status })}</td>
                      <td>{f.dateTime(s.lastEventAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableBox>
          )}
          {first && (
            <>
              <h2>{t('orders.timeline')}</h2>
              {tracking.data?.events.length === 0 && <p className="muted">{t('orders.noEvents')}</p>}
              <ol className="timeline">
                {[...(tracking.data?.events ?? [])].reverse().map((e) => (
                  <li key={e.eventId}>
                    <time>{f.dateTime(e.occurredAt)}</time>
                    <strong>{t(`tracking.${e.code}`, { defaultValue: e.code })}</strong>
                    <span className="muted">
                      {[e.location?.city, e.location?.country].filter(Boolean).join(', ')} {e.description}
                    </span>
                  </li>
                ))}
              </ol>
            </>
          )}
          <h2>{t('orders.history')}</h2>
          <ol className="timeline">
            {o.history.map((h, i) => (
              <li key={i}>
                <time>{f.dateTime(h.at)}</time>
                <strong>{t(`status.${h.status}`, { defaultValue: h.status })}</strong>
                <span className="muted">{h.note}</span>
              </li>
            ))}
          </ol>
          <h2>{t('orders.items')}</h2>
          <TableBox>
            <table>
              <thead>
                <tr>
                  <th>{t('orders.sku')}</th>
                  <th>{t('orders.description')}</th>
                  <th>{t('orders.quantity')}</th>
                  <th>{t('orders.unitPrice')}</th>
                </tr>
              </thead>
              <tbody>
                {o.items.map((it) => (
                  <tr key={it.sku}>
                    <td className="mono">{it.sku}</td>
                    <td>{it.description}</td>
                    <td>{it.quantity}</td>
                    <td>{it.unitPrice}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
        </>
      )}
    </section>
  );
}
