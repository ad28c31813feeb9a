// One ATS: its weekly series (shares and market share) and what it traded in its newest week.
import { api, call, jsonUrl, type Schemas } from '../api.js';
import { bars, sortableTable } from '../table.js';
import { el, failure, heading, jsonLink, loading, num, showFreshness } from '../ui.js';

type SymbolRow = Schemas['VenueSymbols']['data'][number];

export async function venueView(main: HTMLElement, mpid: string): Promise<void> {
  const body = el('div', { class: 'panel' }, loading(mpid, 560));
  main.replaceChildren(heading(`Venue ${mpid.toUpperCase()}`), body);
  try {
    const path = { mpid };
    const [series, traded] = await Promise.all([
      call(api.GET('/darkpool/venues/{mpid}', { params: { path, query: { weeks: 52 } } })),
      call(api.GET('/darkpool/venues/{mpid}/symbols', { params: { path } })),
    ]);
    showFreshness(series.source);
    const seriesJson = jsonUrl(`/darkpool/venues/${encodeURIComponent(series.mpid)}`, { weeks: 52 });
    const tradedJson = jsonUrl(`/darkpool/venues/${encodeURIComponent(series.mpid)}/symbols`);
    body.replaceChildren(
      el('p', { class: 'lede' }, `${series.name} (${series.mpid}): ${series.data.length} loaded weeks. `, jsonLink(seriesJson)),
      el(
        'figure',
        { 'data-testid': 'venue-weeks' },
        bars(
          `ATS shares of ${series.mpid} by week`,
          series.data.map((w) => ({
            name: `week ending ${w.week_ending}`,
            value: w.dark_pool_shares,
            text: `${num(w.dark_pool_shares)} shares · ${w.market_share_pct.toFixed(2)}% of ATS shares (${w.tiers.join(', ')})`,
          })),
        ),
        el('figcaption', {}, 'Weekly ATS shares, newest first, with the share of all ATS shares in the tiers the venue traded.'),
      ),
      el('h2', {}, `What it traded in the week ending ${traded.week_ending}`),
      el('p', {}, jsonLink(tradedJson)),
      sortableTable<SymbolRow>(
        `${series.mpid}'s symbols, week ending ${traded.week_ending}`,
        [
          {
            key: 'ticker',
            label: 'Ticker',
            value: (r) => r.ticker,
            render: (r) => el('a', { href: `#/ticker/${encodeURIComponent(r.ticker)}` }, r.ticker),
          },
          { key: 'name', label: 'Name', value: (r) => r.issue_name, wrap: true, optional: true },
          { key: 'shares', label: 'ATS shares', numeric: true, value: (r) => r.shares, render: (r) => num(r.shares) },
          { key: 'trades', label: 'Trades', numeric: true, optional: true, value: (r) => r.trades, render: (r) => num(r.trades) },
          {
            key: 'symbol_share',
            label: 'Part of the symbol',
            numeric: true,
            value: (r) => r.symbol_share_pct,
            render: (r) => (r.symbol_share_pct === null ? '—' : `${r.symbol_share_pct.toFixed(2)}%`),
          },
        ],
        traded.data,
        { key: 'shares', descending: true },
      ),
    );
  } catch (err) {
    body.replaceChildren(failure(err, () => void venueView(main, mpid)));
  }
}
