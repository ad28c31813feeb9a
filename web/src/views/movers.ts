// This week's movers: the top 20 by ATS shares, or the biggest risers or fallers, sortable, with a tier filter.
import { api, call, jsonUrl, type Schemas } from '../api.js';
import { commonColumns, sortableTable } from '../table.js';
import { el, failure, heading, jsonLink, loading, num, showFreshness, tierMenu, trendBadge } from '../ui.js';

type Row = Schemas['SymbolWeek'];

/** What the list ranks by: ATS shares, or the change against the week before (fallers include those that fell to zero). */
const RANKS = {
  shares: { label: 'Most ATS shares', query: {}, lede: 'with the most ATS (dark pool) shares' },
  risers: { label: 'Biggest risers', query: { sort: 'change', order: 'desc' }, lede: 'whose ATS shares rose most against the week before' },
  fallers: {
    label: 'Biggest fallers',
    query: { sort: 'change', order: 'asc' },
    lede: 'whose ATS shares fell most against the week before (to zero included)',
  },
} as const;
type Rank = keyof typeof RANKS;

export async function moversView(main: HTMLElement, tierParam = '', rankParam = ''): Promise<void> {
  const tier = tierParam === 'all' ? '' : tierParam;
  const rank: Rank = rankParam in RANKS ? (rankParam as Rank) : 'shares';
  const menu = tierMenu('movers', tier, rank === 'shares' ? '' : `/${rank}`);
  const ranks = el(
    'select',
    { id: 'rank' },
    ...Object.entries(RANKS).map(([key, r]) => el('option', { value: key, selected: key === rank }, r.label)),
  );
  ranks.addEventListener('change', () => {
    location.hash =
      ranks.value === 'shares' && !tier ? '#/movers' : `#/movers/${tier || 'all'}${ranks.value === 'shares' ? '' : `/${ranks.value}`}`;
  });
  menu.control.append(el('label', { for: 'rank' }, 'Rank by'), ranks);
  const body = el('div', { class: 'panel' }, loading('movers', 560));
  main.replaceChildren(heading('Movers'), menu.control, body);

  const query = { ...(tier ? { tier: tier as 'T1' | 'T2' | 'OTCE' } : {}), ...RANKS[rank].query };
  try {
    const data = await call(api.GET('/darkpool/movers/top20', { params: { query } }));
    showFreshness(data.source);
    menu.offer(data.source);
    const url = jsonUrl('/darkpool/movers/top20', query);
    body.replaceChildren(
      el(
        'p',
        { class: 'lede' },
        `The 20 symbols ${RANKS[rank].lede} in the week ending ${data.week_ending} (tiers ${data.tiers.join(', ')}). `,
        jsonLink(url),
      ),
      sortableTable<Row>(
        `Top 20: ${RANKS[rank].label.toLowerCase()}, week ending ${data.week_ending}`,
        [
          { key: 'rank', label: '#', numeric: true, value: (r) => data.data.indexOf(r) + 1 },
          {
            key: 'ticker',
            label: 'Ticker',
            value: (r) => r.ticker,
            render: (r) => el('a', { href: `#/ticker/${encodeURIComponent(r.ticker)}` }, r.ticker),
          },
          { key: 'name', label: 'Name', value: (r) => r.issue_name, wrap: true, optional: true },
          { key: 'sector', label: 'Sector', value: (r) => r.sector, wrap: true, optional: true },
          { key: 'tier', label: 'Tier', value: (r) => r.tier, optional: true },
          { key: 'shares', label: 'ATS shares', numeric: true, value: (r) => r.dark_pool_shares, render: (r) => num(r.dark_pool_shares) },
          commonColumns.notional<Row>(),
          commonColumns.trades<Row>(),
          { key: 'venues', label: 'ATSs', numeric: true, optional: true, value: (r) => r.ats_venues, render: (r) => num(r.ats_venues) },
          { key: 'trend', label: 'Trend', wrap: true, value: (r) => r.change_pct, render: (r) => trendBadge(r.trend, r.change_pct) },
        ],
        data.data,
        { key: 'rank', descending: false },
      ),
    );
  } catch (err) {
    body.replaceChildren(failure(err, () => void moversView(main, tier)));
  }
}
