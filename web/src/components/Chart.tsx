/** A uPlot line chart as a Preact component: created once, fed new data with setData as a run streams in. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  label: string;
  color: string;
  values: (number | null)[];
  dash?: number[];
  /** Draw dots at each value (epoch-level series are sparse). */
  points?: boolean;
  width?: number;
}

interface Props {
  title: string;
  x: number[];
  xLabel?: string;
  lines: Line[];
  /** Shade between two lines (indices into lines), e.g. the train–validation gap. */
  band?: { between: [number, number]; color: string };
  height?: number;
  testId?: string;
}

export function Chart({ title, x, xLabel = 'step', lines, band, height = 220, testId }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = lines.map((l) => l.label).join('|');

  useEffect(() => {
    if (!host.current) return;
    const opts: uPlot.Options = {
      title,
      width: host.current.clientWidth || 480,
      height,
      scales: { x: { time: false } },
      legend: { live: false },
      axes: [{ label: xLabel }, {}],
      series: [
        { label: xLabel },
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: l.width ?? 1.5,
          dash: l.dash,
          spanGaps: true,
          points: { show: l.points ?? false, size: 6 },
        })),
      ],
      bands: band ? [{ series: [band.between[0] + 1, band.between[1] + 1] as [number, number], fill: band.color }] : undefined,
    };
    const p = new uPlot(opts, [x, ...lines.map((l) => l.values)] as uPlot.AlignedData, host.current);
    plot.current = p;
    const resize = new ResizeObserver(() => host.current && p.setSize({ width: host.current.clientWidth, height }));
    resize.observe(host.current);
    return () => {
      resize.disconnect();
      p.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of lines changes; new points go through setData below.
  }, [shape, title, height]);

  useEffect(() => {
    plot.current?.setData([x, ...lines.map((l) => l.values)] as uPlot.AlignedData);
  });

  return <div class="chart" ref={host} data-testid={testId} data-points={x.length} />;
}
