// Unusual activity: symbols whose ATS shares stand 2 standard deviations or more from their own
// trailing 8 weeks, up or down, with a tier filter. The rule is the API's (see /docs).
import { api, call, jsonUrl, type Schemas } from '../api.js';
import { sortableTable } from '../table.js';
import { el, failure, heading, jsonLink, loading, num, showFreshness, tierMenu } from '../ui.js';

type Row = Schemas['UnusualRecord'];
const DIRECTIONS = { up: 'Above their usual', down: 'Below their usual' } as const;
type Direction = keyof typeof DIRECTIONS;

export async function unusualView(main: HTMLElement, tierParam = '', directionParam = ''): Promise<void> {
  const tier = tierParam === 'all' ? '' : tierParam;
  const direction: Direction = directionParam === 'down' ? 'down' : 'up';
  const menu = tierMenu('unusual', tier, direction === 'up' ? '' : '/down');
  const select = el(
    'select',
    { id: 'direction' },
    ...Object.entries(DIRECTIONS).map(([key, label]) => el('option', { value: key, selected: key === direction }, label)),
  );
  select.addEventListener('change', () => {
    location.hash = select.value === 'up' && !tier ? '#/unusual' : `#/unusual/${tier || 'all'}${select.value === 'up' ? '' : '/down'}`;
  });
  menu.control.append(el('label', { for: 'direction' }, 'Show'), select);
  const body = el('div', { class: 'panel' }, loading('unusual activity', 560));
  main.replaceChildren(heading('Unusual'), menu.control, body);

  const query = { ...(tier ? { tier: tier as 'T1' | 'T2' | 'OTCE' } : {}), ...(direction === 'down' ? { direction } : {}) };
  try {
    const data = await call(api.GET('/darkpool/unusual', { params: { query } }));
    showFreshness(data.source);
    menu.offer(data.source);
    const short = data.trailing_weeks.filter((t) => !t.enough);
    body.replaceChildren(
      el(
        'p',
        { class: 'lede' },
        `Symbols whose ATS shares in the week ending ${data.week_ending} stand ${data.z} standard deviations or more ${direction === 'up' ? 'above' : 'below'} their mean of the ${data.window} weeks before (a week without ATS volume counts 0; trailing mean at least ${num(data.min_prev_shares)} shares). `,
        jsonLink(jsonUrl('/darkpool/unusual', query)),
      ),
      ...short.map((t) =>
        el(
          'p',
          { class: 'notice', role: 'note' },
          `Tier ${t.tier}: only ${t.weeks.length} loaded weeks before this one, ${data.window} needed.`,
        ),
      ),
      sortableTable<Row>(
        `Unusual activity, week ending ${data.week_ending}`,
        [
          {
            key: 'ticker',
            label: 'Ticker',
            value: (r) => r.ticker,
            render: (r) => el('a', { href: `#/ticker/${encodeURIComponent(r.ticker)}` }, r.ticker),
          },
          { key: 'name', label: 'Name', value: (r) => r.issue_name, wrap: true, optional: true },
          { key: 'tier', label: 'Tier', value: (r) => r.tier, optional: true },
          { key: 'shares', label: 'ATS shares', numeric: true, value: (r) => r.dark_pool_shares, render: (r) => num(r.dark_pool_shares) },
          {
            key: 'mean',
            label: 'Usual (mean)',
            numeric: true,
            value: (r) => r.trailing_mean,
            render: (r) => num(Math.round(r.trailing_mean)),
          },
          { key: 'z', label: 'z-score', numeric: true, value: (r) => r.zscore, render: (r) => r.zscore.toFixed(2) },
        ],
        data.data,
        { key: 'z', descending: direction === 'up' },
      ),
    );
  } catch (err) {
    body.replaceChildren(failure(err, () => void unusualView(main, tierParam, directionParam)));
  }
}
