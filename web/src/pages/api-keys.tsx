/** API keys, for administrators (apikeys:manage): a secret is shown once, at creation or rotation. */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { Badge, ErrorNote, PageTitle, TableBox, useFormat, useLoad } from '../ui';

interface KeyInfo {
  keyId: string;
  name: string;
  scopes: string[];
  partnerId: string | null;
  allowCidrs: string[];
  ratePerMinute: number | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  rotatedAt: string | null;
}

const list = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export function ApiKeys() {
  const { t } = useTranslation();
  const f = useFormat();
  const keys = useLoad(() => api<{ data: KeyInfo[] }>('GET', '/v1/apikeys'), 'keys');
  const [error, setError] = useState<unknown>();
  const [secret, setSecret] = useState<{ keyId: string; secret: string }>();
  const [form, setForm] = useState({
    name: '',
    scopes: 'orders:write orders:read',
    partnerId: '',
    allowCidrs: '',
  });

  const run = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
      keys.reload();
    } catch (e) {
      setError(e);
    }
  };
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await api<{ keyId: string; secret: string }>('POST', '/v1/apikeys', {
        name: form.name,
        scopes: list(form.scopes),
        ...(form.partnerId ? { partnerId: form.partnerId } : {}),
        ...(form.allowCidrs ? { allowCidrs: list(form.allowCidrs) } : {}),
      });
      setSecret({ keyId: r.keyId, secret: r.secret });
    });
  };
  const k = (id: string, path: string) => `/v1/apikeys/${encodeURIComponent(id)}/${path}`;

  return (
    <section>
      <PageTitle title={t('keys.title')} help={t('keys.help')} />
      <ErrorNote error={keys.error ?? error} />
      {secret && (
        <div className="ok" role="status">
          <p>{t('keys.secretOnce', { keyId: secret.keyId })}</p>
          <code className="secret">{secret.secret}</code>
          <button type="button" onClick={() => setSecret(undefined)}>
            {t('keys.secretSaved')}
          </button>
        </div>
      )}
      <TableBox>
        <table>
          <thead>
            <tr>
              <th>{t('keys.key')}</th>
              <th>{t('keys.name')}</th>
              <th>{t('keys.scopes')}</th>
              <th>{t('common.partner')}</th>
              <th>{t('keys.allow')}</th>
              <th>{t('keys.state')}</th>
              <th>{t('users.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {keys.data?.data.map((x) => (
              <tr key={x.keyId}>
                <td className="mono">{x.keyId}</td>
                <td>{x.name}</td>
                <td className="mono small">{x.scopes.join(' ')}</td>
                <td>{x.partnerId ?? '—'}</td>
                <td className="mono small">{x.allowCidrs.join(' ') || t('keys.anyAddress')}</td>
                <td>
                  {x.revokedAt ? (
                    <Badge health="grey">{t('keys.revoked', { at: f.dateTime(x.revokedAt) })}</Badge>
                  ) : (
                    <Badge health="green">{t('keys.active')}</Badge>
                  )}
                </td>
                <td className="buttons">
                  {!x.revokedAt && (
                    <>
                      <button
                        type="button"
                        onClick={() =>
                          void run(async () => {
                            const r = await api<{ keyId: string; secret: string }>(
                              'POST',
                              k(x.keyId, 'rotate'),
                              {},
                            );
                            setSecret({ keyId: r.keyId, secret: r.secret });
                          })
                        }
                      >
                        {t('keys.rotate')}
                      </button>
                      <button
                        type="button"
                        className="danger"
                        onClick={() =>
                          window.confirm(t('keys.revokeConfirm', { keyId: x.keyId })) &&
                          void run(() => api('POST', k(x.keyId, 'revoke')))
                        }
                      >
                        {t('keys.revoke')}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      <h2>{t('keys.new')}</h2>
      <form className="filters" onSubmit={create}>
        <label>
          {t('keys.name')}
          <input
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
            required
            maxLength={100}
          />
        </label>
        <label>
          {t('keys.scopes')}
          <input
            value={form.scopes}
            onChange={(e) => setForm({ ...form, scopes: e.target.value })}
            required
          />
        </label>
        <label>
          {t('common.partner')}
          <input value={form.partnerId} onChange={(e) => setForm({ ...form, partnerId: e.target.value })} />
        </label>
        <label>
          {t('keys.allow')}
          <input
            value={form.allowCidrs}
            onChange={(e) => setForm({ ...form, allowCidrs: e.target.value })}
            placeholder="203.0.113.0/24"
          />
        </label>
        <button type="submit">{t('keys.create')}</button>
      </form>
    </section>
  );
}
