// Share of ATS volume by sector, this week against the week before.
import { api, ApiError, call, jsonUrl, type Schemas } from '../api.js';
import { bars } from '../table.js';
import { el, failure, heading, jsonLink, loading, num, sharePct, showFreshness } from '../ui.js';

function weekBefore(weekEnding: string): string {
  return new Date(Date.parse(`${weekEnding}T00:00:00Z`) - 7 * 86_400_000).toISOString().slice(0, 10);
}

export async function sectorsView(main: HTMLElement): Promise<void> {
  const body = el('div', { class: 'panel' }, loading('sectors', 520));
  main.replaceChildren(heading('Sectors'), body);
  try {
    const now = await call(api.GET('/darkpool/sectors', {}));
    showFreshness(now.source);
    const previousWeek = weekBefore(now.week_ending);
    let before: Schemas['Sectors'] | null = null;
    try {
      before = await call(api.GET('/darkpool/sectors', { params: { query: { week: previousWeek } } }));
    } catch (err) {
      if (!(err instanceof ApiError && err.problem?.code === 'week_not_found')) throw err;
    }
    // Shares from the counts, not the rounded percentages: a small sector never reads 0.00%.
    const totalOf = (d: Schemas['Sectors']['data']) => d.reduce((sum, s) => sum + s.dark_pool_shares, 0);
    const total = totalOf(now.data);
    const totalBefore = before ? totalOf(before.data) : 0;
    const last = new Map(before?.data.map((s) => [s.sector, s.dark_pool_shares]) ?? []);
    body.replaceChildren(
      el(
        'p',
        { class: 'lede' },
        `Share of all ATS shares by sector, week ending ${now.week_ending}`,
        before ? ` (darker) against ${previousWeek} (lighter). ` : ` (the week before is not loaded). `,
        jsonLink(jsonUrl('/darkpool/sectors')),
        ' ',
        before ? jsonLink(jsonUrl('/darkpool/sectors', { week: previousWeek }), 'previous week JSON') : '',
      ),
      el(
        'figure',
        { class: 'sectors', 'data-testid': 'sectors' },
        bars(
          'Sectors by share of ATS volume',
          now.data.map((s) => ({
            name: s.sector,
            value: s.dark_pool_shares / total,
            text: `${sharePct(s.dark_pool_shares, total)} · ${num(s.ticker_count)} ${s.ticker_count === 1 ? 'symbol' : 'symbols'}`,
            ...(before
              ? {
                  secondary: (last.get(s.sector) ?? 0) / (totalBefore || 1),
                  secondaryText: `last week ${sharePct(last.get(s.sector) ?? 0, totalBefore)}`,
                }
              : {}),
          })),
        ),
      ),
    );
  } catch (err) {
    body.replaceChildren(failure(err, () => void sectorsView(main)));
  }
}
