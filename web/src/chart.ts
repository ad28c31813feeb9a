// Weekly ATS shares (bars) and notional (line) with uPlot, bundled and served by this server.
import uPlot from 'uplot';
import { short, usd } from './ui.js';

export interface WeekPoint {
  weekEnding: string;
  shares: number;
  notional: number | null;
}

export function weeklyChart(points: WeekPoint[], width: number): HTMLElement {
  const holder = document.createElement('div');
  const ordered = [...points].sort((a, b) => a.weekEnding.localeCompare(b.weekEnding));
  const x = ordered.map((p) => Date.parse(`${p.weekEnding}T00:00:00Z`) / 1000);
  const shares = ordered.map((p) => p.shares);
  const notional = ordered.map((p) => p.notional);
  // FINRA's website exports carry no notional: no empty dollar axis for them.
  const hasUsd = notional.some((v) => v != null);
  const bars = uPlot.paths.bars!({ size: [0.6, 40] });
  new uPlot(
    {
      width,
      height: 280,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      // Half a week of room either side of the data's own span (uPlot widens a lone point's range
      // to ~1000 days in seconds mode): a lone week stays a bar, not a sliver at a three-year axis.
      // Bars start at zero: a truncated axis would make a -24% week look like -90%.
      scales: {
        x: { time: true, range: () => [x[0]! - 4 * 86_400, x.at(-1)! + 4 * 86_400] },
        y: { range: (_u, _min, max) => [0, niceMax(max)] },
        usd: { range: (_u, _min, max) => [0, niceMax(max)] },
      },
      series: [
        { label: 'Week ending', value: (_u, t) => (t == null ? '' : new Date(t * 1000).toISOString().slice(0, 10)) },
        { label: 'ATS shares', stroke: '#1f5fa8', fill: 'rgba(31,95,168,0.35)', paths: bars, value: (_u, v) => short(v) },
        { label: 'Notional (USD)', stroke: '#b5541b', width: 2, scale: 'usd', value: (_u, v) => usd(v), spanGaps: false },
      ],
      // Ticks at the weeks' own Sunday endings (at most ~10 labels), labelled as the API spells them.
      axes: [
        {
          splits: () => x.filter((_t, i) => (x.length - 1 - i) % Math.ceil(x.length / 10) === 0),
          values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(0, 10)),
        },
        { label: 'ATS shares per week', values: (_u, ticks) => ticks.map((t) => short(t)), size: 60 },
        {
          show: hasUsd,
          label: 'Notional (USD)',
          side: 1,
          scale: 'usd',
          grid: { show: false },
          values: (_u, ticks) => ticks.map((t) => usd(t)),
          size: 70,
        },
      ],
      legend: { live: true },
    },
    [x, shares, notional as (number | null)[]],
    holder,
  );
  return holder;
}

/** A little headroom above the tallest value; 1 when there is nothing to show. */
function niceMax(max: number | null): number {
  return max != null && max > 0 ? max * 1.08 : 1;
}
