/**
 * Notifications: a signed webhook and e-mail over SMTP (nodemailer) per recipient, quiet hours
 * honoured, and every attempt — sent, failed, held or downgraded — recorded in `op_notifications`.
 *
 * Quiet hours are the recipient's (a clock range in its time zone; severities listed in `except`
 * go through). What happens inside them is the recipient's `action`, which a rule may override
 * (`quietHours: hold | downgrade | ignore`): `hold` keeps the notice (with what it would have
 * sent) and delivers it once the quiet hours are over (`deliverHeld`, run with each alert
 * evaluation); `downgrade` sends it now by e-mail only — the webhook, which usually pages
 * someone, is left out — and holds it for a recipient without e-mail; `ignore` sends as usual.
 *
 * Webhook signature: `X-Waygate-Signature: v1=hex(HMAC-SHA256(secret, timestamp + "." + body))`
 * with `X-Waygate-Timestamp` (unix seconds) and `X-Waygate-Event`; the receiver recomputes it over
 * the exact bytes received and refuses a timestamp more than 5 minutes old (docs/operations.md).
 */
import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { request } from 'undici';
import { newId } from '../store/ids.js';
import { heldNotifications, insertNotification, markHeldDelivered } from '../store/operations.js';
import type { Store } from '../store/db.js';
import type { OperationsFile, RecipientSpec, Severity } from './ops-config.js';

export interface Notice {
  /** `alert.fired`, `alert.resolved`, `alert.escalated`, `shipment.delayed`, … */
  event: string;
  severity: Severity;
  subject: string;
  text: string;
  /** The JSON body a webhook receives. */
  data: Record<string, unknown>;
  alertId?: string;
  shipmentId?: string;
  /** The rule's say on quiet hours, over the recipient's own `action`. */
  quiet?: QuietAction;
}

