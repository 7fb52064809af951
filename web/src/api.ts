/**
 * Every call the console makes goes to the hub's `/v1` API with the user's session token
 * (`Authorization: Bearer`), so the API checks each one against the user's permissions exactly
 * as for any other caller. The token lives in this tab's sessionStorage: no cookie is ever set,
 * so another site cannot make the browser act for the user (CSRF), and closing the tab ends it
 * locally (the server ends it after 30 idle minutes).
 */
const TOKEN_KEY = 'waygate.session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
}

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Called when the API says the session is gone (the app returns to the login page). */
let onSignedOut: () => void = () => undefined;
export const whenSignedOut = (fn: () => void) => {
  onSignedOut = fn;
};

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    const e = new ApiError(
      res.status,
      err?.code ?? `http_${res.status}`,
      err?.message ?? res.statusText,
      err?.details,
    );
    if (e.code === 'session_invalid' || e.code === 'session_required') {
      session.clear();
      onSignedOut();
    }
    throw e;
  }
  return parsed as T;
}

/** A query string from the set fields of `q`. */
export function qs(q: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface SessionInfo {
  username: string;
  role: string;
  permissions: string[];
  expiresAt: string;
  mustChangePassword: boolean;
}
