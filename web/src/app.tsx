/** The console shell: sign-in, navigation by permission, language switch, hash routes. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, session, whenSignedOut, type SessionInfo } from './api';
import { LANGUAGES } from './i18n';
import { ErrorNote, can } from './ui';
import { Overview } from './pages/overview';
import { Partners } from './pages/partners';
import { DeadLetters, DeadLetter } from './pages/dead-letters';
import { Orders, OrderDetail } from './pages/orders';
import { Operations } from './pages/operations';
import { Reports } from './pages/reports';
import { Users } from './pages/users';
import { ApiKeys } from './pages/api-keys';

interface NavItem {
  path: string;
  label: string;
  /** Shown to a user holding any of these. */
  permission: string[];
}

const NAV: NavItem[] = [
  { path: 'overview', label: 'nav.overview', permission: ['partners:read'] },
  { path: 'partners', label: 'nav.partners', permission: ['partners:read'] },
  { path: 'dlq', label: 'nav.dlq', permission: ['dlq:read'] },
  { path: 'orders', label: 'nav.orders', permission: ['orders:read'] },
  { path: 'operations', label: 'nav.operations', permission: ['alerts:read', 'incidents:read'] },
  { path: 'reports', label: 'nav.reports', permission: ['partners:read', 'reports:read'] },
  { path: 'users', label: 'nav.users', permission: ['users:manage'] },
  { path: 'apikeys', label: 'nav.apikeys', permission: ['apikeys:manage'] },
];

function useHash(): string[] {
  const read = () =>
    window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const on = () => setParts(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parts;
}

export function LanguageSwitch() {
  const { i18n } = useTranslation();
  return (
    <div className="lang" role="group" aria-label="Language / 语言">
      {LANGUAGES.map((l) => (
        <button
          key={l.code}
          type="button"
          className={i18n.language === l.code ? 'on' : ''}
          aria-pressed={i18n.language === l.code}
          lang={l.code}
          onClick={() => void i18n.changeLanguage(l.code)}
        >
          {l.label}
        </button>
      ))}
    </div>
  );
}

export function App() {
  const { t } = useTranslation();
  const [me, setMe] = useState<SessionInfo | null | undefined>(undefined);
  const route = useHash();

  const loadMe = useCallback(async () => {
    if (!session.token()) return setMe(null);
    try {
      setMe(await api<SessionInfo>('GET', '/v1/auth/session'));
    } catch {
      session.clear();
      setMe(null);
    }
  }, []);
  useEffect(() => {
    whenSignedOut(() => setMe(null));
    void loadMe();
  }, [loadMe]);

  if (me === undefined) return <p className="loading">{t('common.loading')}</p>;
  if (me === null) return <Login onIn={loadMe} />;
  if (me.mustChangePassword) return <ChangePassword onDone={loadMe} />;

  const allowed = NAV.filter((n) => n.permission.some((p) => can(me.permissions, p)));
  const [page = allowed[0]?.path ?? '', id] = route;
  const logout = async () => {
    try {
      await api('POST', '/v1/auth/logout');
    } finally {
      session.clear();
      setMe(null);
    }
  };

  return (
    <div className="shell">
      <header className="top">
        <a className="brand" href="#/overview">
          {t('app.name')}
        </a>
        <LanguageSwitch />
        <div className="who">
          <span data-testid="whoami">
            {me.username} · {t(`roles.${me.role}`, { defaultValue: me.role })}
          </span>
          <button type="button" onClick={() => void logout()}>
            {t('auth.logout')}
          </button>
        </div>
        <nav className="nav" aria-label={t('nav.label')}>
          {allowed.map((n) => (
            <a key={n.path} href={`#/${n.path}`} className={page === n.path ? 'on' : ''}>
              {t(n.label)}
            </a>
          ))}
        </nav>
      </header>
      <main className="main">
        {/* A page outside the account's permissions is not drawn at all (the API refuses it too). */}
        {allowed.some((n) => n.path === page) ? (
          <Page page={page} id={id} me={me} />
        ) : (
          <p data-testid="no-access">{t('common.noAccess')}</p>
        )}
      </main>
    </div>
  );
}

function Page({ page, id, me }: { page: string; id: string | undefined; me: SessionInfo }) {
  const { t } = useTranslation();
  const p = me.permissions;
  switch (page) {
    case 'overview':
      return <Overview />;
    case 'partners':
      return <Partners canManage={can(p, 'partners:manage')} />;
    case 'dlq':
      return id ? <DeadLetter id={id} canManage={can(p, 'dlq:manage')} /> : <DeadLetters />;
    case 'orders':
      return id ? <OrderDetail id={id} canTrack={can(p, 'tracking:read')} /> : <Orders />;
    case 'operations':
      return <Operations permissions={p} />;
    case 'reports':
      return <Reports permissions={p} />;
    case 'users':
      return <Users />;
    case 'apikeys':
      return <ApiKeys />;
    default:
      return <p>{t('common.noAccess')}</p>;
  }
}

function Login({ onIn }: { onIn: () => Promise<void> }) {
  const { t } = useTranslation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await api<{ token: string }>('POST', '/v1/auth/login', {
        username,
        password,
        ...(needTotp ? { totp } : {}),
      });
      session.set(r.token);
      await onIn();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'totp_required') setNeedTotp(true);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login">
      <LanguageSwitch />
      <form onSubmit={(e) => void submit(e)} className="card">
        <h1>{t('auth.title')}</h1>
        <p className="muted">{t('auth.help')}</p>
        <label>
          {t('auth.username')}
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
          />
        </label>
        <label>
          {t('auth.password')}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {needTotp && (
          <label>
            {t('auth.totp')}
            <input
              name="totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              value={totp}
              onChange={(e) => setTotp(e.target.value)}
              required
            />
          </label>
        )}
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {t('auth.login')}
        </button>
      </form>
    </div>
  );
}

function ChangePassword({ onDone }: { onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api('POST', '/v1/auth/password', { currentPassword: current, newPassword: next });
      await onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="login">
      <LanguageSwitch />
      <form onSubmit={(e) => void submit(e)} className="card">
        <h1>{t('auth.changeTitle')}</h1>
        <p className="muted">{t('auth.changeHelp')}</p>
        <label>
          {t('auth.currentPassword')}
          <input
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            required
          />
        </label>
        <label>
          {t('auth.newPassword')}
          <input
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
            required
          />
        </label>
        <ErrorNote error={error} />
        <button type="submit">{t('auth.change')}</button>
      </form>
    </div>
  );
}
