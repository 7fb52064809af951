/** Queues' dead letters: list, inspect, edit and replay, or discard with a reason. */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api';
import { ErrorNote, JsonBlock, PageTitle, TableBox, useFormat, useLoad } from '../ui';

interface DeadError {
  code: string;
  message: string;
  partnerId?: string;
  status?: number;
  partnerCode?: string;
  partnerMessage?: string;
}

interface DeadSummary {
  id: string;
  kind: string;
  partnerId: string | null;
  orderId: string | null;
  attempts: number;
  maxAttempts: number;
  error: DeadError | null;
  createdAt: string;
  deadAt: string;
}

interface DeadDetail extends DeadSummary {
  payload: unknown;
  history: Array<{
    at: string;
    attempt: number;
    outcome: string;
    error: DeadError | null;
    by?: string;
    edited?: string[];
  }>;
  order: {
    id: string;
    status: string;
    destinationCountry: string;
    currency: string;
    totalValue: string;
    recipient: Record<string, string>;
    items: unknown[];
  } | null;
}

export function DeadLetters() {
  const { t } = useTranslation();
  const f = useFormat();
  const [kind, setKind] = useState('');
  const [partner, setPartner] = useState('');
  const [filter, setFilter] = useState({ kind: '', partner: '' });
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useLoad(
    () =>
      api<{ data: DeadSummary[]; nextCursor: string | null }>(
        'GET',
        `/v1/dlq${qs({ kind: filter.kind, partner: filter.partner, cursor, limit: 50 })}`,
      ),
    `${filter.kind}|${filter.partner}|${cursor ?? ''}`,
    10_000,
  );
  const search = (e: FormEvent) => {
    e.preventDefault();
    setCursor(undefined);
    setFilter({ kind, partner });
  };
  return (
    <section>
      <PageTitle title={t('dlq.title')} help={t('dlq.help')} />
      <form className="filters" onSubmit={search}>
        <label>
          {t('dlq.kind')}
          <input value={kind} onChange={(e) => setKind(e.target.value)} placeholder="shipment.create" />
        </label>
        <label>
          {t('common.partner')}
          <input value={partner} onChange={(e) => setPartner(e.target.value)} placeholder="carrier-alpha" />
        </label>
        <button type="submit">{t('common.search')}</button>
      </form>
      <ErrorNote error={list.error} />
      {list.data?.data.length === 0 && <p className="muted">{t('dlq.empty')}</p>}
      {list.data && list.data.data.length > 0 && (
        <TableBox>
          <table>
            <thead>
              <tr>
                <th>{t('dlq.job')}</th>
                <th>{t('dlq.kind')}</th>
                <th>{t('common.partner')}</th>
                <th>{t('dlq.error')}</th>
                <th>{t('dlq.attempts')}</th>
                <th>{t('dlq.deadAt')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((d) => (
                <tr key={d.id}>
                  <td className="mono">
                    <a href={`#/dlq/${encodeURIComponent(d.id)}`} data-testid="dead-letter-link">
                      {d.id}
                    </a>
                  </td>
                  <td>{d.kind}</td>
                  <td>{d.partnerId ?? '—'}</td>
                  <td>
                    {d.error
                      ? `${d.error.code}${d.error.partnerCode ? ` (${d.error.partnerCode})` : ''}`
                      : '—'}
                  </td>
                  <td>
                    {d.attempts} / {d.maxAttempts}
                  </td>
                  <td>{f.dateTime(d.deadAt)}</td>
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

export function DeadLetter({ id, canManage }: { id: string; canManage: boolean }) {
  const { t } = useTranslation();
  const f = useFormat();
  const detail = useLoad(() => api<DeadDetail>('GET', `/v1/dlq/${encodeURIComponent(id)}`), id);
  const [edit, setEdit] = useState('');
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<unknown>();
  const d = detail.data;

  const act = async (what: 'replay' | 'edit' | 'discard') => {
    setError(undefined);
    try {
      if (what === 'discard') {
        await api('POST', `/v1/dlq/${encodeURIComponent(id)}/discard`, { reason });
        setDone(t('dlq.discarded'));
      } else {
        let body: unknown = undefined;
        if (what === 'edit') {
          try {
            body = { edit: JSON.parse(edit) as unknown };
          } catch {
            setError(new Error('json'));
            setDone(undefined);
            return;
          }
        }
        await api('POST', `/v1/dlq/${encodeURIComponent(id)}/replay`, body);
        setDone(t('dlq.replayed'));
      }
    } catch (e) {
      setError(e);
    }
  };

  const startEdit = () => {
    if (!d?.order) return setEdit('{}');
    setEdit(JSON.stringify({ recipient: d.order.recipient, items: d.order.items }, null, 2));
  };

  return (
    <section>
      <PageTitle title={t('dlq.detailTitle', { id })} help={t('dlq.detailHelp')}>
        <a href="#/dlq">{t('common.back')}</a>
      </PageTitle>
      <ErrorNote error={detail.error} />
      {done && (
        <p className="ok" role="status" data-testid="dlq-done">
          {done}
        </p>
      )}
      {d && (
        <>
          <dl className="facts">
            <dt>{t('dlq.kind')}</dt>
            <dd>{d.kind}</dd>
            <dt>{t('common.partner')}</dt>
            <dd>{d.partnerId ?? '—'}</dd>
            <dt>{t('dlq.order')}</dt>
            <dd>{d.orderId ? <a href={`#/orders/${encodeURIComponent(d.orderId)}`}>{d.orderId}</a> : '—'}</dd>
            <dt>{t('dlq.attempts')}</dt>
            <dd>
              {d.attempts} / {d.maxAttempts}
            </dd>
            <dt>{t('dlq.deadAt')}</dt>
            <dd>{f.dateTime(d.deadAt)}</dd>
            <dt>{t('dlq.error')}</dt>
            <dd data-testid="dlq-error">
              {d.error
                ? `${d.error.code}${d.error.status ? ` · HTTP ${d.error.status}` : ''}${d.error.partnerCode ? ` · ${d.error.partnerCode}` : ''} — ${d.error.partnerMessage ?? d.error.message}`
                : '—'}
            </dd>
          </dl>
          <h2>{t('dlq.history')}</h2>
          <TableBox>
            <table>
              <thead>
                <tr>
                  <th>{t('dlq.at')}</th>
                  <th>{t('dlq.attempt')}</th>
                  <th>{t('dlq.outcome')}</th>
                  <th>{t('dlq.error')}</th>
                </tr>
              </thead>
              <tbody>
                {d.history.map((h, i) => (
                  <tr key={i}>
                    <td>{f.dateTime(h.at)}</td>
                    <td>{h.attempt}</td>
                    <td>
                      {t(`dlq.outcomes.${h.outcome}`, { defaultValue: h.outcome })}
                      {h.by ? ` · ${h.by}` : ''}
                    </td>
                    <td>{h.error ? `${h.error.code}: ${h.error.message}` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
          <h2>{t('dlq.payload')}</h2>
          <JsonBlock value={d.payload} />
          {d.order && (
            <>
              <h2>{t('dlq.orderContents')}</h2>
              <JsonBlock value={{ recipient: d.order.recipient, items: d.order.items }} />
            </>
          )}
          {canManage && !done && (
            <div className="actions">
              <ErrorNote error={error instanceof Error && error.message === 'json' ? undefined : error} />
              {error instanceof Error && error.message === 'json' && (
                <p className="error" role="alert">
                  {t('dlq.badJson')}
                </p>
              )}
              <button type="button" onClick={() => void act('replay')} data-testid="dlq-replay">
                {t('dlq.replay')}
              </button>
              <details
                className="edit"
                onToggle={(e) => (e.currentTarget.open && !edit ? startEdit() : undefined)}
              >
                <summary>{t('dlq.editReplay')}</summary>
                <p className="muted">{t('dlq.editHelp')}</p>
                <textarea
                  value={edit}
                  onChange={(e) => setEdit(e.target.value)}
                  rows={12}
                  spellCheck={false}
                />
                <button type="button" onClick={() => void act('edit')}>
                  {t('dlq.saveReplay')}
                </button>
              </details>
              <form
                className="discard"
                onSubmit={(e) => {
                  e.preventDefault();
                  void act('discard');
                }}
              >
                <label>
                  {t('dlq.reason')}
                  <input
                    value={reason}
                    onChange={(e) => setReason(e.target.value)}
                    required
                    maxLength={500}
                  />
                </label>
                <button type="submit" className="danger">
                  {t('dlq.discard')}
                </button>
              </form>
            </div>
          )}
        </>
      )}
    </section>
  );
}
