/**
 * The web console in a real browser (headless Chromium driven by playwright-core): sign-in, a
 * partner turning red during a sandbox outage and green after it, a dead letter opened, corrected
 * and replayed, the Chinese switch, a 390 px phone without horizontal scrolling, and the strict
 * CSP holding with the built assets. Screenshots go to test-artifacts/console/ (gitignored).
 *
 * Needs Debian's chromium (/usr/bin/chromium; .ci/run installs it) and the built console
 * (`npm run build`, which `npm test` runs first). Without chromium the suite is skipped with a
 * line saying so, except in CI, where a missing browser fails it.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'console');
const ADMIN = { username: 'ops.admin', password: 'Console-Test-Passw0rd!' };

if (!hasChromium) {
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs the chromium package`);
  console.warn(`SKIPPED browser tests: ${CHROMIUM} is missing (apt-get install chromium to run them)`);
}

describe.skipIf(!hasChromium)('web console in headless Chromium', () => {
  let h: Harness;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const cspViolations: string[] = [];

  const shot = (p: Page, name: string) =>
    p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const go = async (p: Page, hash: string) => {
    await p.goto(`${h.hub.url}/#/${hash}`);
  };
  /** Signs in on a tab (each tab keeps its own session, as sessionStorage is per tab). */
  const signIn = async (p: Page) => {
    await p.goto(`${h.hub.url}/`);
    await p.locator('input[name=username]').fill(ADMIN.username);
    await p.locator('input[name=password]').fill(ADMIN.password);
    await p.locator('button[type=submit]').click();
    await expect.poll(() => p.getByTestId('whoami').textContent()).toContain(ADMIN.username);
  };
  const healthOf = (p: Page, partner: string) =>
    p.getByTestId(`partner-health-${partner}`).getAttribute('data-health');

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html')))
      throw new Error(`the console is not built (${CONSOLE_DIR}): run npm run build`);
    mkdirSync(ARTIFACTS, { recursive: true });
    h = await startHarness();
    await new AccountService({ store: h.hub.store, box: h.hub.box }).addUser(operatorGrantor('test'), {
      username: ADMIN.username,
      role: 'admin',
      password: ADMIN.password,
    });
    profile = mkdtempSync(join(tmpdir(), 'waygate-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
  });

  afterAll(async () => {
    await context?.close();
    await h?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('serves the console with a strict CSP and no cookie', async () => {
    const res = await request(`${h.hub.url}/`);
    const csp = String(res.headers['content-security-policy']);
    await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('logs in with an existing account', async () => {
    await page.goto(`${h.hub.url}/`);
    await page.getByRole('button', { name: 'English' }).click();
    await page.locator('input[name=username]').fill(ADMIN.username);
    await page.locator('input[name=password]').fill('wrong-password');
    await page.locator('button[type=submit]').click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password');
    await page.locator('input[name=password]').fill(ADMIN.password);
    await page.locator('button[type=submit]').click();
    await expect.poll(() => page.getByTestId('whoami').textContent()).toContain(ADMIN.username);
    // No cookie is set: the session is a Bearer token the page sends itself (no CSRF surface).
    expect(await context.cookies(h.hub.url)).toEqual([]);
    await shot(page, '01-overview');
  });

  it('shows a partner red during a sandbox outage and green after it clears', async () => {
    await go(page, 'partners');
    await expect.poll(() => healthOf(page, 'carrier-alpha'), { timeout: 15_000 }).toBe('green');
    await h.faults({ partner: 'carrier-alpha', channel: 'primary', outage: true });
    await h.faults({ partner: 'carrier-alpha', channel: 'standby', outage: true });
    await expect.poll(() => healthOf(page, 'carrier-alpha'), { timeout: 20_000 }).toBe('red');
    // The other carrier is untouched.
    expect(await healthOf(page, 'carrier-beta')).not.toBe('red');
    await shot(page, '02-partner-red');
    await h.faults(null);
    await expect.poll(() => healthOf(page, 'carrier-alpha'), { timeout: 30_000 }).toBe('green');
    await shot(page, '03-partner-green');
  });

  it('opens a dead letter, corrects the order and replays it', async () => {
    const bad = orderFixture({
      externalId: 'BAD-ZIP-UI',
      recipient: { ...orderFixture().recipient, postalCode: 'ABCDE' },
    });
    const posted = await h.postOrder(bad);
    expect(posted.status).toBe(202);
    await waitFor(
      async () => (await listDead(h.hub.store.db, { limit: 10 })).length === 1,
      20_000,
      'a dead letter',
    );
    await go(page, 'dlq');
    await page.getByTestId('dead-letter-link').first().click();
    await expect.poll(() => page.getByTestId('dlq-error').textContent()).toMatch(/ZIP/);
    await shot(page, '04-dead-letter');
    await page.locator('details.edit summary').click();
    const editor = page.locator('details.edit textarea');
    await expect.poll(() => editor.inputValue()).toContain('ABCDE');
    await editor.fill((await editor.inputValue()).replace('ABCDE', '94105'));
    await page.getByRole('button', { name: 'Save and replay' }).click();
    await expect.poll(() => page.getByTestId('dlq-done').textContent()).toContain('Replayed');
    h.hub.pool.notify();
    await waitFor(async () => (await h.waybillCount()) >= 1, 20_000, 'the waybill after the replay');
    expect(await listDead(h.hub.store.db, { limit: 10 })).toEqual([]);
    await go(page, `orders/${String(posted.body.id)}`);
    await expect
      .poll(() => page.getByTestId('order-status').textContent(), { timeout: 15_000 })
      .not.toBe('accepted');
    await shot(page, '05-order-after-replay');
  });

  it('switches to Chinese and shows the page translated', async () => {
    await go(page, 'partners');
    await page.getByRole('button', { name: '中文' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('合作方健康状况');
    const nav = (await page.locator('nav').textContent()) ?? '';
    expect(nav).toContain('死信队列');
    expect(nav).not.toMatch(/Dead letters|Partners|Orders/);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await shot(page, '06-chinese');
    await page.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Partner health');
  });

  it('fits a 390 px phone without horizontal scrolling on every page', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await go(phone, '');
    // A string, evaluated in the page: this file is compiled without the DOM's types.
    const widths = () =>
      phone.evaluate(
        '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
      ) as Promise<[number, number]>;
    await phone.locator('input[name=username]').waitFor();
    const [login] = await widths();
    expect(login).toBeLessThanOrEqual(390);
    await shot(phone, '07-phone-login');
    await signIn(phone);
    for (const hash of [
      'overview',
      'partners',
      'dlq',
      'orders',
      'operations',
      'reports',
      'users',
      'apikeys',
    ]) {
      await go(phone, hash);
      await phone.getByTestId('whoami').waitFor();
      await phone.locator('main h1').waitFor();
      await phone.waitForLoadState('networkidle');
      const [scroll, client] = await widths();
      expect(scroll, `#/${hash} scrolls sideways`).toBeLessThanOrEqual(client);
      await shot(phone, `07-phone-${hash}`);
    }
    await phone.close();
  });

  it('ran without a single CSP violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
