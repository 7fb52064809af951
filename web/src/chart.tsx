/** A uPlot line chart sized to its container (so it fits a 390 px phone). */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface Line {
  label: string;
  values: Array<number | null>;
  color: string;
}

export function Chart({
  title,
  times,
  lines,
  format,
}: {
  title: string;
  /** seconds since the epoch */
  times: number[];
  lines: Line[];
  format?: (v: number) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 180,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        {},
        {
          size: 56,
          ...(format ? { values: (_u: uPlot, splits: number[]) => splits.map((v) => format(v)) } : {}),
        },
      ],
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, spanGaps: true }))],
    };
    const plot = new uPlot(opts, [times, ...lines.map((l) => l.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(200, el.clientWidth), height: 180 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, lines, format]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-box" />
    </figure>
  );
}
