// The tape cannot tell ATS prints from other off-exchange prints; FINRA's weekly data can, after the
// fact. When the store holds the week of a symbol's trades, this splits the tape's off-exchange
// volume by FINRA's ATS share of that week: an estimate, and labelled as one.
import { weekEndingOf, weekStartOf } from '../domain/calendar.js';
import type { Queries } from '../read/queries.js';
import type { CrossCheck } from './report.js';

export function finraCrossCheck(q: Queries): CrossCheck {
  return (symbol, newYorkDate, offExchangeVolume) => {
    const week = weekStartOf(newYorkDate);
    const loaded = q.weeksStarting(week);
    if (!loaded.length) return { status: 'week_not_loaded', week_start: week, week_ending: weekEndingOf(week) };
    const known = q.resolveSymbol(symbol);
    const row = known ? loaded.map((w) => q.symbolWeek(week, w.tier, known.symbol)).find(Boolean) : undefined;
    const tier = row?.tier ?? known?.tier ?? null;
    const nonAtsPublished = loaded.some((w) => w.has_non_ats === 1 && (!tier || w.tier === tier));
    const ats = row?.shares ?? 0;
    const nonAts = row ? row.non_ats_shares : nonAtsPublished ? 0 : null;
    const atsShare = nonAts !== null && ats + nonAts > 0 ? ats / (ats + nonAts) : null;
    return {
      status: 'loaded',
      week_start: week,
      week_ending: weekEndingOf(week),
      finra_symbol: known?.symbol ?? null,
      tier,
      finra_ats_shares: ats,
      finra_non_ats_shares: nonAts,
      finra_ats_share_of_off_exchange: atsShare === null ? null : Math.round(atsShare * 10_000) / 10_000,
      tape_off_exchange_volume: offExchangeVolume,
      estimate: {
        estimate: true,
        method: "this file's off-exchange volume split by FINRA's ATS share of off-exchange shares for the whole week",
        ats_volume: atsShare === null ? null : Math.round(offExchangeVolume * atsShare),
        non_ats_volume: atsShare === null ? null : Math.round(offExchangeVolume * (1 - atsShare)),
      },
    };
  };
}