export type QuietAction = 'hold' | 'downgrade' | 'ignore';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Minutes since midnight in a time zone. */
function clockIn(nowMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(nowMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** True when `nowMs` falls in the recipient's quiet hours and the severity is not let through. */
export function inQuietHours(
  r: Pick<RecipientSpec, 'quietHours'>,
  severity: Severity,
  nowMs: number,
): boolean {
  const q = r.quietHours;
  if (!q || (q.except ?? []).includes(severity)) return false;
  const now = clockIn(nowMs, q.timezone ?? 'UTC');
  const from = minutesOf(q.from);
  const to = minutesOf(q.to);
  return from <= to ? now >= from && now < to : now >= from || now < to;
}

export class Notifier {
  readonly #store: Store;
  #transport: { key: string; t: Transporter } | undefined;

  constructor(store: Store) {
    this.#store = store;
  }

  #mailer(smtp: NonNullable<OperationsFile['smtp']>): Transporter {
    const key = JSON.stringify(smtp);
    if (this.#transport?.key !== key) {
      this.#transport?.t.close();
      this.#transport = {
        key,
        t: nodemailer.createTransport({
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure ?? false,
          ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
          // Plain SMTP on loopback (tests, a local relay) must not be forced into STARTTLS.
          ignoreTLS: smtp.secure !== true && (smtp.host === '127.0.0.1' || smtp.host === 'localhost'),
          connectionTimeout: 10_000,
          socketTimeout: 10_000,
        }),
      };
    }
    return this.#transport.t;
  }

  async #record(
    notice: Notice,
    channel: string,
    recipient: string,
    status: string,
    detail: string,
    atMs: number,
    payload: string | null = null,
  ): Promise<void> {
    await this.#store.write((trx) =>
      insertNotification(trx, {
        id: newId('ntf', atMs),
        at: atMs,
        event: notice.event,
        alert_id: notice.alertId ?? null,
        shipment_id: notice.shipmentId ?? null,
        channel,
        recipient,
        status,
        detail: detail.slice(0, 500),
        payload,
        delivered_at: null,
      }),
    );
  }

  /** Records a notification not sent (e.g. held back while an alert flaps). */
  async record(
    alertId: string,
    event: string,
    status: string,
    detail: string,
    atMs = Date.now(),
  ): Promise<void> {
    await this.#record(
      { event, severity: 'minor', subject: '', text: '', data: {}, alertId },
      'none',
      '-',
      status,
      detail,
      atMs,
    );
  }

  /** Sends to each named recipient by every way it has; never throws (failures are recorded). */
  async send(
    notice: Notice,
    recipients: readonly string[],
    ops: OperationsFile,
    nowMs = Date.now(),
  ): Promise<void> {
    for (const name of new Set(recipients)) {
      const r = ops.recipients?.[name];
      if (!r) continue;
      const action: QuietAction = notice.quiet ?? r.quietHours?.action ?? 'hold';
      if (action !== 'ignore' && inQuietHours(r, notice.severity, nowMs)) {
        const window = `quiet hours ${r.quietHours?.from}–${r.quietHours?.to} ${r.quietHours?.timezone ?? 'UTC'}`;
        if (action === 'downgrade' && r.email && ops.smtp) {
          if (r.webhook)
            await this.#record(
              notice,
              'webhook',
              name,
              'downgraded_quiet_hours',
              `${window}: e-mail only`,
              nowMs,
            );
          await this.#email(notice, name, r.email, ops.smtp, nowMs, `downgraded (${window})`);
          continue;
        }
        await this.#record(
          notice,
          'any',
          name,
          'held_quiet_hours',
          `${window}: delivered when they end`,
          nowMs,
          JSON.stringify(notice),
        );
        continue;
      }
      await this.#deliver(notice, name, r, ops, nowMs);
    }
  }

  async #deliver(
    notice: Notice,
    name: string,
    r: RecipientSpec,
    ops: OperationsFile,
    nowMs: number,
  ): Promise<void> {
    if (r.webhook) await this.webhook(notice, name, r.webhook, nowMs);
    if (r.email && ops.smtp) await this.#email(notice, name, r.email, ops.smtp, nowMs);
  }

  async #email(
    notice: Notice,
    name: string,
    to: readonly string[],
    smtp: NonNullable<OperationsFile['smtp']>,
    nowMs: number,
    note?: string,
  ): Promise<void> {
    try {
      const info = (await this.#mailer(smtp).sendMail({
        from: smtp.from,
        to: [...to],
        subject: notice.subject,
        text: notice.text,
      })) as { messageId?: string };
      const id = info.messageId ?? 'accepted';
      await this.#record(notice, 'email', name, 'sent', note ? `${note}; ${id}` : id, nowMs);
    } catch (err) {
      await this.#record(notice, 'email', name, 'failed', (err as Error).message, nowMs);
    }
  }

  /**
   * Delivers the notifications held through quiet hours whose recipient's quiet hours are over,
   * oldest first, each once (claimed in the store first, so two callers never both send it).
   * A recipient removed from the operations file meanwhile is recorded as dropped.
   */
  async deliverHeld(ops: OperationsFile, nowMs = Date.now()): Promise<number> {
    let delivered = 0;
    for (const row of await heldNotifications(this.#store.db, 500)) {
      const r = ops.recipients?.[row.recipient];
      const notice = JSON.parse(row.payload ?? '{}') as Notice;
      if (r && inQuietHours(r, notice.severity, nowMs)) continue;
      if (!(await this.#store.write((trx) => markHeldDelivered(trx, row.id, nowMs)))) continue;
      if (!r) {
        await this.#record(notice, 'any', row.recipient, 'dropped', 'recipient no longer configured', nowMs);
        continue;
      }
      const held: Notice = {
        ...notice,
        text: `${notice.text}\nheld during quiet hours since ${new Date(row.at).toISOString()}`,
      };
      await this.#deliver(held, row.recipient, r, ops, nowMs);
      delivered++;
    }
    return delivered;
  }

  /** One signed webhook; recorded; true when the receiver answered 2xx. */
  async webhook(
    notice: Notice,
    recipient: string,
    hook: { url: string; secret: string },
    nowMs = Date.now(),
  ): Promise<boolean> {
    const body = JSON.stringify({
      event: notice.event,
      severity: notice.severity,
      subject: notice.subject,
      ...notice.data,
    });
    const ts = Math.floor(nowMs / 1000);
    try {
      const res = await request(hook.url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-waygate-event': notice.event,
          'x-waygate-timestamp': String(ts),
          'x-waygate-signature': signWebhook(hook.secret, ts, body),
        },
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await res.body.dump();
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      await this.#record(
        notice,
        'webhook',
        recipient,
        ok ? 'sent' : 'failed',
        `HTTP ${res.statusCode}`,
        nowMs,
      );
      return ok;
    } catch (err) {
      await this.#record(notice, 'webhook', recipient, 'failed', (err as Error).message, nowMs);
      return false;
    }
  }

  close(): void {
    this.#transport?.t.close();
    this.#transport = undefined;
  }
}
