/**
 * Alerts and incidents with their deadlines [000-13] [003-8.3], from the operations API:
 * firing and resolved alerts (acknowledge), incidents with time left (open by hand, add an
 * action, close with cause and fix), and the knowledge base's suggestions for each incident.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api';
import { Badge, ErrorNote, PageTitle, TableBox, can, useFormat, useLoad, type Health } from '../ui';

interface Alert {
  id: string;
  rule: string;
  status: string;
  severity: string;
  summary: string;
  partner: string | null;
  interface: string | null;
  firedAt: string;
  resolvedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  flapping: boolean;
  incidentId: string | null;
  /** The alert's incident with its deadline (as the alerts list answers). */
  incident?: {
    id: string;
    title: string;
    severity: string;
    status: 'open' | 'closed';
    deadlineAt: string;
    timeLeftMs: number;
    overdue: boolean;
  } | null;
}

interface Incident {
  id: string;
  title: string;
  symptom: string;
  severity: string;
  status: 'open' | 'closed';
  partner: string | null;
  openedAt: string;
  deadlineAt: string;
  timeLeftMs: number;
  overdue: boolean;
  closedAt: string | null;
  cause: string | null;
  fix: string | null;
  suggestions: Array<{ id: string; symptom: string; cause: string; fix: string; score: number }>;
}

interface IncidentDetail extends Incident {
  timeline: Array<{ at: string; actor: string; kind: string; text: string }>;
}

const SEVERITIES = ['minor', 'general', 'major'];

function useNow(everyMs: number) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

const severityHealth = (s: string): Health => (s === 'major' ? 'red' : s === 'general' ? 'amber' : 'grey');

export function Operations({ permissions }: { permissions: string[] }) {
  const { t } = useTranslation();
  const canAlerts = can(permissions, 'alerts:read');
  const canIncidents = can(permissions, 'incidents:read');
  return (
    <section>
      <PageTitle title={t('ops.title')} help={t('ops.help')} />
      {canAlerts && <Alerts canManage={can(permissions, 'alerts:manage')} />}
      {canIncidents && <Incidents canManage={can(permissions, 'incidents:manage')} />}
    </section>
  );
}

