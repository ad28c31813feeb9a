// How prints are classified, as data. The default follows the SIP specifications (CTS Output spec
// v2.11b, UTP Data Feed spec v3.0c): off-exchange prints carry participant `D`, odd lots carry sale
// condition `I`, and the conditions below may not move open/high/low/last. A popular article's
// convention (`U` = dark pool, `Y` = odd lot) is offered by name for data labelled that way; it is
// wrong for SIP data, where `U` is an out-of-sequence extended-hours trade and `Y` a yellow flag.

export interface RuleSet {
  name: 'sip' | 'letter-u-y';
  description: string;
  /** Participant (market center) codes whose prints are off-exchange. */
  offExchangeParticipants: string;
  /** Sale conditions that mark a print off-exchange (none in the SIP specs). */
  offExchangeConditions: string;
  /** Sale conditions that mark an odd lot (and so may not move a price either). */
  oddLotConditions: string;
  /** Before this time the odd-lot conditions meant something else and carry no flag. */
  oddLotConditionsSinceMs: number;
  /** Sale conditions that may not move open, high, low or last (volume still counts). */
  noPriceConditions: string;
  /** Sale conditions that may move high and low but not open or last (a price out of its time order). */
  noLastConditions: string;
  /**
   * Letters whose no-price meaning belongs to the CTS plan (tapes A and B) alone: on a UTP trade
   * (tape C) they name another condition, which moves prices.
   */
  ctsOnlyNoPriceConditions: string;
  /** Sale conditions that update no consolidated statistic at all, not even volume. */
  noStatisticConditions: string;
  /** A size below the price-tiered round lot is an odd lot even without the condition. */
  oddLotBySize: boolean;
  /** TRF id (per tape) -> facility, for off-exchange prints. A space is the ADF; an empty field means the feed gave none. */
  facilities: Record<'CTS' | 'UTP', Record<string, string>>;
}

const FACILITIES: RuleSet['facilities'] = {
  // CTS (tapes A and B): "TRF ID".
  CTS: { N: 'FINRA/NYSE TRF', T: 'FINRA/Nasdaq TRF Carteret', B: 'FINRA/Nasdaq TRF Chicago', ' ': 'FINRA ADF' },
  // UTP (tape C): "sub-market center"; Carteret is Q here, T on the other tape.
  UTP: { N: 'FINRA/NYSE TRF', Q: 'FINRA/Nasdaq TRF Carteret', B: 'FINRA/Nasdaq TRF Chicago', ' ': 'FINRA ADF' },
};

export const SIP_RULES: RuleSet = {
  name: 'sip',
  description:
    'SIP specifications: participant D = off-exchange (TRF/ADF); I = odd lot (since 9 Dec 2013; also any size below the ' +
    'price-tiered round lot); odd lots and C, H, N, R, T, U, V, W, B (not on tape C: a bunched trade there), 7 may not move ' +
    'open/high/low/last; 4, G, P, Z may move high/low but not open/last; M, Q and 9 update no statistic.',
  offExchangeParticipants: 'D',
  offExchangeConditions: '',
  oddLotConditions: 'I',
  // Odd lots reached the tape on 9 Dec 2013; before it, CTA's I was an unrelated condition.
  oddLotConditionsSinceMs: Date.UTC(2013, 11, 9),
  // The consolidated update rules of the SIP specifications, as Massive also publishes them per condition
  // (GET /v3/reference/conditions, update_rules.consolidated): N (next day) moves no price; 4
  // (derivatively priced), G (bunched sold), P (prior reference price) and Z (sold out of sequence)
  // move high and low, not the last sale; 9 (corrected consolidated close) is no trade of the bar.
  noPriceConditions: 'CHNRTUVWB7',
  // B is the average-price trade on the CTS, the bunched trade (a regular print) on UTP.
  ctsOnlyNoPriceConditions: 'B',
  noLastConditions: '4GPZ',
  noStatisticConditions: 'MQ9',
  oddLotBySize: true,
  facilities: FACILITIES,
};

export const LETTER_U_Y_RULES: RuleSet = {
  name: 'letter-u-y',
  description:
    'NOT the SIP specifications: the convention that sale condition U marks a dark-pool print and Y an odd lot, for data labelled ' +
    'that way. Odd lots (Y, or below the round lot) may not move open/high/low/last; nothing else is excluded.',
  offExchangeParticipants: '',
  offExchangeConditions: 'U',
  oddLotConditions: 'Y',
  oddLotConditionsSinceMs: 0,
  noPriceConditions: '',
  ctsOnlyNoPriceConditions: '',
  noLastConditions: '',
  noStatisticConditions: '',
  oddLotBySize: true,
  facilities: FACILITIES,
};

export const RULE_SETS = { sip: SIP_RULES, 'letter-u-y': LETTER_U_Y_RULES } as const;
export type RuleSetName = keyof typeof RULE_SETS;

export function isRuleSetName(name: string): name is RuleSetName {
  return Object.hasOwn(RULE_SETS, name);
}

// Flags per character, looked up once per condition letter of each trade.
export const ODD_LOT = 1;
export const NO_PRICE = 2;
export const NO_STATISTIC = 4;
export const OFF_EXCHANGE = 8;
export const NO_LAST = 16;

/** The rule set as lookup tables indexed by character code (ASCII). */
export interface CompiledRules {
  rules: RuleSet;
  /** By [before `oddLotConditionsSinceMs` ? 2 : 0] + [tape C ? 1 : 0]. */
  conditionFlags: [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  offExchangeParticipant: Uint8Array;
}

function conditionTable(rules: RuleSet, withOddLots: boolean, utp: boolean): Uint8Array {
  const table = new Uint8Array(128);
  const mark = (letters: string, flag: number) => {
    for (const c of letters) table[c.charCodeAt(0)]! |= flag;
  };
  if (withOddLots) mark(rules.oddLotConditions, ODD_LOT | NO_PRICE);
  mark(
    utp ? [...rules.noPriceConditions].filter((c) => !rules.ctsOnlyNoPriceConditions.includes(c)).join('') : rules.noPriceConditions,
    NO_PRICE,
  );
  mark(rules.noLastConditions, NO_LAST);
  mark(rules.noStatisticConditions, NO_STATISTIC | NO_PRICE);
  mark(rules.offExchangeConditions, OFF_EXCHANGE);
  return table;
}

export function compileRules(rules: RuleSet): CompiledRules {
  const offExchangeParticipant = new Uint8Array(128);
  for (const c of rules.offExchangeParticipants) offExchangeParticipant[c.charCodeAt(0)] = 1;
  return {
    rules,
    conditionFlags: [
      conditionTable(rules, true, false),
      conditionTable(rules, true, true),
      conditionTable(rules, false, false),
      conditionTable(rules, false, true),
    ],
    offExchangeParticipant,
  };
}
/** Price-tiered round lots since 3 Nov 2025; 100 shares before. */
export const TIERED_ROUND_LOTS_SINCE_MS = Date.UTC(2025, 10, 3);

export function roundLot(price: number, timeMs: number): number {
  if (timeMs < TIERED_ROUND_LOTS_SINCE_MS || price <= 250) return 100;
  if (price <= 1_000) return 40;
  if (price <= 10_000) return 10;
  return 1;
}
