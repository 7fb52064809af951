/** Service quality at a glance [001-6.5]: live volume, success rate, latency and timeliness. */
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api';
import { Chart, type Line } from '../chart';
import { ErrorNote, PageTitle, TableBox, useFormat, useLoad } from '../ui';
import { PartnerStrip, type PartnerView } from './partners';

export interface Quality {
  totals: { received: number; failed: number; shipped: number; successRate: number | null; apiCalls: number };
  series: {
    at: string[];
    received: number[];
    failed: number[];
    successRate: Array<number | null>;
    apiCalls: number[];
    apiAvgMs: Array<number | null>;
    apiServerErrors: number[];
    carriers: Array<{
      carrier: string;
      shipments: number[];
      avgWaitMs: Array<number | null>;
      onTimeRate: Array<number | null>;
    }>;
  };
  interfaces: Array<{
    route: string;
    calls: number;
    clientErrors: number;
    serverErrors: number;
    successRate: number | null;
    avgMs: number | null;
    maxMs: number;
  }>;
  partners: Array<{
    partner: string;
    shipments: number;
    delivered: number;
    exceptions: number;
    avgWaitMs: number | null;
    onTimeRate: number | null;
  }>;
  sources: Array<{
    source: string;
    received: number;
    failed: number;
    cancelled: number;
    successRate: number | null;
  }>;
}

const WINDOWS = {
  '1h': { span: 3_600_000, bucket: '5m' },
  '24h': { span: 86_400_000, bucket: '1h' },
  '7d': { span: 7 * 86_400_000, bucket: '1h' },
  '30d': { span: 30 * 86_400_000, bucket: '1d' },
} as const;
type WindowName = keyof typeof WINDOWS;
const COLORS = ['#2563eb', '#d97706', '#059669', '#7c3aed', '#db2777', '#0891b2'];

