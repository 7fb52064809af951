/**
 * Canonical bounds for values a partner supplies (issue 16, defect 4). A carrier's answer is
 * data from outside: before anything of it is stored it must fit what the hub can store, show
 * and send back — bounded lengths and charsets, URLs a browser may safely open, dates within a
 * sane window, no control characters. The checks return every issue (field + why, never the
 * value itself: it may be megabytes, or a payload aimed at a log viewer).
 */
import { isLoopbackHost } from './network-policy.js';
import { TrackingEvent } from './schemas.js';
import { createAjv, fieldPath } from './validation.js';

const validateEvent = createAjv().compile<TrackingEvent>(TrackingEvent);

export interface PartnerValueIssue {
  field: string;
  message: string;
}

/** Waybill and tracking numbers: letters, digits and `-_.`; at most 64 (the canonical column). */
export const WAYBILL_MAX = 64;
export const WAYBILL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const LABEL_URL_MAX = 2000;
/** No event before this (carriers' epochs and "0001-01-01" placeholders are not events). */
export const EARLIEST_PARTNER_DATE_MS = Date.UTC(2000, 0, 1);
/** An event may be stamped a little ahead of our clock (carrier clock drift), not more. */
export const EVENT_FUTURE_DAYS = 2;
/** An estimated delivery may be this far ahead. */
export const ETA_FUTURE_DAYS = 400;
const DAY_MS = 86_400_000;

/**
 * C0 and C1 controls (tab and newline included: every partner text field is one line), DEL,
 * lone surrogates and the noncharacters U+FFFE/U+FFFF: none can be stored, shown or emitted as
 * well-formed XML.
 */
const FORBIDDEN_CHARS =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function hasForbiddenChars(value: string): boolean {
  return FORBIDDEN_CHARS.test(value);
}

/** A bounded single-line text: the issue, or undefined when it is fine. */
export function textIssue(
  field: string,
  value: unknown,
  max: number,
  min = 1,
): PartnerValueIssue | undefined {
  if (typeof value !== 'string') return { field, message: 'must be a string' };
  if (value.length > max) return { field, message: `is ${value.length} characters long (at most ${max})` };
  if (value.length < min) return { field, message: `must not be empty` };
  if (hasForbiddenChars(value)) return { field, message: 'contains control or non-characters' };
  return undefined;
}

export function waybillIssue(field: string, value: unknown): PartnerValueIssue | undefined {
  if (typeof value !== 'string') return { field, message: 'must be a string' };
  if (value.length > WAYBILL_MAX)
    return { field, message: `is ${value.length} characters long (at most ${WAYBILL_MAX})` };
  if (!WAYBILL_PATTERN.test(value))
    return { field, message: 'must be letters, digits and . _ - (first a letter or digit)' };
  return undefined;
}

export interface LabelUrlOptions {
  /** http:// is accepted for loopback hosts (the sandbox on this machine), never elsewhere. */
  allowLoopbackHttp: boolean;
}

/** Label URLs are opened by people: https only (http on loopback for the sandbox), no user info. */
export function labelUrlIssue(
  field: string,
  value: unknown,
  opts: LabelUrlOptions,
): PartnerValueIssue | undefined {
  const base = textIssue(field, value, LABEL_URL_MAX);
  if (base) return base;
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    return { field, message: 'is not an absolute URL' };
  }
  if (url.username !== '' || url.password !== '') return { field, message: 'must not carry user info' };
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && opts.allowLoopbackHttp && isLoopbackHost(url.hostname)) return undefined;
  return {
    field,
    message: opts.allowLoopbackHttp ? 'must be https (or http on loopback)' : 'must be an https URL',
  };
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** A partner's timestamp: canonical ISO UTC, not before 2000, at most `futureDays` ahead of `nowMs`. */
export function dateIssue(
  field: string,
  value: unknown,
  nowMs: number,
  futureDays: number,
): PartnerValueIssue | undefined {
  if (typeof value !== 'string' || !ISO_UTC.test(value)) {
    return { field, message: 'must be an ISO 8601 UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)' };
  }
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return { field, message: 'is not a real date' };
  if (ms < EARLIEST_PARTNER_DATE_MS) return { field, message: 'is before 2000-01-01' };
  if (ms > nowMs + futureDays * DAY_MS)
    return { field, message: `is more than ${futureDays} days in the future` };
  return undefined;
}

/** A carrier's shipment-created answer, as the connector interface carries it. */
export interface PartnerShipmentValues {
  waybillNo: string;
  partnerShipmentId?: string;
  labelUrl?: string;
  labelFormat?: string;
  estimatedDelivery?: string;
}

export function shipmentCreatedIssues(
  created: PartnerShipmentValues,
  opts: LabelUrlOptions & { nowMs: number },
): PartnerValueIssue[] {
  const issues = [
    waybillIssue('waybillNo', created.waybillNo),
    created.partnerShipmentId === undefined
      ? undefined
      : textIssue('partnerShipmentId', created.partnerShipmentId, 128),
    created.labelUrl === undefined ? undefined : labelUrlIssue('labelUrl', created.labelUrl, opts),
    created.labelFormat === undefined || ['PDF', 'ZPL', 'PNG'].includes(created.labelFormat)
      ? undefined
      : { field: 'labelFormat', message: 'must be PDF, ZPL or PNG' },
    created.estimatedDelivery === undefined
      ? undefined
      : dateIssue('estimatedDelivery', created.estimatedDelivery, opts.nowMs, ETA_FUTURE_DAYS),
  ];
  return issues.filter((i): i is PartnerValueIssue => i !== undefined);
}

/**
 * A tracking event from a partner (polled, pushed or imported): the canonical TrackingEvent
 * schema, then the bounds the schema cannot say (charsets, control characters, date window).
 */
export function trackingEventIssues(event: unknown, nowMs: number): PartnerValueIssue[] {
  if (!validateEvent(event)) {
    return (validateEvent.errors ?? [])
      .slice(0, 5)
      .map((e) => ({ field: fieldPath(e) || '/', message: e.message ?? 'is invalid' }));
  }
  const ev = event;
  const checks = [
    waybillIssue('/waybillNo', ev.waybillNo),
    textIssue('/eventId', ev.eventId, 128),
    textIssue('/partnerCode', ev.partnerCode, 64),
    textIssue('/description', ev.description, 500, 0),
    dateIssue('/occurredAt', ev.occurredAt, nowMs, EVENT_FUTURE_DAYS),
    ev.estimatedDelivery === undefined
      ? undefined
      : dateIssue('/estimatedDelivery', ev.estimatedDelivery, nowMs, ETA_FUTURE_DAYS),
    ev.nextTrackingNo === undefined ? undefined : waybillIssue('/nextTrackingNo', ev.nextTrackingNo),
    ev.nextCarrier === undefined ? undefined : textIssue('/nextCarrier', ev.nextCarrier, 100),
    ev.location?.city === undefined ? undefined : textIssue('/location/city', ev.location.city, 100),
    ev.location?.facility === undefined
      ? undefined
      : textIssue('/location/facility', ev.location.facility, 200),
  ];
  return checks.filter((i): i is PartnerValueIssue => i !== undefined);
}
