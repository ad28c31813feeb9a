// One trading day of FINRA's daily short-sale volume file, as parsed (finra/short-volume-file.ts) and stored.
export interface DailyRow {
  /** The weekly data's spelling (BRK.B), under which daily and weekly figures meet. */
  symbol: string;
  /** As the file writes it (BRK/B). */
  fileSymbol: string;
  shortVolume: number;
  shortExemptVolume: number;
  /** Off-exchange shares: ATS and non-ATS trades reported to a TRF or the ADF in regular hours. */
  totalVolume: number;
  /** Facilities with volume, as FINRA writes them: "B,Q,N". */
  markets: string;
}

export interface DailyFile {
  tradeDate: string;
  file: string;
  rows: DailyRow[];
  /** Over the parsed rows, not the bytes: the same day re-sent with other line endings is unchanged. */
  checksum: string;
}
