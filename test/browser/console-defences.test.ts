/**
 * The web console's defences, in headless Chromium [002-3] [001-4.4] [003-6.6]:
 * - XSS: an order whose external id, recipient name, address line and line description (on the
 *   order page, the search results and its dead letter, refused for its postal code) and an incident whose title carry markup
 *   (`<img onerror>`, `<script>`, `<svg onload>`) render as literal text on every page showing
 *   them: no dialog, no script run, no element created from the text.
 * - CSRF: a state-changing call from another origin (a form post, a fetch with credentials) or
 *   without the session's Bearer token is refused and changes nothing.
 * - Permissions: a viewer sees no admin page in the console and the admin APIs refuse its session.
 * - Languages: every page's help text present in both languages, and no English string left on
 *   any page in zh-CN (every en value that differs from its zh-CN one is looked for).
 * - Incidents: one opened and closed from the console, with its deadline and time left.
 * Screenshots go to test-artifacts/console/ (gitignored). Skipped without /usr/bin/chromium
 * (failing in CI), like test/browser/console.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { request } from 'undici';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { orderFixture } from '../helpers/fixtures.js';
import { AccountService } from '../../src/security/accounts.js';
import { operatorGrantor } from '../../src/security/grants.js';
import { listDead } from '../../src/pipeline/dead-letters.js';
import { CONSOLE_DIR } from '../../src/gateway/console.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const ADMIN = { username: 'def.admin', password: 'Console-Test-Passw0rd!' };
const VIEWER = { username: 'def.viewer', password: 'Console-View-Passw0rd!' };
const HOSTILE = JSON.parse(
  readFileSync(join(ROOT, 'test', 'fixtures', 'console', 'hostile-text.json'), 'utf8'),
) as Record<'img' | 'script' | 'svg', string>;
const PAGES = ['overview', 'partners', 'dlq', 'orders', 'operations', 'reports', 'users', 'apikeys'];

type Json = Record<string, unknown>;
/** Leaf strings of a locale file by dotted key. */
function leaves(o: Json, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else if (v && typeof v === 'object') for (const [a, b] of leaves(v as Json, key)) out.set(a, b);
  }
  return out;
}
const EN = leaves(JSON.parse(readFileSync(join(ROOT, 'web/src/locales/en.json'), 'utf8')) as Json);
const ZH = leaves(JSON.parse(readFileSync(join(ROOT, 'web/src/locales/zh-CN.json'), 'utf8')) as Json);

