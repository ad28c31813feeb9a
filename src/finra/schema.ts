// The row shape of FINRA's `otcMarket/weeklySummary` dataset, validated on the way in.
// Quantities stay null when FINRA sends null: reading null as 0 would let reconciliation pass falsely.
import { z } from 'zod';
import { isExactQuantity, MAX_DECIMALS } from '../domain/exact-sum.js';

export const SUMMARY_TYPES = {
  atsFirm: 'ATS_W_SMBL_FIRM', // one row per symbol per ATS: what the service sums
  atsSymbol: 'ATS_W_SMBL', // FINRA's per-symbol ATS total: used to reconcile, never added
  otcSymbol: 'OTC_W_SMBL', // non-ATS off-exchange per-symbol total: the ratio denominator
  otcFirm: 'OTC_W_SMBL_FIRM', // one row per symbol per non-ATS firm (wholesalers): reconciled with OTC_W_SMBL
} as const;
export type SummaryType = (typeof SUMMARY_TYPES)[keyof typeof SUMMARY_TYPES];

/** Every code FINRA documents for the weekly data; anything else is logged, never silently dropped. */
export const KNOWN_SUMMARY_TYPES = new Set<string>([
  'ATS_W_SMBL_FIRM',
  'ATS_W_SMBL',
  'ATS_W_FIRM',
  'ATS_W_VOL_STATS',
  'OTC_W_SMBL_FIRM',
  'OTC_W_SMBL',
  'OTC_W_FIRM',
  'OTC_W_VOL_STATS',
]);

const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** FINRA writes numbers as integers or in exponent notation; files carry them as text. */
const numeric = z.union([z.number(), z.string().trim().regex(NUMBER_TEXT, 'not a number').transform(Number)]);

const count = z
  .union([numeric.pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)), z.null()])
  .optional()
  .transform((v) => v ?? null);

/** Shares: whole through 2026, but fractional shares (six decimals in the daily files) may come; summed exactly. */
const shareQuantity = z
  .union([
    numeric.pipe(
      z
        .number()
        .nonnegative()
        .max(Number.MAX_SAFE_INTEGER)
        .refine(isExactQuantity, `more than ${MAX_DECIMALS} decimals: cannot be summed exactly`),
    ),
    z.null(),
  ])
  .optional()
  .transform((v) => v ?? null);

const notional = z
  .union([numeric.pipe(z.number().nonnegative().finite()), z.null()])
  .optional()
  .transform((v) => v ?? null);

const isoDate = z
  .union([z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD'), z.null()])
  .optional()
  .transform((v) => v ?? null);

const text = z
  .union([z.string(), z.null()])
  .optional()
  .transform((v) => {
    const t = v?.trim();
    return t ? t : null;
  });

export const finraRowSchema = z.object({
  weekStartDate: isoDate,
  tierIdentifier: text,
  tierDescription: text,
  summaryTypeCode: text,
  issueSymbolIdentifier: text,
  issueName: text,
  MPID: text,
  marketParticipantName: text,
  totalWeeklyShareQuantity: shareQuantity,
  totalWeeklyTradeCount: count,
  totalNotionalSum: notional,
  productTypeCode: text,
  initialPublishedDate: isoDate,
  lastUpdateDate: isoDate,
});

export type FinraRow = z.output<typeof finraRowSchema>;

export class RowValidationError extends Error {
  constructor(
    readonly rowIndex: number,
    readonly issues: string,
  ) {
    super(`row ${rowIndex}: ${issues}`);
    this.name = 'RowValidationError';
  }
}

export function parseFinraRow(raw: unknown, rowIndex: number): FinraRow {
  const result = finraRowSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ');
    throw new RowValidationError(rowIndex, issues);
  }
  return result.data;
}
