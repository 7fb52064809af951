/** Accounts, for administrators (users:manage): create, change role, freeze, unlock, reset. */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Badge, ErrorNote, PageTitle, TableBox, useFormat, useLoad } from '../ui';

export const ROLES = [
  'admin',
  'integration_engineer',
  'logistics_ops',
  'warehouse',
  'order_desk',
  'compliance',
  'security',
  'finance',
  'management',
  'viewer',
];

interface UserView {
  id: string;
  username: string;
  role: string;
  status: 'active' | 'frozen' | 'disabled';
  locked: boolean;
  totpEnabled: boolean;
  lastLoginAt: string | null;
  passwordExpiresAt: string | null;
}

export function Users() {
  const { t } = useTranslation();
  const f = useFormat();
  const users = useLoad(() => api<{ data: UserView[] }>('GET', '/v1/users'), 'users');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [form, setForm] = useState({ username: '', role: 'viewer', password: '' });

  const run = async (fn: () => Promise<unknown>, done?: string) => {
    setError(undefined);
    setNotice(undefined);
    try {
      await fn();
      if (done) setNotice(done);
      users.reload();
    } catch (e) {
      setError(e);
    }
  };
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('POST', '/v1/users', form);
      setForm({ username: '', role: 'viewer', password: '' });
    }, t('users.created'));
  };
  const u = (name: string, path: string) => `/v1/users/${encodeURIComponent(name)}/${path}`;
  const reset = (name: string) =>
    run(async () => {
      const r = await api<{ token: string; expiresAt: string }>('POST', u(name, 'reset-token'));
      setNotice(t('users.resetToken', { token: r.token, at: f.dateTime(r.expiresAt) }));
    });

  return (
    <section>
      <PageTitle title={t('users.title')} help={t('users.help')} />
      <ErrorNote error={users.error ?? error} />
      {notice && (
        <p className="ok" role="status">
          {notice}
        </p>
      )}
      <TableBox>
        <table>
          <thead>
            <tr>
              <th>{t('users.username')}</th>
              <th>{t('users.role')}</th>
              <th>{t('users.status')}</th>
              <th>{t('users.lastLogin')}</th>
              <th>{t('users.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {users.data?.data.map((x) => (
              <tr key={x.id}>
                <td>
                  {x.username} {x.totpEnabled && <span className="muted">· {t('users.totp')}</span>}
                </td>
                <td>
                  <select
                    value={x.role}
                    aria-label={t('users.role')}
                    onChange={(e) =>
                      void run(() => api('POST', u(x.username, 'role'), { role: e.target.value }))
                    }
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {t(`roles.${r}`)}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <Badge
                    health={
                      x.status === 'active'
                        ? x.locked
                          ? 'amber'
                          : 'green'
                        : x.status === 'frozen'
                          ? 'amber'
                          : 'grey'
                    }
                  >
                    {t(`users.statuses.${x.status}`)}
                    {x.locked ? ` · ${t('users.locked')}` : ''}
                  </Badge>
                </td>
                <td>{f.dateTime(x.lastLoginAt)}</td>
                <td className="buttons">
                  {x.status === 'active' ? (
                    <button
                      type="button"
                      onClick={() => void run(() => api('POST', u(x.username, 'freeze')))}
                    >
                      {t('users.freeze')}
                    </button>
                  ) : (
                    <button
                      type="button"
                      onClick={() => void run(() => api('POST', u(x.username, 'unfreeze')))}
                    >
                      {t('users.unfreeze')}
                    </button>
                  )}
                  {x.locked && (
                    <button
                      type="button"
                      onClick={() => void run(() => api('POST', u(x.username, 'unlock')))}
                    >
                      {t('users.unlock')}
                    </button>
                  )}
                  {x.totpEnabled && (
                    <button
                      type="button"
                      onClick={() => void run(() => api('POST', u(x.username, 'totp/remove')))}
                    >
                      {t('users.removeTotp')}
                    </button>
                  )}
                  <button type="button" onClick={() => void reset(x.username)}>
                    {t('users.reset')}
                  </button>
                  {x.status !== 'disabled' && (
                    <button
                      type="button"
                      className="danger"
                      onClick={() =>
                        window.confirm(t('users.disableConfirm', { name: x.username })) &&
                        void run(() => api('POST', u(x.username, 'disable')))
                      }
                    >
                      {t('users.disable')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      <h2>{t('users.new')}</h2>
      <form className="filters" onSubmit={create}>
        <label>
          {t('users.username')}
          <input
            value={form.username}
            onChange={(e) => setForm({ ...form, username: e.target.value })}
            required
            minLength={3}
          />
        </label>
        <label>
          {t('users.role')}
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`roles.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('users.initialPassword')}
          <input
            type="password"
            autoComplete="new-password"
            value={form.password}
            onChange={(e) => setForm({ ...form, password: e.target.value })}
            required
          />
        </label>
        <button type="submit">{t('users.create')}</button>
      </form>
    </section>
  );
}