if (!hasChromium) {
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs the chromium package`);
  console.warn(`SKIPPED browser tests: ${CHROMIUM} is missing (apt-get install chromium to run them)`);
}

describe.skipIf(!hasChromium)('web console defences in headless Chromium', () => {
  let h: Harness;
  let context: BrowserContext;
  let profile: string;
  let evil: Server;
  let evilUrl: string;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  const shot = (p: Page, name: string) =>
    p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const go = (p: Page, hash: string) => p.goto(`${h.hub.url}/#/${hash}`);
  const signIn = async (p: Page, who: { username: string; password: string }) => {
    await p.goto(`${h.hub.url}/`);
    await p.locator('input[name=username]').fill(who.username);
    await p.locator('input[name=password]').fill(who.password);
    await p.locator('button[type=submit]').click();
    await expect.poll(() => p.getByTestId('whoami').textContent()).toContain(who.username);
  };
  const newTab = async () => {
    const p = await context.newPage();
    p.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    p.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
    return p;
  };
  /** Markup the page made out of the hostile text: there must be none. */
  const injected = (p: Page) =>
    p.evaluate(
      `[window.__xss ?? 0, document.querySelectorAll('img[src="x"], main script, svg[onload]').length]`,
    ) as Promise<[number, number]>;
  /** The accounts, as the admin API lists them. */
  const userNames = async () => {
    const r = await request(`${h.hub.url}/v1/users`, {
      headers: { authorization: `Bearer ${await login(ADMIN)}` },
    });
    const body = (await r.body.json()) as { data: { username: string }[] };
    return body.data.map((u) => u.username).sort();
  };
  const login = async (who: { username: string; password: string }) => {
    const res = await request(`${h.hub.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(who),
    });
    const body = (await res.body.json()) as { token?: string };
    if (!body.token) throw new Error(`login answered ${res.statusCode}`);
    return body.token;
  };

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html')))
      throw new Error(`the console is not built (${CONSOLE_DIR}): run npm run build`);
    mkdirSync(ARTIFACTS, { recursive: true });
    h = await startHarness();
    const accounts = new AccountService({ store: h.hub.store, box: h.hub.box });
    await accounts.addUser(operatorGrantor('test'), { ...ADMIN, role: 'admin' });
    await accounts.addUser(operatorGrantor('test'), { ...VIEWER, role: 'viewer' });
    // Another origin (another port on loopback) that tries to act on the hub.
    evil = createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><html><body>
        <form id="f" method="post" action="${h.hub.url}/v1/users" enctype="text/plain">
          <input name='{"username":"evil.admin","role":"admin","password":"Evil-Passw0rd-123!","x":"' value='"}'>
        </form>
        <script>
          window.results = [];
          fetch('${h.hub.url}/v1/incidents', { method: 'POST', credentials: 'include',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ title: 'from evil', severity: 'minor' }) })
            .then((r) => window.results.push('fetch ' + r.status), (e) => window.results.push('fetch blocked'));
        </script></body></html>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'waygate-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
    });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => (evil ? evil.close(resolve) : resolve(undefined)));
    await h?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('renders markup in orders, dead letters and incidents as inert text', async () => {
    const base = orderFixture();
    const hostile = orderFixture({
      externalId: `X-${HOSTILE.img}`,
      recipient: { ...base.recipient, name: HOSTILE.script, line1: HOSTILE.svg, postalCode: 'ABCDE' },
      items: base.items.map((i) => ({ ...i, description: HOSTILE.img })),
    });
    const posted = await h.postOrder(hostile);
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    const id = String(posted.body.id);
    const page = await newTab();
    await signIn(page, ADMIN);
    await go(page, `orders/${id}`);
    await expect.poll(() => page.locator('main').textContent()).toContain(HOSTILE.script);
    expect(await page.locator('main').textContent()).toContain(hostile.externalId);
    await shot(page, '20-xss-order');
    expect(await injected(page)).toEqual([0, 0]);

    await go(page, `orders`);
    const q = page.locator('form.filters input').first();
    await q.fill('X-<img');
    await q.press('Enter');
    await expect.poll(() => page.locator('main table').textContent()).toContain(hostile.externalId);
    expect(await injected(page)).toEqual([0, 0]);

    // The carrier refuses the postal code: the dead letter shows the order and the refusal.
    await waitFor(
      async () => (await listDead(h.hub.store.db, { limit: 10 })).length >= 1,
      30_000,
      'a dead letter',
    );
    await go(page, 'dlq');
    await page.getByTestId('dead-letter-link').first().click();
    await page.getByTestId('dlq-error').waitFor();
    await page.locator('details.edit summary').click();
    await expect.poll(() => page.locator('details.edit textarea').inputValue()).toContain(HOSTILE.script);
    await shot(page, '21-xss-dead-letter');
    expect(await injected(page)).toEqual([0, 0]);

    // An incident titled with markup, opened from the console, shows it literally.
    await go(page, 'operations');
    await page.getByLabel(EN.get('ops.incidentTitle') ?? '').fill(HOSTILE.img);
    await page.getByLabel(EN.get('ops.symptom') ?? '').fill(HOSTILE.script);
    await page.getByRole('button', { name: EN.get('ops.open') ?? '', exact: true }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain(HOSTILE.img);
    await shot(page, '22-xss-incident');
    expect(await injected(page)).toEqual([0, 0]);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('opens an incident with its deadline and time left, and closes it with cause and fix', async () => {
    const page = await newTab();
    await signIn(page, ADMIN);
    await go(page, 'operations');
    await page.getByLabel(EN.get('ops.incidentTitle') ?? '').fill('Carrier labels slow');
    await page.getByLabel(EN.get('ops.symptom') ?? '').fill('labels take a minute');
    await page.getByRole('button', { name: EN.get('ops.open') ?? '', exact: true }).click();
    const row = page.locator('tr', { hasText: 'Carrier labels slow' });
    await expect.poll(() => row.getByTestId('incident-time-left').textContent()).toMatch(/\d/);
    await shot(page, '23-incident-open');
    await row.getByRole('button', { name: 'Carrier labels slow' }).click();
    await page.waitForLoadState('networkidle');
    await shot(page, '23b-incident-view');
    expect(pageErrors).toEqual([]);
    await page.getByLabel(EN.get('ops.cause') ?? '').fill('the carrier throttled label calls');
    await page.getByLabel(EN.get('ops.fix') ?? '').fill('raised the rate gate and replayed');
    await page.getByRole('button', { name: EN.get('ops.close') ?? '', exact: true }).click();
    const res = await request(`${h.hub.url}/v1/incidents?limit=100`, {
      headers: { authorization: `Bearer ${await login(ADMIN)}` },
    });
    const list = (await res.body.json()) as { data: { title: string; status: string }[] };
    await expect
      .poll(async () => {
        const r = await request(`${h.hub.url}/v1/incidents?limit=100`, {
          headers: { authorization: `Bearer ${await login(ADMIN)}` },
        });
        const l = (await r.body.json()) as { data: { title: string; status: string }[] };
        return l.data.find((i) => i.title === 'Carrier labels slow')?.status;
      })
      .not.toBe('open');
    expect(list.data.some((i) => i.title === 'Carrier labels slow')).toBe(true);
    await shot(page, '24-incident-closed');
    await page.close();
  });

  it('refuses state-changing calls from another origin or without the session token', async () => {
    const usersBefore = await userNames();
    const page = await newTab();
    await signIn(page, ADMIN); // the admin is signed in in this browser: nothing ambient to ride on
    const tab = await newTab();
    await tab.goto(`${evilUrl}/`);
    await expect.poll(() => tab.evaluate('window.results.length')).toBe(1);
    expect(String(await tab.evaluate('window.results[0]'))).toMatch(/fetch (blocked|401)/);
    const answered = tab.waitForResponse((r) => r.url().startsWith(`${h.hub.url}/v1/users`));
    await tab.evaluate(`document.getElementById('f').submit()`);
    expect((await answered).status()).toBe(401);
    // Without the Bearer token, a signed-in browser's request is anonymous.
    for (const [method, path] of [
      ['POST', '/v1/incidents'],
      ['POST', '/v1/users'],
      ['POST', '/v1/auth/logout'],
    ] as const) {
      const r = await request(`${h.hub.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', origin: evilUrl },
        body: '{}',
      });
      await r.body.text();
      expect(r.statusCode, path).toBe(401);
    }
    const usersAfter = await userNames();
    expect(usersAfter).toEqual(usersBefore);
    await tab.close();
    await page.close();
  });

  it('shows a viewer no admin page and refuses it the admin APIs', async () => {
    const page = await newTab();
    await signIn(page, VIEWER);
    const nav = (await page.locator('nav').textContent()) ?? '';
    expect(nav).not.toContain(EN.get('nav.users'));
    expect(nav).not.toContain(EN.get('nav.apikeys'));
    for (const hash of ['users', 'apikeys']) {
      await go(page, hash);
      await page.getByTestId('no-access').waitFor();
      expect(await page.locator('main table').count(), hash).toBe(0);
    }
    await shot(page, '25-viewer-no-admin');
    const token = await page.evaluate(
      `Object.values(sessionStorage).find((v) => typeof v === 'string' && v.length > 20) ?? ''`,
    );
    const bearer = String(token || (await login(VIEWER)));
    for (const [method, path, body] of [
      ['GET', '/v1/users', undefined],
      ['POST', '/v1/users', { username: 'x.y', role: 'admin', password: 'Whatever-Passw0rd!' }],
      ['GET', '/v1/apikeys', undefined],
      ['POST', '/v1/incidents', { title: 'by a viewer', severity: 'minor' }],
    ] as const) {
      const r = await request(`${h.hub.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.body.text();
      expect(r.statusCode, `${method} ${path}: ${text}`).toBe(403);
    }
    await page.close();
  });

  it('has help text on every page in both languages and no English left in zh-CN', async () => {
    const page = await newTab();
    await signIn(page, ADMIN);
    // The English strings a Chinese page must not show: each en value that differs from zh-CN.
    const english = [...EN]
      .filter(([k, v]) => ZH.get(k) !== v && /[a-z]{3,} [a-z]{3,}/i.test(v))
      .map(
        ([, v]) =>
          v
            .split(/\{\{[^}]*\}\}/)
            .sort((a, b) => b.length - a.length)[0]
            ?.trim() ?? '',
      )
      .filter((v) => v.length >= 8);
    for (const lang of ['English', '中文']) {
      await go(page, 'overview');
      await page.getByRole('button', { name: lang }).click();
      for (const hash of PAGES) {
        await go(page, hash);
        await page.locator('main h1').waitFor();
        await page.waitForLoadState('networkidle');
        const help = page.locator('main details.help').first();
        await help.locator('summary').click();
        const text = ((await help.locator('p').textContent()) ?? '').trim();
        expect(text.length, `#/${hash} help (${lang})`).toBeGreaterThan(20);
        if (lang === '中文') {
          expect(text, `#/${hash} help`).toMatch(/[\u4e00-\u9fff]/);
          const shown = (await page.locator('body').innerText()) ?? '';
          const left = english.filter((e) => shown.includes(e));
          expect(left, `#/${hash} shows English in zh-CN`).toEqual([]);
          const keys = [...EN.keys()].filter((k) => shown.includes(k));
          expect(keys, `#/${hash} shows a raw key`).toEqual([]);
          await shot(page, `26-zh-${hash}`);
        } else {
          expect(text, `#/${hash} help`).not.toMatch(/[\u4e00-\u9fff]/);
        }
      }
    }
    await page.close();
  });
});