function Alerts({ canManage }: { canManage: boolean }) {
  const { t } = useTranslation();
  const f = useFormat();
  const now = useNow(1_000);
  const [status, setStatus] = useState<'firing' | 'resolved' | ''>('firing');
  const alerts = useLoad(
    () => api<{ data: Alert[] }>('GET', `/v1/alerts${qs({ status, limit: 100 })}`),
    status,
    5_000,
  );
  const [error, setError] = useState<unknown>();
  const ack = async (id: string) => {
    try {
      await api('POST', `/v1/alerts/${encodeURIComponent(id)}/ack`);
      alerts.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <div className="page-title-row">
        <h2>{t('ops.alerts')}</h2>
        <div className="segmented" role="group" aria-label={t('ops.state')}>
          {(['firing', 'resolved', ''] as const).map((s) => (
            <button
              key={s || 'all'}
              type="button"
              className={s === status ? 'on' : ''}
              onClick={() => setStatus(s)}
            >
              {s ? t(`ops.states.${s}`) : t('common.any')}
            </button>
          ))}
        </div>
      </div>
      <ErrorNote error={alerts.error ?? error} />
      {alerts.data?.data.length === 0 && <p className="muted">{t('ops.noAlerts')}</p>}
      {alerts.data && alerts.data.data.length > 0 && (
        <TableBox>
          <table>
            <thead>
              <tr>
                <th>{t('ops.what')}</th>
                <th>{t('ops.severity')}</th>
                <th>{t('ops.state')}</th>
                <th>{t('common.partner')}</th>
                <th>{t('ops.opened')}</th>
                <th>{t('ops.incident')}</th>
                <th>{t('users.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {alerts.data.data.map((a) => (
                <tr key={a.id} data-testid="alert-row">
                  <td>
                    <span className="mono small">{a.rule}</span>
                    <div>{a.summary}</div>
                  </td>
                  <td>
                    <Badge health={severityHealth(a.severity)}>
                      {t(`ops.severities.${a.severity}`, { defaultValue: a.severity })}
                    </Badge>
                  </td>
                  <td>
                    {t(`ops.states.${a.status}`, { defaultValue: a.status })}
                    {a.flapping ? ` · ${t('ops.flapping')}` : ''}
                    {a.acknowledgedAt ? ` · ${t('ops.acknowledgedBy', { who: a.acknowledgedBy ?? '' })}` : ''}
                  </td>
                  <td>{a.partner ?? a.interface ?? '—'}</td>
                  <td>
                    {f.dateTime(a.firedAt)}
                    {a.resolvedAt ? ` → ${f.dateTime(a.resolvedAt)}` : ''}
                  </td>
                  <td data-testid="alert-incident">
                    {a.incident ? <AlertIncident incident={a.incident} now={now} /> : '—'}
                  </td>
                  <td className="buttons">
                    {canManage && a.status === 'firing' && !a.acknowledgedAt && (
                      <button type="button" onClick={() => void ack(a.id)}>
                        {t('ops.ack')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
    </>
  );
}

/** An alert's incident: its title, deadline and the time left, counting down. */
function AlertIncident({ incident: i, now }: { incident: NonNullable<Alert['incident']>; now: number }) {
  const { t } = useTranslation();
  const f = useFormat();
  const ms = i.status === 'open' ? Date.parse(i.deadlineAt) - now : i.timeLeftMs;
  const h: Health = ms < 0 ? 'red' : i.status === 'open' && ms < 15 * 60_000 ? 'amber' : 'green';
  return (
    <>
      <div className="mono small">{i.title}</div>
      <Badge health={h}>
        {ms < 0
          ? t('ops.overdue', { time: f.ms(-ms) })
          : t('ops.incidentDeadline', { deadline: f.dateTime(i.deadlineAt), left: f.ms(ms) })}
      </Badge>
    </>
  );
}

function Incidents({ canManage }: { canManage: boolean }) {
  const { t } = useTranslation();
  const f = useFormat();
  const now = useNow(1_000);
  const [status, setStatus] = useState<'open' | 'closed'>('open');
  const [openId, setOpenId] = useState<string>();
  const incidents = useLoad(
    () => api<{ data: Incident[] }>('GET', `/v1/incidents${qs({ status, limit: 100 })}`),
    status,
    5_000,
  );
  // Time left counts down between refreshes from the answer's deadline.
  const left = (i: Incident) => (i.status === 'open' ? Date.parse(i.deadlineAt) - now : i.timeLeftMs);
  return (
    <>
      <div className="page-title-row">
        <h2>{t('ops.incidents')}</h2>
        <div className="segmented" role="group" aria-label={t('ops.state')}>
          {(['open', 'closed'] as const).map((s) => (
            <button key={s} type="button" className={s === status ? 'on' : ''} onClick={() => setStatus(s)}>
              {t(`ops.states.${s}`)}
            </button>
          ))}
        </div>
      </div>
      <ErrorNote error={incidents.error} />
      {incidents.data?.data.length === 0 && <p className="muted">{t('ops.noIncidents')}</p>}
      {incidents.data && incidents.data.data.length > 0 && (
        <TableBox>
          <table>
            <thead>
              <tr>
                <th>{t('ops.what')}</th>
                <th>{t('ops.severity')}</th>
                <th>{t('common.partner')}</th>
                <th>{t('ops.opened')}</th>
                <th>{t('ops.deadline')}</th>
                <th>{t('ops.timeLeft')}</th>
              </tr>
            </thead>
            <tbody>
              {incidents.data.data.map((i) => {
                const ms = left(i);
                const h: Health = ms < 0 ? 'red' : ms < 15 * 60_000 ? 'amber' : 'green';
                return (
                  <tr key={i.id}>
                    <td>
                      <button
                        type="button"
                        className="link"
                        onClick={() => setOpenId(openId === i.id ? undefined : i.id)}
                      >
                        {i.title}
                      </button>
                    </td>
                    <td>
                      <Badge health={severityHealth(i.severity)}>
                        {t(`ops.severities.${i.severity}`, { defaultValue: i.severity })}
                      </Badge>
                    </td>
                    <td>{i.partner ?? '—'}</td>
                    <td>{f.dateTime(i.openedAt)}</td>
                    <td>{f.dateTime(i.deadlineAt)}</td>
                    <td data-testid="incident-time-left">
                      <Badge health={i.status === 'open' ? h : ms < 0 ? 'red' : 'green'}>
                        {ms < 0 ? t('ops.overdue', { time: f.ms(-ms) }) : f.ms(ms)}
                      </Badge>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableBox>
      )}
      {openId && <IncidentView id={openId} canManage={canManage} onChange={incidents.reload} />}
      {canManage && <OpenIncident onOpened={incidents.reload} />}
    </>
  );
}

function IncidentView({ id, canManage, onChange }: { id: string; canManage: boolean; onChange: () => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  // The API answers `{ incident, timeline }`: one object for the view.
  const detail = useLoad(async (): Promise<IncidentDetail> => {
    const r = await api<{ incident: Incident; timeline: IncidentDetail['timeline'] }>(
      'GET',
      `/v1/incidents/${encodeURIComponent(id)}`,
    );
    return { ...r.incident, timeline: r.timeline };
  }, id);
  const [note, setNote] = useState('');
  const [close, setClose] = useState({ cause: '', fix: '', prevention: '' });
  const [error, setError] = useState<unknown>();
  const run = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
      detail.reload();
      onChange();
    } catch (e) {
      setError(e);
    }
  };
  const d = detail.data;
  return (
    <article className="card">
      <ErrorNote error={detail.error ?? error} />
      {d && (
        <>
          <h3>{d.title}</h3>
          <p>{d.symptom}</p>
          {d.suggestions.length > 0 && (
            <>
              <h4>{t('ops.suggestions')}</h4>
              <ul>
                {d.suggestions.map((s) => (
                  <li key={s.id}>
                    <strong>{f.percent(s.score)}</strong> {s.symptom} — {t('ops.cause')}: {s.cause};{' '}
                    {t('ops.fix')}: {s.fix}
                  </li>
                ))}
              </ul>
            </>
          )}
          <h4>{t('ops.timeline')}</h4>
          <ol className="timeline">
            {d.timeline.map((e, k) => (
              <li key={k}>
                <time>{f.dateTime(e.at)}</time>
                <strong>{e.actor}</strong>
                <span>{e.text}</span>
              </li>
            ))}
          </ol>
          {d.status === 'closed' && (
            <p>
              {t('ops.cause')}: {d.cause} · {t('ops.fix')}: {d.fix}
            </p>
          )}
          {canManage && d.status === 'open' && (
            <>
              <form
                className="discard"
                onSubmit={(e: FormEvent) => {
                  e.preventDefault();
                  void run(async () => {
                    await api('POST', `/v1/incidents/${encodeURIComponent(id)}/notes`, { text: note });
                    setNote('');
                  });
                }}
              >
                <label>
                  {t('ops.addNote')}
                  <input value={note} onChange={(e) => setNote(e.target.value)} required maxLength={4000} />
                </label>
                <button type="submit">{t('ops.add')}</button>
              </form>
              <form
                className="discard"
                onSubmit={(e: FormEvent) => {
                  e.preventDefault();
                  void run(() => api('POST', `/v1/incidents/${encodeURIComponent(id)}/close`, close));
                }}
              >
                <label>
                  {t('ops.cause')}
                  <textarea
                    value={close.cause}
                    onChange={(e) => setClose({ ...close, cause: e.target.value })}
                    required
                    rows={2}
                  />
                </label>
                <label>
                  {t('ops.fix')}
                  <textarea
                    value={close.fix}
                    onChange={(e) => setClose({ ...close, fix: e.target.value })}
                    required
                    rows={2}
                  />
                </label>
                <label>
                  {t('ops.prevention')}
                  <textarea
                    value={close.prevention}
                    onChange={(e) => setClose({ ...close, prevention: e.target.value })}
                    rows={2}
                  />
                </label>
                <button type="submit">{t('ops.close')}</button>
              </form>
            </>
          )}
        </>
      )}
    </article>
  );
}

function OpenIncident({ onOpened }: { onOpened: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState({ title: '', symptom: '', severity: 'general', partner: '' });
  const [error, setError] = useState<unknown>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api('POST', '/v1/incidents', {
        title: form.title,
        symptom: form.symptom,
        severity: form.severity,
        ...(form.partner ? { partner: form.partner } : {}),
      });
      setForm({ title: '', symptom: '', severity: 'general', partner: '' });
      onOpened();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <h3>{t('ops.openIncident')}</h3>
      <ErrorNote error={error} />
      <form className="filters" onSubmit={(e) => void submit(e)}>
        <label>
          {t('ops.incidentTitle')}
          <input
            value={form.title}
            onChange={(e) => setForm({ ...form, title: e.target.value })}
            required
            maxLength={200}
          />
        </label>
        <label>
          {t('ops.symptom')}
          <input
            value={form.symptom}
            onChange={(e) => setForm({ ...form, symptom: e.target.value })}
            required
            maxLength={4000}
          />
        </label>
        <label>
          {t('ops.severity')}
          <select value={form.severity} onChange={(e) => setForm({ ...form, severity: e.target.value })}>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {t(`ops.severities.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('common.partner')}
          <input value={form.partner} onChange={(e) => setForm({ ...form, partner: e.target.value })} />
        </label>
        <button type="submit">{t('ops.open')}</button>
      </form>
    </>
  );
}
