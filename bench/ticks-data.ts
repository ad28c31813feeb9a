// Builds the tape benchmark's input from the real IBM sample: its 19,264 trades repeated over
// consecutive weekdays (the times shifted by whole days, nothing else changed) until the count asked.
// With `perDay` > 1 each day's trades appear that many times: more trades, the same candles.
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../fixtures/ticks/ibm_2013-10-11_trades.csv', import.meta.url));
const DAY_MS = 86_400_000;

export async function buildTapeFile(path: string, minTrades: number, perDay = 1): Promise<{ trades: number; bytes: number }> {
  const [header, ...rows] = readFileSync(SOURCE, 'utf8').trim().split('\n');
  const copies = Math.ceil(minTrades / rows.length / perDay) * perDay;
  const trades = copies * rows.length;
  if (existsSync(path)) {
    const firstLine = readFileSync(path, { encoding: 'utf8', flag: 'r' }).slice(0, 200).split('\n')[0];
    if (firstLine === header && statSync(path).size > 0 && path.includes(String(trades))) return { trades, bytes: statSync(path).size };
  }
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  let day = Date.parse('2013-10-14T00:00:00Z'); // the Monday after the sample's Friday
  for (let copy = 0; copy < copies; copy += perDay) {
    while ([0, 6].includes(new Date(day).getUTCDay())) day += DAY_MS;
    const date = new Date(day).toISOString().slice(0, 10);
    const chunk = rows.map((r) => r.replace('2013-10-11', date)).join('\n');
    for (let k = 0; k < perDay; k++) if (!out.write(`${chunk}\n`)) await once(out, 'drain');
    day += DAY_MS;
  }
  out.end();
  await once(out, 'finish');
  return { trades, bytes: statSync(path).size };
}
