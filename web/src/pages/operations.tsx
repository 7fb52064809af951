/**
 * Alerts and incidents with their deadlines [000-13]. They come from the operations API
 * (`/v1/alerts`, `/v1/incidents`); on a hub without it the page says so instead of failing.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { Badge, ErrorNote, PageTitle, TableBox, useFormat, useLoad, type Health } from '../ui';

/** The fields the page shows; an item may carry more. */
interface OpsItem {
  id: string;
  title?: string;
  rule?: string;
  summary?: string;
  severity?: string;
  state?: string;
  status?: string;
  partner?: string | null;
  partnerId?: string | null;
  openedAt?: string;
  firedAt?: string;
  createdAt?: string;
  deadlineAt?: string | null;
  dueAt?: string | null;
}

const missing = (e: unknown) => e instanceof ApiError && e.code === 'route_not_found';

function useNow(everyMs: number) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

export function Operations() {
  const { t } = useTranslation();
  const alerts = useLoad(() => api<{ data: OpsItem[] }>('GET', '/v1/alerts'), 'alerts', 5_000);
  const incidents = useLoad(() => api<{ data: OpsItem[] }>('GET', '/v1/incidents'), 'incidents', 5_000);
  return (
    <section>
      <PageTitle title={t('ops.title')} help={t('ops.help')} />
      <h2>{t('ops.alerts')}</h2>
      <OpsTable loaded={alerts} empty={t('ops.noAlerts')} />
      <h2>{t('ops.incidents')}</h2>
      <OpsTable loaded={incidents} empty={t('ops.noIncidents')} withDeadline />
    </section>
  );
}

function OpsTable({
  loaded,
  empty,
  withDeadline,
}: {
  loaded: { data: { data: OpsItem[] } | undefined; error: unknown };
  empty: string;
  withDeadline?: boolean;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const now = useNow(1_000);
  if (missing(loaded.error)) return <p className="muted">{t('ops.notAvailable')}</p>;
  if (loaded.error) return <ErrorNote error={loaded.error} />;
  const items = loaded.data?.data ?? [];
  if (items.length === 0) return <p className="muted">{empty}</p>;
  return (
    <TableBox>
      <table>
        <thead>
          <tr>
            <th>{t('ops.what')}</th>
            <th>{t('ops.severity')}</th>
            <th>{t('ops.state')}</th>
            <th>{t('common.partner')}</th>
            <th>{t('ops.opened')}</th>
            {withDeadline && <th>{t('ops.deadline')}</th>}
            {withDeadline && <th>{t('ops.timeLeft')}</th>}
          </tr>
        </thead>
        <tbody>
          {items.map((a) => {
            const deadline = a.deadlineAt ?? a.dueAt ?? null;
            const left = deadline ? Date.parse(deadline) - now : null;
            const h: Health =
              left === null ? 'grey' : left < 0 ? 'red' : left < 15 * 60_000 ? 'amber' : 'green';
            const state = a.state ?? a.status ?? '';
            return (
              <tr key={a.id}>
                <td>{a.title ?? a.summary ?? a.rule ?? a.id}</td>
                <td>{a.severity ? t(`ops.severities.${a.severity}`, { defaultValue: a.severity }) : '—'}</td>
                <td>{state ? t(`ops.states.${state}`, { defaultValue: state }) : '—'}</td>
                <td>{a.partner ?? a.partnerId ?? '—'}</td>
                <td>{f.dateTime(a.openedAt ?? a.firedAt ?? a.createdAt)}</td>
                {withDeadline && <td>{f.dateTime(deadline)}</td>}
                {withDeadline && (
                  <td>
                    {left === null ? (
                      '—'
                    ) : (
                      <Badge health={h}>
                        {left < 0 ? t('ops.overdue', { time: f.ms(-left) }) : f.ms(left)}
                      </Badge>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableBox>
  );
}
