// The benchmark chart: throughput and latency per system, rendered by ECharts on the server as
// SVG and converted to PNG by resvg (fonts: the system's).
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as echarts from 'echarts';
import { Resvg } from '@resvg/resvg-js';

const WIDTH = 1400;
const HEIGHT = 620;

/** Writes the chart of `results` (see bench/run.mjs) to `file` (PNG); returns the SVG text. */
export async function renderChart({ results, limits = [], rate }, file) {
  const ok = results.filter((r) => r.ordersPerS);
  const names = ok.map((r) => r.label);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  const throughputNames = [...names];
  const throughput = ok.map((r) => Math.round(r.ordersPerS));
  // The durable-write limits are rows/s of the bare store, shown beside the systems' orders/s.
  for (const l of limits) {
    const store = l.setting.startsWith('SQLite') ? 'SQLite' : 'PostgreSQL';
    throughputNames.push(`limit: ${store} writes, batched`);
    throughput.push(Math.round(l.batched));
    throughputNames.push(`limit: ${store} writes, 1 per tx`);
    throughput.push(Math.round(l.single));
  }
  const label = { show: true, position: 'right', fontSize: 11 };
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'DejaVu Sans, sans-serif' },
    title: [
      {
        text: 'Throughput, end to end (orders/s; limits: rows/s) — log scale',
        left: '3%',
        top: 8,
        textStyle: { fontSize: 15 },
      },
      {
        text: `Latency at ${rate} orders/s (ms) — log scale`,
        left: '55%',
        top: 8,
        textStyle: { fontSize: 15 },
      },
    ],
    legend: {
      data: ['ingest p50', 'ingest p99', 'end to end p50', 'end to end p99'],
      left: '55%',
      top: 36,
      itemGap: 40,
    },
    grid: [
      { left: '17%', width: '30%', top: 70, bottom: 40 },
      { left: '67%', width: '30%', top: 70, bottom: 40 },
    ],
    xAxis: [
      { type: 'log', gridIndex: 0, min: 1, axisLabel: { fontSize: 10 } },
      { type: 'log', gridIndex: 1, min: 1, axisLabel: { fontSize: 10 } },
    ],
    yAxis: [
      { type: 'category', gridIndex: 0, data: throughputNames, inverse: true, axisLabel: { fontSize: 11 } },
      { type: 'category', gridIndex: 1, data: names, inverse: true, axisLabel: { fontSize: 11 } },
    ],
    series: [
      {
        type: 'bar',
        xAxisIndex: 0,
        yAxisIndex: 0,
        data: throughput.map((v, i) => ({
          value: Math.max(1, v),
          itemStyle: {
            color: throughputNames[i].startsWith('limit')
              ? '#9aa5b1'
              : throughputNames[i].startsWith('Waygate')
                ? '#1f6feb'
                : '#d29922',
          },
        })),
        label,
      },
      ...[
        ['ingest p50', (r) => r.ingest?.p50],
        ['ingest p99', (r) => r.ingest?.p99],
        ['end to end p50', (r) => r.e2e?.p50],
        ['end to end p99', (r) => r.e2e?.p99],
      ].map(([name, pick]) => ({
        name,
        type: 'bar',
        xAxisIndex: 1,
        yAxisIndex: 1,
        // Bars on a log axis grow from 1: a value under 1 ms is drawn at 1 and labelled as measured.
        data: ok.map((r) => {
          const v = Number((pick(r) ?? 0).toFixed(1));
          return { value: Math.max(1, v), label: { formatter: String(v) } };
        }),
        label: { show: true, position: 'right', fontSize: 9 },
      })),
    ],
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  const png = new Resvg(svg, {
    fitTo: { mode: 'width', value: WIDTH },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  writeFileSync(file, png);
  return svg;
}

// `node bench/chart/render.mjs RESULTS.json` draws the chart of a saved run again, beside it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  const out = file.replace(/\.json$/, '.png');
  await renderChart({ results: saved.results, limits: saved.limits, rate: saved.job.RATE }, out);
  process.stdout.write(`written: ${out}\n`);
}
