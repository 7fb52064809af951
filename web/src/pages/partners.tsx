/** Partner health: tier, channels, circuit breakers, probes and 429 gates, live. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Badge, ErrorNote, PageTitle, TableBox, useFormat, useLoad, type Health } from '../ui';

export interface ChannelView {
  name: string;
  url: string;
  state: 'closed' | 'open' | 'half_open';
  active: boolean;
  consecutiveFailures: number;
  calls: number;
  failures: number;
  rateLimitedUntil: string | null;
  lastProbe: { at: string; ok: boolean; latencyMs: number; error?: string } | null;
}

export interface PartnerView {
  id: string;
  tier: string;
  suspendedUntil: string | null;
  channels: ChannelView[];
}

const future = (iso: string | null) => iso !== null && Date.parse(iso) > Date.now();

/** A channel is healthy when its breaker is closed and its last probe (if any) answered. */
export function channelHealth(c: ChannelView): Health {
  if (c.state === 'open' || (c.lastProbe && !c.lastProbe.ok)) return 'red';
  if (c.state === 'half_open' || future(c.rateLimitedUntil)) return 'amber';
  return 'green';
}

/** Red: no channel can carry traffic; amber: degraded (failed over, gated, suspended); green: all well. */
export function partnerHealth(p: PartnerView): Health {
  const h = p.channels.map(channelHealth);
  if (h.length === 0) return 'grey';
  if (h.every((x) => x === 'red')) return 'red';
  if (future(p.suspendedUntil) || h.some((x) => x !== 'green')) return 'amber';
  return 'green';
}

export function PartnerStrip({ partners }: { partners: PartnerView[] }) {
  const { t } = useTranslation();
  return (
    <ul className="strip" aria-label={t('partners.title')}>
      {partners.map((p) => {
        const h = partnerHealth(p);
        return (
          <li key={p.id}>
            <a href="#/partners">
              <Badge health={h} testId={`partner-${p.id}`}>
                {p.id} · {t(`health.${h}`)}
              </Badge>
            </a>
          </li>
        );
      })}
    </ul>
  );
}

export function Partners({ canManage }: { canManage: boolean }) {
  const { t } = useTranslation();
  const f = useFormat();
  const list = useLoad(() => api<{ data: PartnerView[] }>('GET', '/v1/partners'), 'partners', 2_000);
  const [actionError, setActionError] = useState<unknown>();
  const release = async (id: string) => {
    const reason = window.prompt(t('partners.releaseReason'));
    if (!reason) return;
    try {
      await api('POST', `/v1/partners/${encodeURIComponent(id)}/release`, { reason });
      list.reload();
    } catch (e) {
      setActionError(e);
    }
  };
  return (
    <section>
      <PageTitle title={t('partners.title')} help={t('partners.help')} />
      <ErrorNote error={list.error ?? actionError} />
      {list.data?.data.length === 0 && <p className="muted">{t('partners.none')}</p>}
      <div className="cards">
        {list.data?.data.map((p) => {
          const h = partnerHealth(p);
          const gated = future(p.suspendedUntil) || p.channels.some((c) => future(c.rateLimitedUntil));
          return (
            <article key={p.id} className={`card partner partner-${h}`} data-testid={`partner-card-${p.id}`}>
              <header className="card-head">
                <h2>{p.id}</h2>
                <Badge health={h} testId={`partner-health-${p.id}`}>
                  {t(`health.${h}`)}
                </Badge>
              </header>
              <dl className="facts">
                <dt>{t('partners.tier')}</dt>
                <dd>{p.tier}</dd>
                <dt>{t('partners.suspendedUntil')}</dt>
                <dd>
                  {future(p.suspendedUntil) ? f.dateTime(p.suspendedUntil) : t('partners.notSuspended')}
                </dd>
              </dl>
              <TableBox>
                <table>
                  <thead>
                    <tr>
                      <th>{t('partners.channel')}</th>
                      <th>{t('partners.circuit')}</th>
                      <th>{t('partners.active')}</th>
                      <th>{t('partners.failures')}</th>
                      <th>{t('partners.gate')}</th>
                      <th>{t('partners.probe')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.channels.map((c) => (
                      <tr key={c.name}>
                        <td>
                          <Badge health={channelHealth(c)}>{c.name}</Badge>
                        </td>
                        <td>{t(`partners.state.${c.state}`)}</td>
                        <td>{c.active ? t('common.yes') : t('common.no')}</td>
                        <td>
                          {f.number(c.failures)} / {f.number(c.calls)}
                        </td>
                        <td>
                          {future(c.rateLimitedUntil)
                            ? t('partners.gatedUntil', { at: f.dateTime(c.rateLimitedUntil) })
                            : '—'}
                        </td>
                        <td>
                          {c.lastProbe
                            ? `${c.lastProbe.ok ? t('partners.probeOk') : t('partners.probeFailed')} · ${f.ms(c.lastProbe.latencyMs)} · ${f.dateTime(c.lastProbe.at)}`
                            : t('partners.noProbe')}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableBox>
              {canManage && gated && (
                <button type="button" onClick={() => void release(p.id)}>
                  {t('partners.release')}
                </button>
              )}
            </article>
          );
        })}
      </div>
    </section>
  );
}
