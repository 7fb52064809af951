/**
 * Call windows: some partners may only be called at set hours in their own time zone (e.g.
 * weekdays 09:00–21:00 Asia/Shanghai [004-2.2]). Outside them jobs wait for the next opening.
 */
import type { CallWindowSpec } from './schema.js';

const DAY_INDEX: Record<string, number> = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(ms: number, timeZone: string): { day: number; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = DAY_INDEX[get('weekday').slice(0, 3).toLowerCase()] ?? 0;
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

const toMinute = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function inWindow(w: CallWindowSpec, ms: number): boolean {
  const { day, minute } = localParts(ms, w.timezone ?? 'UTC');
  const from = toMinute(w.from);
  const to = toMinute(w.to);
  const days = new Set(w.days.map((d) => DAY_INDEX[d]));
  if (from < to) return days.has(day) && minute >= from && minute < to;
  // Overnight window (e.g. 22:00–06:00): the part after midnight belongs to the previous day.
  return (days.has(day) && minute >= from) || (days.has((day + 6) % 7) && minute < to);
}

export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** True when no windows are set or `ms` falls in one of them. */
export function windowOpen(windows: readonly CallWindowSpec[], ms: number): boolean {
  return windows.length === 0 || windows.some((w) => inWindow(w, ms));
}

/** The first moment at or after `ms` when a window is open (minute resolution, within 8 days). */
export function nextOpening(windows: readonly CallWindowSpec[], ms: number): number {
  if (windowOpen(windows, ms)) return ms;
  const start = Math.ceil(ms / 60_000) * 60_000;
  for (let t = start; t < ms + 8 * 86_400_000; t += 60_000) {
    if (windowOpen(windows, t)) return t;
  }
  return ms + 86_400_000;
}
