// Builds the tape benchmark's input from the real IBM sample: its 19,264 trades repeated over
// consecutive weekdays (the times shifted by whole days, nothing else changed) until the count asked.
// With `perDay` > 1 each day's trades appear that many times: more trades, the same candles.
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { MASSIVE_CONDITIONS, MASSIVE_EXCHANGES } from '../src/ticks/massive.js';

const SOURCE = fileURLToPath(new URL('../fixtures/ticks/ibm_2013-10-11_trades.csv', import.meta.url));
const DAY_MS = 86_400_000;

export async function buildTapeFile(
  path: string,
  minTrades: number,
  perDay = 1,
  exactly = false,
): Promise<{ trades: number; bytes: number }> {
  const [header, ...rows] = readFileSync(SOURCE, 'utf8').trim().split('\n');
  const copies = Math.ceil(minTrades / rows.length / perDay) * perDay;
  // With `exactly`, the last day is cut short at the count asked.
  const trades = exactly ? minTrades : copies * rows.length;
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
    const before = copy * rows.length; // exactly is for one copy a day
    const chunk = rows
      .slice(0, trades - before)
      .map((r) => r.replace('2013-10-11', date))
      .join('\n');
    for (let k = 0; k < perDay; k++) if (!out.write(`${chunk}\n`)) await once(out, 'drain');
    day += DAY_MS;
  }
  out.end();
  await once(out, 'finish');
  return { trades, bytes: statSync(path).size };
}

/**
 * The same trades in Massive's flat-file layout (numeric ids by the vendor's tables, nanosecond
 * times, tape A), for the reader of that layout: it must keep pace with our own.
 */
export async function buildMassiveTapeFile(path: string, from: string): Promise<{ trades: number; bytes: number }> {
  const conditionId = new Map<string, number>();
  for (const plan of ['cta', 'utp'] as const)
    for (const [id, c] of Object.entries(MASSIVE_CONDITIONS))
      if (c[plan] && !conditionId.has(c[plan])) conditionId.set(c[plan], Number(id));
  const exchangeId = new Map<string, number>();
  for (const [id, e] of Object.entries(MASSIVE_EXCHANGES)) if (!exchangeId.has(e.participant)) exchangeId.set(e.participant, Number(id));
  // As Massive's files carry them: Nasdaq is 12 on every tape, an off-exchange print FINRA's 4 (its
  // facility, when known, in trf_id), never a facility's own id as the exchange.
  exchangeId.set('Q', 12).set('D', 4);
  const [, ...rows] = readFileSync(from, 'utf8').trimEnd().split('\n');
  if (existsSync(path) && path.includes(String(rows.length))) return { trades: rows.length, bytes: statSync(path).size };
  const out = createWriteStream(path);
  out.write(
    'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp\n',
  );
  for (let i = 0; i < rows.length; i++) {
    const [symbol, time, price, size, exchange, conditions] = rows[i]!.split(',');
    const ids = [...conditions!].filter((c) => c !== '@').map((c) => conditionId.get(c));
    const ns = `${BigInt(Date.parse(time!)) * 1_000_000n}`;
    const line = [
      symbol,
      ids.length > 1 ? `"${ids.join(',')}"` : ids.join(''),
      0,
      exchangeId.get(exchange!),
      i,
      '',
      price,
      i,
      ns,
      size,
      1,
      '',
      '',
    ];
    if (!out.write(`${line.join(',')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { trades: rows.length, bytes: statSync(path).size };
}

/**
 * A whole market's shape from the same real trades: each line of `from` given to one of `symbols`
 * tickers in turn, so each ticker's trades spread over every day and nearly every trade opens a
 * candle of its own (the report's JSON runs to hundreds of megabytes).
 */
export async function buildWideTapeFile(path: string, from: string, symbols: number): Promise<{ trades: number; bytes: number }> {
  const [header, ...rows] = readFileSync(from, 'utf8').trimEnd().split('\n');
  if (existsSync(path)) return { trades: rows.length, bytes: statSync(path).size };
  const tickers = Array.from(
    { length: symbols },
    (_, i) =>
      `W${i
        .toString(26)
        .toUpperCase()
        .replace(/[0-9]/g, (d) => 'QRSTUVWXYZ'[Number(d)]!)}`,
  );
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  for (let i = 0; i < rows.length; i += 10_000) {
    const chunk = rows
      .slice(i, i + 10_000)
      .map((r, k) => `${tickers[(i + k) % symbols]}${r.slice(r.indexOf(','))}`)
      .join('\n');
    if (!out.write(`${chunk}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { trades: rows.length, bytes: statSync(path).size };
}
