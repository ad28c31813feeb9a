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
  const bars = uPlot.paths.bars!({ size: [0.6, 40] });
  new uPlot(
    {
      width,
      height: 280,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      series: [
        {},
        { label: 'ATS shares', stroke: '#1f5fa8', fill: 'rgba(31,95,168,0.35)', paths: bars, value: (_u, v) => short(v) },
        { label: 'Notional (USD)', stroke: '#b5541b', width: 2, scale: 'usd', value: (_u, v) => usd(v), spanGaps: false },
      ],
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => short(t)), size: 60 }, { side: 1, scale: 'usd', grid: { show: false }, values: (_u, ticks) => ticks.map((t) => usd(t)), size: 70 }],
      legend: { live: true },
    },
    [x, shares, notional as (number | null)[]],
    holder,
  );
  return holder;
}
