// One symbol: search box, weekly ATS shares and notional over a chosen range of weeks, venue breakdown,
// and the non-ATS firms (wholesalers) beside the ATSs in the symbol's off-exchange volume.
import { api, call, jsonUrl, type Schemas } from '../api.js';
import { weeklyChart } from '../chart.js';
import { bars, sortableTable } from '../table.js';
import { el, failure, heading, jsonLink, loading, num, sharePct, showFreshness, short, trendBadge, usd } from '../ui.js';

/** The ranges the chart offers: the newest 12, 26 or 52 loaded weeks, or every one the store holds. */
const RANGES = { '12': 12, '26': 26, '52': 52, all: 5000 } as const;
type Range = keyof typeof RANGES;

export async function tickerView(main: HTMLElement, ticker: string, rangeParam = ''): Promise<void> {
  const range: Range = rangeParam in RANGES ? (rangeParam as Range) : '52';
  const weeks = RANGES[range];
  const input = el('input', {
    id: 'ticker',
    name: 'ticker',
    value: ticker,
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
    placeholder: 'e.g. TQQQ or BRK-B',
    required: true,
    maxlength: '20',
  });
  const form = el(
    'form',
    { class: 'controls', role: 'search' },
    el('label', { for: 'ticker' }, 'Ticker'),
    input,
    el('button', { type: 'submit' }, 'Show'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const t = input.value.trim();
    if (t) location.hash = `#/ticker/${encodeURIComponent(t)}`;
  });
  const body = el('div', { class: 'panel' });
  main.replaceChildren(heading(ticker ? `Ticker ${ticker.toUpperCase()}` : 'Ticker'), form, body);
  if (!ticker) {
    body.append(el('p', { class: 'lede' }, 'Type a symbol in any common spelling (BRK.B, brk-b, BRK/B).'));
    queueMicrotask(() => input.focus());
    return;
  }
  body.replaceChildren(loading(ticker, 760));
  try {
    const path = { ticker };
    const [week, history, offExchange] = await Promise.all([
      call(api.GET('/darkpool/weekly/{ticker}', { params: { path } })),
      call(api.GET('/darkpool/history/{ticker}', { params: { path, query: { weeks } } })),
      call(api.GET('/darkpool/offexchange/{ticker}', { params: { path } })),
    ]);
    showFreshness(week.source);
    const picker = el(
      'select',
      { id: 'range' },
      ...Object.keys(RANGES).map((key) =>
        el('option', { value: key, selected: key === range }, key === 'all' ? 'every loaded week' : `${key} weeks`),
      ),
    );
    picker.addEventListener('change', () => (location.hash = `#/ticker/${encodeURIComponent(ticker)}/${picker.value}`));
    body.replaceChildren(
      el('div', { class: 'controls' }, el('label', { for: 'range' }, 'Weeks shown'), picker),
      ...render(week, history, weeks),
      ...wholesalers(offExchange),
    );
  } catch (err) {
    body.replaceChildren(failure(err, () => void tickerView(main, ticker, range)));
  }
}

type HistoryRecord = Schemas['History']['data'][number];
type PublishedWeek = Exclude<HistoryRecord, { estimate: true }>;

