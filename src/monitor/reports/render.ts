/**
 * A report as HTML (self-contained: charts are SVG drawn here, no script, no external asset) and
 * as CSV (one row per interface and partner, headers in the report's language). Every string a
 * reader sees comes from locales/reports/<lang>.json; every value from data is escaped.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { ReportData, ReportRow } from './build.js';

export const REPORT_LANGS = ['zh-CN', 'en'] as const;
export type ReportLang = (typeof REPORT_LANGS)[number];

const cache = new Map<ReportLang, Record<string, string>>();

/** The translation table of a language (locales/reports/<lang>.json at the package root). */
export function messages(lang: ReportLang): Record<string, string> {
  let m = cache.get(lang);
  if (!m) {
    m = JSON.parse(
      readFileSync(new URL(`../../../locales/reports/${lang}.json`, import.meta.url), 'utf8'),
    ) as Record<string, string>;
    cache.set(lang, m);
  }
  return m;
}

function translator(lang: ReportLang) {
  const m = messages(lang);
  return (key: string, vars: Record<string, string> = {}) =>
    (m[key] ?? key).replace(/\{\{(\w+)\}\}/g, (_, k: string) => vars[k] ?? '');
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

function stamp(ms: number, tz: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(ms));
}

/** Vertical bars (volume, with the succeeded part darker). */
function barChart(series: ReportData['series'], title: string): string {
  const w = 720;
  const h = 200;
  const pad = 30;
  const max = Math.max(1, ...series.map((s) => s.calls));
  const bw = (w - pad * 2) / series.length;
  const bars = series
    .map((s, i) => {
      const x = pad + i * bw;
      const hAll = ((h - pad * 2) * s.calls) / max;
      const hOk = ((h - pad * 2) * s.ok) / max;
      const label =
        i % Math.ceil(series.length / 12) === 0
          ? `<text x="${x + bw / 2}" y="${h - 10}" font-size="10" text-anchor="middle">${esc(s.label)}</text>`
          : '';
      return `<rect x="${x + 1}" y="${h - pad - hAll}" width="${bw - 2}" height="${hAll}" fill="#f4a261"><title>${esc(s.label)}: ${s.calls}</title></rect><rect x="${x + 1}" y="${h - pad - hOk}" width="${bw - 2}" height="${hOk}" fill="#2a9d8f"/>${label}`;
    })
    .join('');
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="100%" style="max-width:${w}px"><text x="${pad}" y="14" font-size="11">max ${max}</text><line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/>${bars}</svg>`;
}

/** Horizontal bars of success rate per row, with the SLA target marked. */
function successChart(rows: readonly ReportRow[], title: string): string {
  const shown = rows.filter((r) => r.calls > 0).slice(0, 30);
  const w = 720;
  const rowH = 22;
  const left = 260;
  const h = shown.length * rowH + 20;
  // The axis starts at 90 %: the differences that matter are between 99 and 100 %.
  const x = (rate: number) => left + ((Math.max(0.9, rate) - 0.9) / 0.1) * (w - left - 60);
  const bars = shown
    .map((r, i) => {
      const y = 10 + i * rowH;
      const colour = r.slaMet === false ? '#e76f51' : '#2a9d8f';
      const target =
        r.slaTarget === null
          ? ''
          : `<line x1="${x(r.slaTarget)}" y1="${y - 2}" x2="${x(r.slaTarget)}" y2="${y + rowH - 4}" stroke="#264653" stroke-width="2"/>`;
      return `<text x="${left - 6}" y="${y + 13}" font-size="11" text-anchor="end">${esc(`${r.iface} · ${r.partner}`)}</text><rect x="${left}" y="${y}" width="${Math.max(1, x(r.successRate) - left)}" height="${rowH - 6}" fill="${colour}"/>${target}<text x="${x(r.successRate) + 4}" y="${y + 13}" font-size="11">${pct(r.successRate)}</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${w} ${h}" width="100%" style="max-width:${w}px">${bars}</svg>`;
}