export function Overview() {
  const { t } = useTranslation();
  const f = useFormat();
  const [win, setWin] = useState<WindowName>('24h');
  const quality = useLoad(
    () => {
      const to = Date.now();
      const w = WINDOWS[win];
      return api<Quality>(
        'GET',
        `/v1/stats/quality${qs({ from: new Date(to - w.span).toISOString(), to: new Date(to).toISOString(), bucket: w.bucket })}`,
      );
    },
    win,
    10_000,
  );
  const partners = useLoad(() => api<{ data: PartnerView[] }>('GET', '/v1/partners'), 'partners', 3_000);
  const q = quality.data;
  const times = useMemo(() => q?.series.at.map((a) => Date.parse(a) / 1000) ?? [], [q]);
  const charts = useMemo(() => {
    if (!q) return null;
    const carriers = q.series.carriers;
    return {
      volume: [
        { label: t('overview.received'), values: q.series.received, color: COLORS[0] },
        { label: t('overview.failed'), values: q.series.failed, color: '#dc2626' },
        ...carriers.map((c, i) => ({
          label: t('overview.shippedBy', { carrier: c.carrier }),
          values: c.shipments,
          color: COLORS[(i + 2) % COLORS.length],
        })),
      ] as Line[],
      success: [
        { label: t('overview.successRate'), values: q.series.successRate, color: COLORS[2] },
      ] as Line[],
      latency: [{ label: t('overview.apiLatency'), values: q.series.apiAvgMs, color: COLORS[3] }] as Line[],
      timeliness: carriers.map((c, i) => ({
        label: c.carrier,
        values: c.onTimeRate,
        color: COLORS[(i + 2) % COLORS.length],
      })) as Line[],
    };
  }, [q, t]);
  const pct = (v: number) => `${Math.round(v * 100)}%`;

  return (
    <section>
      <PageTitle title={t('overview.title')} help={t('overview.help')}>
        <div className="segmented" role="group" aria-label={t('overview.window')}>
          {(Object.keys(WINDOWS) as WindowName[]).map((w) => (
            <button key={w} type="button" className={w === win ? 'on' : ''} onClick={() => setWin(w)}>
              {t(`overview.windows.${w}`)}
            </button>
          ))}
        </div>
      </PageTitle>
      <ErrorNote error={quality.error ?? partners.error} />
      {partners.data && <PartnerStrip partners={partners.data.data} />}
      {q && (
        <>
          <div className="kpis">
            <Kpi label={t('overview.received')} value={f.number(q.totals.received)} />
            <Kpi label={t('overview.shipped')} value={f.number(q.totals.shipped)} />
            <Kpi label={t('overview.failed')} value={f.number(q.totals.failed)} />
            <Kpi label={t('overview.successRate')} value={f.percent(q.totals.successRate)} />
            <Kpi label={t('overview.apiCalls')} value={f.number(q.totals.apiCalls)} />
          </div>
          {charts && (
            <div className="charts">
              <Chart title={t('overview.chartVolume')} times={times} lines={charts.volume} />
              <Chart title={t('overview.chartSuccess')} times={times} lines={charts.success} format={pct} />
              <Chart
                title={t('overview.chartLatency')}
                times={times}
                lines={charts.latency}
                format={(v) => `${Math.round(v)} ms`}
              />
              <Chart
                title={t('overview.chartTimeliness')}
                times={times}
                lines={charts.timeliness}
                format={pct}
              />
            </div>
          )}
          <h2>{t('overview.byPartner')}</h2>
          <TableBox>
            <table>
              <thead>
                <tr>
                  <th>{t('common.partner')}</th>
                  <th>{t('overview.shipments')}</th>
                  <th>{t('overview.delivered')}</th>
                  <th>{t('overview.exceptions')}</th>
                  <th>{t('overview.avgWait')}</th>
                  <th>{t('overview.onTime')}</th>
                </tr>
              </thead>
              <tbody>
                {q.partners.map((p) => (
                  <tr key={p.partner}>
                    <td>{p.partner}</td>
                    <td>{f.number(p.shipments)}</td>
                    <td>{f.number(p.delivered)}</td>
                    <td>{f.number(p.exceptions)}</td>
                    <td>{f.ms(p.avgWaitMs)}</td>
                    <td>{f.percent(p.onTimeRate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
          <h2>{t('overview.bySource')}</h2>
          <TableBox>
            <table>
              <thead>
                <tr>
                  <th>{t('common.source')}</th>
                  <th>{t('overview.received')}</th>
                  <th>{t('overview.failed')}</th>
                  <th>{t('overview.cancelled')}</th>
                  <th>{t('overview.successRate')}</th>
                </tr>
              </thead>
              <tbody>
                {q.sources.map((s) => (
                  <tr key={s.source}>
                    <td>{s.source}</td>
                    <td>{f.number(s.received)}</td>
                    <td>{f.number(s.failed)}</td>
                    <td>{f.number(s.cancelled)}</td>
                    <td>{f.percent(s.successRate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
          <h2>{t('overview.byInterface')}</h2>
          <TableBox>
            <table>
              <thead>
                <tr>
                  <th>{t('overview.route')}</th>
                  <th>{t('overview.calls')}</th>
                  <th>{t('overview.clientErrors')}</th>
                  <th>{t('overview.serverErrors')}</th>
                  <th>{t('overview.successRate')}</th>
                  <th>{t('overview.avgLatency')}</th>
                  <th>{t('overview.maxLatency')}</th>
                </tr>
              </thead>
              <tbody>
                {q.interfaces.map((i) => (
                  <tr key={i.route}>
                    <td className="mono">{i.route}</td>
                    <td>{f.number(i.calls)}</td>
                    <td>{f.number(i.clientErrors)}</td>
                    <td>{f.number(i.serverErrors)}</td>
                    <td>{f.percent(i.successRate)}</td>
                    <td>{f.ms(i.avgMs)}</td>
                    <td>{f.ms(i.maxMs)}</td>
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

function Kpi({ label, value }: { label: string; value: string }) {
  return (
    <div className="kpi">
      <div className="kpi-value">{value}</div>
      <div className="kpi-label">{label}</div>
    </div>
  );
}
