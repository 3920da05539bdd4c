/**
 * A uPlot chart (https://github.com/leeoniya/uPlot). uPlot draws on a canvas and sets sizes
 * through the CSSOM, never through style attributes or inline <style>, so it runs under the
 * console's strict CSP (style-src 'self'); its stylesheet is bundled with ours.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Colours per series, in order (colour-blind safe, Okabe-Ito). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

export interface ChartSeries {
  label: string;
  /** One value per x; null leaves a gap (a suppressed cell). */
  values: Array<number | null>;
}

/**
 * Draws `series` over `x` (UTC seconds of each day or week) as lines or bars. `unit` labels
 * the y axis. The chart is described to assistive technology by `summary`.
 */
export function Chart({ title, x, series, unit, bars = false, summary }: { title: string; x: number[]; series: ChartSeries[]; unit: string; bars?: boolean; summary: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const width = Math.max(320, host.clientWidth || 640);
    const opts: uPlot.Options = {
      title,
      width,
      height: 260,
      scales: { x: { time: true } },
      axes: [{}, { label: unit, size: 60 }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          fill: bars ? PALETTE[i % PALETTE.length] + '99' : undefined,
          width: 2,
          spanGaps: false,
          ...(bars ? { paths: uPlot.paths.bars!({ size: [0.6 / Math.max(1, series.length), 60], align: 0 }), points: { show: false } } : {}),
        })),
      ],
    };
    const u = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, host);
    return () => u.destroy();
  }, [title, x, series, unit, bars]);
  return (
    <figure className="chart">
      <div ref={el} role="img" aria-label={summary} />
    </figure>
  );
}
