// The ATS leaderboard of the newest week.
import { api, call, jsonUrl, type Schemas } from '../api.js';
import { commonColumns, sortableTable } from '../table.js';
import { el, failure, heading, jsonLink, loading, num, sharePct, showFreshness, tierMenu, trendBadge } from '../ui.js';

type Row = Schemas['VenueTotal'];

export async function venuesView(main: HTMLElement, tier = ''): Promise<void> {
  const menu = tierMenu('venues', tier);
  const body = el('div', { class: 'panel' }, loading('venues', 560));
  main.replaceChildren(heading('Venues'), menu.control, body);
  const query = tier ? { tier: tier as 'T1' | 'T2' | 'OTCE' } : {};
  try {
    const data = await call(api.GET('/darkpool/venues', { params: { query } }));
    showFreshness(data.source);
    menu.offer(data.source);
    const total = data.data.reduce((sum, r) => sum + r.dark_pool_shares, 0);
    body.replaceChildren(
      el(
        'p',
        { class: 'lede' },
        `Every ATS by its shares in the week ending ${data.week_ending} (tiers ${data.tiers.join(', ')}). `,
        jsonLink(jsonUrl('/darkpool/venues', query)),
      ),
      sortableTable<Row>(
        `ATS leaderboard, week ending ${data.week_ending}`,
        [
          { key: 'mpid', label: 'MPID', value: (r) => r.mpid, optional: true },
          {
            key: 'name',
            label: 'Venue',
            value: (r) => r.name,
            wrap: true,
            render: (r) => el('a', { href: `#/venue/${encodeURIComponent(r.mpid)}` }, r.name),
          },
          { key: 'shares', label: 'ATS shares', numeric: true, value: (r) => r.dark_pool_shares, render: (r) => num(r.dark_pool_shares) },
          {
            key: 'share',
            label: 'Market share',
            numeric: true,
            value: (r) => r.dark_pool_shares,
            render: (r) => sharePct(r.dark_pool_shares, total),
          },
          commonColumns.notional<Row>(),
          commonColumns.trades<Row>(),
          {
            key: 'size',
            label: 'Avg size',
            numeric: true,
            optional: true,
            value: (r) => r.avg_trade_size,
            render: (r) => (r.avg_trade_size === null ? '—' : num(Math.round(r.avg_trade_size))),
          },
          {
            key: 'symbols',
            label: 'Symbols',
            numeric: true,
            optional: true,
            value: (r) => r.symbols_traded,
            render: (r) => num(r.symbols_traded),
          },
          {
            key: 'trend',
            label: 'Trend',
            wrap: true,
            optional: true,
            value: (r) => r.change_pct,
            render: (r) => trendBadge(r.trend, r.change_pct),
          },
        ],
        data.data,
        { key: 'shares', descending: true },
      ),
    );
  } catch (err) {
    body.replaceChildren(failure(err, () => void venuesView(main, tier)));
  }
}