function render(w: Schemas['Weekly'], history: Schemas['History'], weeks: number): Node[] {
  // This page asks for FINRA's weeks only (no include=estimates); the type allows estimates too.
  const h = { data: history.data.filter((d): d is PublishedWeek => d.estimate !== true) };
  const weeklyJson = jsonUrl(`/darkpool/weekly/${encodeURIComponent(w.ticker)}`);
  const historyJson = jsonUrl(`/darkpool/history/${encodeURIComponent(w.ticker)}`, { weeks });
  const stat = (label: string, value: Node | string) => el('div', { class: 'stat' }, el('dt', {}, label), el('dd', {}, value));
  const width = Math.max(280, Math.min(1168, (document.querySelector('main')?.clientWidth ?? 960) - 34));
  const chart = el(
    'figure',
    { class: 'chart', 'data-testid': 'history-chart' },
    el(
      'div',
      {
        role: 'img',
        'aria-label': `Weekly ATS shares of ${w.ticker} over ${h.data.length} weeks, from ${short(Math.min(...h.data.map((d) => d.dark_pool_shares)))} to ${short(Math.max(...h.data.map((d) => d.dark_pool_shares)))}`,
      },
      weeklyChart(
        h.data.map((d) => ({ weekEnding: d.week_ending, shares: d.dark_pool_shares, notional: d.dark_pool_volume_usd })),
        width,
      ),
    ),
    el(
      'figcaption',
      {},
      `Weekly ATS shares (bars, left axis: shares per week) and notional (line, right axis: US dollars), ${h.data.length} loaded weeks. `,
      jsonLink(historyJson),
    ),
  );
  const totalsOnly = w.coverage === 'symbol_totals';
  return [
    el(
      'p',
      { class: 'lede' },
      `${w.issue_name ?? w.ticker} · ${w.sector} · tier ${w.tier} · week ending ${w.week_ending}. `,
      jsonLink(weeklyJson),
    ),
    ...(totalsOnly
      ? [
          el(
            'p',
            { class: 'notice', role: 'note' },
            "This week holds FINRA's per-symbol total only: how the shares split between ATSs is not loaded.",
          ),
        ]
      : []),
    el(
      'dl',
      { class: 'stats' },
      stat('ATS shares', num(w.dark_pool_shares)),
      stat('Notional', usd(w.dark_pool_volume_usd)),
      stat('Trades', num(w.dark_pool_trades)),
      stat('ATSs with volume', num(w.ats_venues)),
      stat('Avg trade size', w.avg_trade_size === null ? '—' : num(Math.round(w.avg_trade_size))),
      stat('Trend vs last week', trendBadge(w.trend, w.change_pct)),
      stat('Per trading day', trendBadge(w.trend_per_day, w.change_pct_per_day)),
    ),
    chart,
    el('h2', {}, totalsOnly ? 'Venues' : `Venues (${w.venues.length})`),
    totalsOnly
      ? el('p', {}, 'Not known for this week.')
      : w.venues.length
        ? el(
            'figure',
            { class: 'venues', 'data-testid': 'venues' },
            bars(
              `ATS share of ${w.ticker}'s dark-pool volume by venue`,
              w.venues.map((v) => ({
                name: `${v.mpid} ${v.name}`,
                value: v.shares ?? 0,
                text: `${num(v.shares)} (${sharePct(v.shares, w.dark_pool_shares)})`,
              })),
            ),
            el('figcaption', {}, 'Every ATS that traded the symbol that week, largest first. ', jsonLink(weeklyJson)),
          )
        : el('p', {}, 'No ATS traded the symbol in its latest week.'),
  ];
}

type Participant = Schemas['OffExchange']['data'][number];

/** The symbol's off-exchange volume by firm: the non-ATS firms (wholesalers) with the ATSs for scale. */
function wholesalers(o: Schemas['OffExchange']): Node[] {
  const json = jsonUrl(`/darkpool/offexchange/${encodeURIComponent(o.ticker)}`);
  const heading2 = el('h2', {}, 'Off-exchange: ATSs and wholesalers');
  if (o.non_ats_shares === null) {
    return [
      heading2,
      el('p', {}, "FINRA's non-ATS figures are not loaded for this week (it came from a website export). ", jsonLink(json)),
    ];
  }
  const firms = o.data.filter((d) => d.kind === 'non_ats');
  const pct = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)}%`);
  return [
    heading2,
    el(
      'p',
      {},
      `Week ending ${o.week_ending}: ${num(o.off_exchange_shares)} shares traded off exchange, ${pct(o.ats_share_pct)} in ATSs (dark pools) and ${pct(o.non_ats_share_pct)} with non-ATS firms (wholesalers, internalizers), which are not dark pools. `,
      jsonLink(json),
    ),
    o.non_ats_firms_loaded
      ? sortableTable<Participant>(
          `Non-ATS firms in ${o.ticker}, week ending ${o.week_ending}`,
          [
            {
              key: 'name',
              label: 'Firm',
              value: (r) => r.name,
              wrap: true,
              render: (r) => (r.de_minimis ? `${r.name} (FINRA's sum of the small firms)` : r.name),
            },
            { key: 'shares', label: 'Shares', numeric: true, value: (r) => r.shares, render: (r) => num(r.shares) },
            { key: 'trades', label: 'Trades', numeric: true, optional: true, value: (r) => r.trades, render: (r) => num(r.trades) },
            {
              key: 'share',
              label: 'Of off-exchange',
              numeric: true,
              value: (r) => r.off_exchange_share_pct,
              // Small shares keep two significant digits (0.0041%), as the venue bars do.
              render: (r) => sharePct(r.shares, o.off_exchange_shares ?? 0),
            },
          ],
          firms,
          { key: 'shares', descending: true },
        )
      : el('p', {}, "FINRA's per-firm non-ATS rows are not loaded for this week: only their total is."),
  ];
}
