/**
 * When the daily snapshot runs: at a wall-clock time (default 02:00) in a configured time zone.
 * The next run is the first minute at which the local time reaches the target — so on a day a
 * DST change skips 02:00 the snapshot runs at the first minute after the gap, and on a day 02:00
 * comes twice it runs once.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function minuteOfDay(ms: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

/** The first run strictly after `afterMs` at local `at` (HH:MM) in `timeZone`. */
export function nextRunAt(afterMs: number, at: string, timeZone: string): number {
  const target = Number(at.slice(0, 2)) * 60 + Number(at.slice(3, 5));
  let t = Math.floor(afterMs / 60_000) * 60_000 + 60_000;
  let prev = minuteOfDay(t - 60_000, timeZone);
  for (let i = 0; i < 3 * 1440; i++, t += 60_000) {
    const now = minuteOfDay(t, timeZone);
    const wrapped = now < prev;
    if (now >= target && (prev < target || wrapped)) return t;
    prev = now;
  }
  return afterMs + 86_400_000;
}
