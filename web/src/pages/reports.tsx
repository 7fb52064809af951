/**
 * Reports [003-8.1]: a month's per-partner error breakdown from the statistics API, and the daily
 * and weekly run reports from the operations API (`/v1/reports`) where the hub offers it.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, qs } from '../api';
import { ErrorNote, PageTitle, TableBox, useFormat, useLoad } from '../ui';

interface Breakdown {
  month: string;
  partners: Array<{
    partner: string;
    shipments: number;
    byStatus: Record<string, number>;
    errors: number;
    errorRate: number | null;
    codes: Array<{ code: string; retrying: number; dead: number; total: number }>;
  }>;
  failedOrders: Array<{ source: string; count: number }>;
}

interface ReportItem {
  id?: string;
  kind?: string;
  period?: string;
  date?: string;
  lang?: string;
  url?: string;
  html?: string;
  csv?: string;
}

const thisMonth = () => new Date().toISOString().slice(0, 7);

export function Reports() {
  const { t } = useTranslation();
  const f = useFormat();
  const [month, setMonth] = useState(thisMonth());
  const breakdown = useLoad(() => api<Breakdown>('GET', `/v1/stats/partner-errors${qs({ month })}`), month);
  const reports = useLoad(() => api<{ data: ReportItem[] }>('GET', '/v1/reports'), 'reports');
  const b = breakdown.data;
  return (
    <section>
      <PageTitle title={t('reports.title')} help={t('reports.help')} />
      <h2>{t('reports.breakdown')}</h2>
      <label className="inline">
        {t('reports.month')}
        <input type="month" value={month} onChange={(e) => e.target.value && setMonth(e.target.value)} />
      </label>
      <ErrorNote error={breakdown.error} />
      {b && b.partners.length === 0 && <p className="muted">{t('reports.noData')}</p>}
      {b && b.partners.length > 0 && (
        <TableBox>
          <table>
            <thead>
              <tr>
                <th>{t('common.partner')}</th>
                <th>{t('reports.shipments')}</th>
                <th>{t('reports.errors')}</th>
                <th>{t('reports.errorRate')}</th>
                <th>{t('reports.codes')}</th>
              </tr>
            </thead>
            <tbody>
              {b.partners.map((p) => (
                <tr key={p.partner}>
                  <td>{p.partner}</td>
                  <td>{f.number(p.shipments)}</td>
                  <td>{f.number(p.errors)}</td>
                  <td>{f.percent(p.errorRate)}</td>
                  <td>
                    {p.codes.length === 0
                      ? '—'
                      : p.codes.map((c) => (
                          <div key={c.code}>
                            <span className="mono">{c.code}</span>{' '}
                            {t('reports.codeCounts', {
                              retrying: f.number(c.retrying),
                              dead: f.number(c.dead),
                            })}
                          </div>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
      {b && b.failedOrders.length > 0 && (
        <>
          <h3>{t('reports.failedOrders')}</h3>
          <ul>
            {b.failedOrders.map((x) => (
              <li key={x.source}>
                {x.source}: {f.number(x.count)}
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>{t('reports.runReports')}</h2>
      {reports.error instanceof ApiError && reports.error.code === 'route_not_found' ? (
        <p className="muted">{t('reports.notAvailable')}</p>
      ) : (
        <>
          <ErrorNote error={reports.error} />
          {reports.data?.data.length === 0 && <p className="muted">{t('reports.none')}</p>}
          <ul>
            {reports.data?.data.map((r, i) => (
              <li key={r.id ?? i}>
                {t(`reports.kinds.${r.kind ?? 'daily'}`, { defaultValue: r.kind ?? '' })}{' '}
                {r.period ?? r.date ?? ''} {r.lang ?? ''}{' '}
                {[r.html, r.csv, r.url]
                  .filter((u): u is string => typeof u === 'string' && u.startsWith('/v1/'))
                  .map((u) => (
                    <a key={u} href={u} target="_blank" rel="noopener noreferrer">
                      {u.endsWith('.csv') ? 'CSV' : 'HTML'}
                    </a>
                  ))}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
