/**
 * Reports [003-8.1]: a month's per-partner error breakdown from the statistics API, and the daily
 * and weekly run reports from the operations API (`/v1/reports/daily|weekly`).
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs, session } from '../api';
import { LANGUAGES } from '../i18n';
import { ErrorNote, PageTitle, TableBox, can, useFormat, useLoad } from '../ui';

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

interface ReportRow {
  iface: string;
  partner: string;
  tier: string | null;
  calls: number;
  successRate: number;
  slaMet: boolean | null;
  p95: number;
  deadLetters: number;
  incidents: number;
}

interface RunReport {
  label: string;
  total: ReportRow;
  rows: ReportRow[];
  partnersMeetingSla: { met: number; of: number };
}

const thisMonth = () => new Date().toISOString().slice(0, 7);

export function Reports({ permissions }: { permissions: string[] }) {
  const { t } = useTranslation();
  const f = useFormat();
  const [month, setMonth] = useState(thisMonth());
  const breakdown = useLoad(() => api<Breakdown>('GET', `/v1/stats/partner-errors${qs({ month })}`), month);
  const b = breakdown.data;
  return (
    <section>
      <PageTitle title={t('reports.title')} help={t('reports.help')} />
      {can(permissions, 'partners:read') && (
        <>
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
        </>
      )}
      {can(permissions, 'reports:read') && <RunReports />}
    </section>
  );
}

const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

/** The daily and weekly run reports: read here, or downloaded as HTML or CSV with the session. */
function RunReports() {
  const { t, i18n } = useTranslation();
  const f = useFormat();
  const [period, setPeriod] = useState<'daily' | 'weekly'>('daily');
  const [date, setDate] = useState(yesterday());
  const [lang, setLang] = useState(i18n.language === 'zh-CN' ? 'zh-CN' : 'en');
  const [error, setError] = useState<unknown>();
  const path = (format: string) => `/v1/reports/${period}${qs({ date, lang, format })}`;
  const report = useLoad(() => api<RunReport>('GET', path('json')), `${period}|${date}|${lang}`);
  // A link cannot carry the session header: fetch the file, then hand it to the browser.
  const download = async (format: 'html' | 'csv') => {
    setError(undefined);
    try {
      const res = await fetch(path(format), {
        headers: { authorization: `Bearer ${session.token() ?? ''}` },
        credentials: 'omit',
        cache: 'no-store',
      });
      if (!res.ok) throw new Error(String(res.status));
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `waygate-${period}-${date}.${lang}.${format}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e);
    }
  };
  const r = report.data;
  return (
    <>
      <h2>{t('reports.runReports')}</h2>
      <div className="filters">
        <label>
          {t('reports.period')}
          <select
            value={period}
            onChange={(e) => setPeriod(e.target.value === 'weekly' ? 'weekly' : 'daily')}
          >
            <option value="daily">{t('reports.kinds.daily')}</option>
            <option value="weekly">{t('reports.kinds.weekly')}</option>
          </select>
        </label>
        <label>
          {t('reports.date')}
          <input type="date" value={date} onChange={(e) => e.target.value && setDate(e.target.value)} />
        </label>
        <label>
          {t('reports.language')}
          <select value={lang} onChange={(e) => setLang(e.target.value)}>
            {LANGUAGES.map((l) => (
              <option key={l.code} value={l.code}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void download('html')}>
          {t('reports.download', { format: 'HTML' })}
        </button>
        <button type="button" onClick={() => void download('csv')}>
          {t('reports.download', { format: 'CSV' })}
        </button>
      </div>
      <ErrorNote error={report.error ?? error} />
      {r && (
        <>
          <p>
            <strong>{r.label}</strong> · {t('reports.calls')} {f.number(r.total.calls)} ·{' '}
            {t('reports.successRate')} {f.percent(r.total.successRate)} · {t('reports.sla')}{' '}
            {t('reports.slaOf', { met: r.partnersMeetingSla.met, of: r.partnersMeetingSla.of })}
          </p>
          {r.rows.length === 0 ? (
            <p className="muted">{t('reports.none')}</p>
          ) : (
            <TableBox>
              <table>
                <thead>
                  <tr>
                    <th>{t('reports.iface')}</th>
                    <th>{t('common.partner')}</th>
                    <th>{t('reports.calls')}</th>
                    <th>{t('reports.successRate')}</th>
                    <th>{t('reports.p95')}</th>
                    <th>{t('reports.slaShort')}</th>
                    <th>{t('reports.deadLetters')}</th>
                    <th>{t('reports.incidents')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.rows.map((x) => (
                    <tr key={`${x.iface}|${x.partner}`}>
                      <td>{x.iface}</td>
                      <td>
                        {x.partner}
                        {x.tier ? ` (${x.tier})` : ''}
                      </td>
                      <td>{f.number(x.calls)}</td>
                      <td>{f.percent(x.successRate)}</td>
                      <td>{f.ms(x.p95)}</td>
                      <td>{x.slaMet === null ? '—' : x.slaMet ? t('common.yes') : t('common.no')}</td>
                      <td>{f.number(x.deadLetters)}</td>
                      <td>{f.number(x.incidents)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableBox>
          )}
        </>
      )}
    </>
  );
}
