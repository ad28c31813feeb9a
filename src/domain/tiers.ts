// FINRA's tier identifiers for the weekly ATS data. Other partition values FINRA lists (`NMS`, `NA`)
// are not weeks of data and are ignored.
export const TIERS = ['T1', 'T2', 'OTCE'] as const;
export type Tier = (typeof TIERS)[number];

export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && (TIERS as readonly string[]).includes(value);
}

export const TIER_NAMES: Record<Tier, string> = { T1: 'NMS Tier 1', T2: 'NMS Tier 2', OTCE: 'OTC Equity' };