function table(headers: string[], rows: string[][]): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const codesText = (codes: Record<string, number>) =>
  Object.entries(codes)
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ${n}`)
    .join('; ');

export function renderHtml(r: ReportData, lang: ReportLang): string {
  const t = translator(lang);
  const yesNo = (b: boolean | null) => (b === null ? t('unknown') : b ? t('yes') : t('no'));
  const title = t(`title.${r.period}`, { period: r.label });
  const summary = [
    [t('summary.calls'), String(r.total.calls)],
    [t('summary.successRate'), pct(r.total.successRate)],
    [t('summary.p95'), `${r.total.p95} ms`],
    [t('summary.alerts'), String(r.alerts.length)],
    [t('summary.incidents'), String(r.incidents.length)],
    [t('summary.deadLetters'), String(r.total.deadLetters)],
    [t('summary.slaMet'), `${r.partnersMeetingSla.met} / ${r.partnersMeetingSla.of}`],
  ];
  const interfaceRows = r.rows.map((x) => [
    x.iface,
    x.partner,
    x.tier ?? t('unknown'),
    String(x.calls),
    pct(x.successRate),
    x.slaTarget === null ? t('unknown') : pct(x.slaTarget),
    yesNo(x.slaMet),
    String(x.p50),
    String(x.p95),
    String(x.p99),
    codesText(x.codes) || t('unknown'),
    String(x.deadLetters),
    String(x.incidents),
  ]);
  const deadlineState = (i: ReportData['incidents'][number]) =>
    i.closedAt !== null
      ? t(i.closedAt <= i.deadlineAt ? 'deadline.met' : 'deadline.missed')
      : t(r.generatedAt > i.deadlineAt ? 'deadline.overdue' : 'deadline.pending');
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:1.5rem;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
th{background:#f2f2f2}h2{margin-top:2rem;border-bottom:1px solid #ddd}.summary td:first-child{font-weight:600}</style></head>
<body>
<h1>${esc(title)}</h1>
<p>${esc(t('generated', { at: stamp(r.generatedAt, r.timezone), tz: r.timezone }))}</p>
<h2>${esc(t('section.summary'))}</h2>
<table class="summary"><tbody>${summary.map(([k, v]) => `<tr><td>${esc(k!)}</td><td>${esc(v!)}</td></tr>`).join('')}</tbody></table>
<h2>${esc(t('section.volume'))}</h2>
${barChart(r.series, t('section.volume'))}
<h2>${esc(t('section.success'))}</h2>
${successChart(r.rows, t('section.success'))}
<h2>${esc(t('section.interfaces'))}</h2>
${table(
  [
    'col.interface',
    'col.partner',
    'col.tier',
    'col.calls',
    'col.successRate',
    'col.slaTarget',
    'col.slaMet',
    'col.p50',
    'col.p95',
    'col.p99',
    'col.errors',
    'col.deadLetters',
    'col.incidents',
  ].map((k) => t(k)),
  interfaceRows,
)}
<h2>${esc(t('section.errors'))}</h2>
${
  r.codes.length === 0
    ? `<p>${esc(t('none'))}</p>`
    : table(
        [t('col.code'), t('col.count'), t('col.share')],
        r.codes.map((c) => [c.code, String(c.count), pct(c.share)]),
      )
}
<h2>${esc(t('section.incidents'))}</h2>
${
  r.incidents.length === 0
    ? `<p>${esc(t('none'))}</p>`
    : table(
        [
          t('col.severity'),
          t('col.title'),
          t('col.partner'),
          t('col.opened'),
          t('col.deadline'),
          t('col.status'),
        ],
        r.incidents.map((i) => [
          t(`severity.${i.severity}`),
          i.title,
          i.partner ?? t('unknown'),
          stamp(i.openedAt, r.timezone),
          `${stamp(i.deadlineAt, r.timezone)} (${deadlineState(i)})`,
          t(`status.${i.status}`),
        ]),
      )
}
<h2>${esc(t('section.alerts'))}</h2>
${
  r.alerts.length === 0
    ? `<p>${esc(t('none'))}</p>`
    : table(
        [
          t('col.rule'),
          t('col.subject'),
          t('col.severity'),
          t('col.fired'),
          t('col.resolved'),
          t('col.status'),
        ],
        r.alerts.map((a) => [
          a.rule,
          a.subject,
          t(`severity.${a.severity}`),
          stamp(a.firedAt, r.timezone),
          a.resolvedAt === null ? t('unknown') : stamp(a.resolvedAt, r.timezone),
          t(`status.${a.status}`),
        ]),
      )
}
<h2>${esc(t('section.deadLetters'))}</h2>
${
  r.deadLetters.length === 0
    ? `<p>${esc(t('none'))}</p>`
    : table(
        [t('col.interface'), t('col.partner'), t('col.count')],
        r.deadLetters.map((d) => [d.kind, d.partner ?? t('unknown'), String(d.n)]),
      )
}
</body></html>
`;
}

/** One row per interface and partner, then the total; a BOM so spreadsheet programs read UTF-8. */
export function renderCsv(r: ReportData, lang: ReportLang): string {
  const t = translator(lang);
  const yesNo = (b: boolean | null) => (b === null ? '' : b ? t('yes') : t('no'));
  const header = [
    'col.interface',
    'col.partner',
    'col.tier',
    'col.calls',
    'col.ok',
    'col.failed',
    'col.deferred',
    'col.successRate',
    'col.slaTarget',
    'col.slaMet',
    'col.p50',
    'col.p95',
    'col.p99',
    'col.errors',
    'col.deadLetters',
    'col.incidents',
  ].map((k) => t(k));
  const line = (x: ReportRow) => [
    x.iface,
    x.partner,
    x.tier ?? '',
    x.calls,
    x.ok,
    x.failed,
    x.deferred,
    x.successRate.toFixed(5),
    x.slaTarget === null ? '' : x.slaTarget.toFixed(3),
    yesNo(x.slaMet),
    x.p50,
    x.p95,
    x.p99,
    codesText(x.codes),
    x.deadLetters,
    x.incidents,
  ];
  return `\ufeff${stringify([header, ...r.rows.map(line), line(r.total)])}`;
}
