/** Small pieces every page uses: polling, help, errors, formatting, status badges. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads with `load` when `key` changes, and again every `everyMs` when given (live pages). */
export function useLoad<T>(load: () => Promise<T>, key: string, everyMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let live = true;
    setLoading(true);
    latest
      .current()
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [key, tick]);
  useEffect(() => {
    if (!everyMs) return;
    const id = setInterval(() => setTick((t) => t + 1), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export function Help({ text }: { text: string }) {
  const { t } = useTranslation();
  return (
    <details className="help">
      <summary>{t('common.help')}</summary>
      <p>{text}</p>
    </details>
  );
}

export function PageTitle({ title, help, children }: { title: string; help: string; children?: ReactNode }) {
  return (
    <header className="page-head">
      <div className="page-title-row">
        <h1>{title}</h1>
        {children}
      </div>
      <Help text={help} />
    </header>
  );
}

/** An API refusal in the user's language where the code is known, with the hub's own words after. */
export function ErrorNote({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  if (error instanceof ApiError) {
    const known = t(`errors.${error.code}`, { defaultValue: '' });
    return (
      <p className="error" role="alert">
        {known || t('errors.generic', { status: error.status })}{' '}
        <span className="muted">
          ({error.code}: {error.message})
        </span>
      </p>
    );
  }
  return (
    <p className="error" role="alert">
      {t('errors.network')}
    </p>
  );
}

export function useFormat() {
  const { i18n } = useTranslation();
  const lng = i18n.language;
  return {
    dateTime: (v: string | number | null | undefined) =>
      v === null || v === undefined
        ? '—'
        : new Intl.DateTimeFormat(lng, { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(v)),
    number: (v: number | null | undefined) =>
      v === null || v === undefined ? '—' : new Intl.NumberFormat(lng).format(v),
    percent: (v: number | null | undefined) =>
      v === null || v === undefined
        ? '—'
        : new Intl.NumberFormat(lng, { style: 'percent', maximumFractionDigits: 1 }).format(v),
    ms: (v: number | null | undefined) =>
      v === null || v === undefined
        ? '—'
        : v >= 60_000
          ? `${new Intl.NumberFormat(lng, { maximumFractionDigits: 1 }).format(v / 60_000)} min`
          : v >= 1000
            ? `${new Intl.NumberFormat(lng, { maximumFractionDigits: 2 }).format(v / 1000)} s`
            : `${new Intl.NumberFormat(lng, { maximumFractionDigits: 0 }).format(v)} ms`,
  };
}

export type Health = 'green' | 'amber' | 'red' | 'grey';

export function Badge({
  health,
  children,
  testId,
}: {
  health: Health;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <span className={`badge badge-${health}`} data-health={health} data-testid={testId}>
      {children}
    </span>
  );
}

/** A wide table scrolls inside its own box, never the page (390 px phones). */
export function TableBox({ children }: { children: ReactNode }) {
  return <div className="table-box">{children}</div>;
}

/** JSON shown as text (React escapes it): partner data never becomes markup. */
export function JsonBlock({ value }: { value: unknown }) {
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}

export function can(permissions: readonly string[], p: string): boolean {
  return permissions.includes(p);
}
