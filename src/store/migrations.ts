// Numbered schema migrations; `PRAGMA user_version` records how many have run. Append only: a
// migration that has shipped is never edited.
export const MIGRATIONS: readonly string[] = [
  // 1: the weekly ATS store
  `
  -- One row per loaded (week, tier): a week is published whole or not at all.
  CREATE TABLE weeks (
    week_start        TEXT NOT NULL,
    tier              TEXT NOT NULL CHECK (tier IN ('T1', 'T2', 'OTCE')),
    initial_published TEXT,             -- FINRA's initialPublishedDate (earliest over the week's rows)
    last_update       TEXT,             -- FINRA's lastUpdateDate (newest over the week's rows)
    firm_rows         INTEGER NOT NULL,
    symbols           INTEGER NOT NULL,
    checksum          TEXT NOT NULL,
    reconciled        INTEGER NOT NULL, -- 1: firm rows checked against FINRA's per-symbol totals
    has_non_ats       INTEGER NOT NULL, -- 1: FINRA's non-ATS (OTC_W_SMBL) totals are loaded
    null_quantities   INTEGER NOT NULL, -- firm rows whose shares or trades FINRA left null
    source            TEXT NOT NULL,    -- 'api' or 'file:<name>'
    loaded_at         TEXT NOT NULL,    -- first publish here
    updated_at        TEXT NOT NULL,    -- last publish that changed the week
    revisions         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (week_start, tier)
  ) STRICT;

  -- FINRA's ATS_W_SMBL_FIRM rows as received: every served figure traces back to these.
  CREATE TABLE ats_rows (
    week_start       TEXT NOT NULL,
    tier             TEXT NOT NULL,
    symbol           TEXT NOT NULL,
    mpid             TEXT NOT NULL,
    participant_name TEXT NOT NULL,
    shares           INTEGER,
    trades           INTEGER,
    notional         REAL,
    last_update      TEXT,
    PRIMARY KEY (week_start, tier, symbol, mpid)
  ) STRICT, WITHOUT ROWID;

  -- Per-symbol sums of ats_rows, plus FINRA's non-ATS totals and the week-over-week trend.
  CREATE TABLE symbol_weeks (
    week_start     TEXT NOT NULL,
    tier           TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    issue_name     TEXT,
    shares         INTEGER NOT NULL,
    trades         INTEGER NOT NULL,
    notional       REAL,
    venues         INTEGER NOT NULL,
    non_ats_shares INTEGER,
    non_ats_trades INTEGER,
    prev_shares    INTEGER,            -- null: the previous week is not loaded
    change_pct     REAL,
    trend          TEXT NOT NULL CHECK (trend IN ('rising', 'falling', 'stable')),
    PRIMARY KEY (week_start, tier, symbol)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX symbol_weeks_by_symbol ON symbol_weeks (symbol, week_start);
  CREATE INDEX symbol_weeks_by_shares ON symbol_weeks (week_start, shares DESC);

  CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    trigger     TEXT NOT NULL,          -- cli, schedule, startup, import
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    summary     TEXT                    -- JSON
  ) STRICT;

  -- What each run did to each week, refusals included: "last good data kept" leaves a trace here.
  CREATE TABLE run_weeks (
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    week_start TEXT NOT NULL,
    tier       TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('published', 'revised', 'unchanged', 'refused', 'failed')),
    detail     TEXT,
    at         TEXT NOT NULL
  ) STRICT;
  CREATE INDEX run_weeks_by_week ON run_weeks (week_start, tier);

  -- Every symbol seen, where its newest data is, and its sector. Tickers are looked up exactly, then
  -- case-insensitively (FINRA writes some symbols in mixed case), then by lookup_key (separators
  -- dropped: BRK.B, BRK-B and brk/b all give BRKB).
  CREATE TABLE symbols (
    symbol        TEXT PRIMARY KEY,
    lookup_key    TEXT NOT NULL,
    issue_name    TEXT,
    tier          TEXT NOT NULL,
    newest_week   TEXT NOT NULL,
    sector        TEXT NOT NULL,
    sector_source TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX symbols_nocase ON symbols (symbol COLLATE NOCASE);
  CREATE INDEX symbols_by_key ON symbols (lookup_key);

  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;
  `,
  // 2: one ingest at a time, across processes sharing the database
  `
  CREATE TABLE ingest_lock (
    name         TEXT PRIMARY KEY,
    holder_pid   INTEGER NOT NULL,
    holder_host  TEXT NOT NULL,
    run_id       INTEGER,
    acquired_at  TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
  ) STRICT;
  `,
  // 3: per-venue weekly totals, summed at publish so the leaderboard never scans the per-ATS rows
  `
  CREATE TABLE venue_weeks (
    week_start       TEXT NOT NULL,
    tier             TEXT NOT NULL,
    mpid             TEXT NOT NULL,
    participant_name TEXT NOT NULL,
    shares           INTEGER NOT NULL,
    trades           INTEGER NOT NULL,
    notional         REAL,
    with_notional    INTEGER NOT NULL,  -- rows with a notional (the sum is partial unless = rows)
    rows             INTEGER NOT NULL,
    symbols          INTEGER NOT NULL,  -- symbols with shares in this venue
    PRIMARY KEY (week_start, tier, mpid)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO venue_weeks
    SELECT week_start, tier, mpid, max(participant_name), coalesce(sum(shares), 0), coalesce(sum(trades), 0), sum(notional),
           count(notional), count(*), count(CASE WHEN shares > 0 THEN 1 END)
    FROM ats_rows GROUP BY week_start, tier, mpid;
  `,
  // 4: symbol_weeks keyed by symbol first. A symbol's history (the hot, random read) becomes one
  // range of the table; whole-week reads, done once per dataset change, go through an index.
  `
  CREATE TABLE symbol_weeks_new (
    week_start     TEXT NOT NULL,
    tier           TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    issue_name     TEXT,
    shares         INTEGER NOT NULL,
    trades         INTEGER NOT NULL,
    notional       REAL,
    venues         INTEGER NOT NULL,
    non_ats_shares INTEGER,
    non_ats_trades INTEGER,
    prev_shares    INTEGER,
    change_pct     REAL,
    trend          TEXT NOT NULL CHECK (trend IN ('rising', 'falling', 'stable')),
    PRIMARY KEY (symbol, tier, week_start)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO symbol_weeks_new SELECT * FROM symbol_weeks;
  DROP TABLE symbol_weeks;
  ALTER TABLE symbol_weeks_new RENAME TO symbol_weeks;
  CREATE INDEX symbol_weeks_by_week ON symbol_weeks (week_start, tier);
  CREATE INDEX symbol_weeks_by_shares ON symbol_weeks (week_start, shares DESC);
  `,
  // 5: FINRA's daily short-sale volume files, and the scores of estimates once FINRA published the week
  `
  -- One row per loaded trading day: a day is stored whole or not at all.
  CREATE TABLE daily_files (
    trade_date TEXT PRIMARY KEY,
    file       TEXT NOT NULL,           -- CNMSshvol{YYYYMMDD}.txt
    rows       INTEGER NOT NULL,
    checksum   TEXT NOT NULL,
    source     TEXT NOT NULL,           -- the URL fetched, or 'file:<name>'
    loaded_at  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revisions  INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  -- The files' rows as received. Volumes are REAL: FINRA writes fractional shares since March 2026.
  CREATE TABLE daily_volumes (
    symbol              TEXT NOT NULL,  -- the weekly data's spelling (BRK.B)
    trade_date          TEXT NOT NULL,
    week_start          TEXT NOT NULL,  -- Monday of trade_date's week: estimates sum by it
    file_symbol         TEXT NOT NULL,  -- as the file writes it (BRK/B)
    short_volume        REAL NOT NULL,
    short_exempt_volume REAL NOT NULL,
    total_volume        REAL NOT NULL,  -- off-exchange shares, ATS and non-ATS
    markets             TEXT NOT NULL,
    PRIMARY KEY (symbol, trade_date)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX daily_volumes_by_week ON daily_volumes (week_start, symbol);

  -- Every symbol the daily files named, looked up like symbols (exact, any case, lookup_key).
  CREATE TABLE daily_symbols (
    symbol      TEXT PRIMARY KEY,
    lookup_key  TEXT NOT NULL,
    newest_date TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX daily_symbols_nocase ON daily_symbols (symbol COLLATE NOCASE);
  CREATE INDEX daily_symbols_by_key ON daily_symbols (lookup_key);

  -- What each symbol's estimate for a week was when FINRA published that week, and what FINRA published.
  CREATE TABLE estimate_scores (
    tier              TEXT NOT NULL,
    week_start        TEXT NOT NULL,
    symbol            TEXT NOT NULL,
    method            TEXT NOT NULL CHECK (method IN ('symbol_share', 'tier_share')),
    calibration_weeks INTEGER NOT NULL,
    estimate          REAL NOT NULL,
    low               REAL NOT NULL,
    high              REAL NOT NULL,
    actual            INTEGER NOT NULL,
    scored_at         TEXT NOT NULL,
    PRIMARY KEY (tier, week_start, symbol)
  ) STRICT, WITHOUT ROWID;

  -- Weekly (FINRA API) and daily (FINRA CDN) ingests are logged apart.
  ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'weekly' CHECK (kind IN ('weekly', 'daily'));
  CREATE TABLE run_days (
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    trade_date TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('published', 'revised', 'unchanged', 'refused', 'failed', 'not_published')),
    detail     TEXT,
    at         TEXT NOT NULL
  ) STRICT;
  `,
  // 6: the real feed. Share quantities may be fractional (REAL, summed exactly by exact_sum); ATS rows
  // without a symbol are kept as the week's unattributed volume; a week FINRA no longer serves is
  // 'unavailable', not refused; each run records what it downloaded; daily files keep FINRA's validators.
  `
  CREATE TABLE ats_rows_new (
    week_start       TEXT NOT NULL,
    tier             TEXT NOT NULL,
    symbol           TEXT NOT NULL,     -- '' for FINRA's symbol-less rows (private securities)
    mpid             TEXT NOT NULL,
    participant_name TEXT NOT NULL,
    shares           REAL,
    trades           INTEGER,
    notional         REAL,
    last_update      TEXT,
    PRIMARY KEY (week_start, tier, symbol, mpid)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO ats_rows_new SELECT * FROM ats_rows;
  DROP TABLE ats_rows;
  ALTER TABLE ats_rows_new RENAME TO ats_rows;

  CREATE TABLE symbol_weeks_new (
    week_start     TEXT NOT NULL,
    tier           TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    issue_name     TEXT,
    shares         REAL NOT NULL,
    trades         INTEGER NOT NULL,
    notional       REAL,
    venues         INTEGER NOT NULL,
    non_ats_shares REAL,
    non_ats_trades INTEGER,
    prev_shares    REAL,
    change_pct     REAL,
    trend          TEXT NOT NULL CHECK (trend IN ('rising', 'falling', 'stable')),
    PRIMARY KEY (symbol, tier, week_start)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO symbol_weeks_new SELECT * FROM symbol_weeks;
  DROP TABLE symbol_weeks;
  ALTER TABLE symbol_weeks_new RENAME TO symbol_weeks;
  CREATE INDEX symbol_weeks_by_week ON symbol_weeks (week_start, tier);
  CREATE INDEX symbol_weeks_by_shares ON symbol_weeks (week_start, shares DESC);

  CREATE TABLE venue_weeks_new (
    week_start       TEXT NOT NULL,
    tier             TEXT NOT NULL,
    mpid             TEXT NOT NULL,
    participant_name TEXT NOT NULL,
    shares           REAL NOT NULL,
    trades           INTEGER NOT NULL,
    notional         REAL,
    with_notional    INTEGER NOT NULL,
    rows             INTEGER NOT NULL,
    symbols          INTEGER NOT NULL,
    unattributed_shares REAL NOT NULL DEFAULT 0, -- this venue's volume in rows without a symbol
    unattributed_trades INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (week_start, tier, mpid)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO venue_weeks_new (week_start, tier, mpid, participant_name, shares, trades, notional, with_notional, rows, symbols)
    SELECT week_start, tier, mpid, participant_name, shares, trades, notional, with_notional, rows, symbols FROM venue_weeks;
  DROP TABLE venue_weeks;
  ALTER TABLE venue_weeks_new RENAME TO venue_weeks;

  CREATE TABLE estimate_scores_new (
    tier              TEXT NOT NULL,
    week_start        TEXT NOT NULL,
    symbol            TEXT NOT NULL,
    method            TEXT NOT NULL CHECK (method IN ('symbol_share', 'tier_share')),
    calibration_weeks INTEGER NOT NULL,
    estimate          REAL NOT NULL,
    low               REAL NOT NULL,
    high              REAL NOT NULL,
    actual            REAL NOT NULL,
    scored_at         TEXT NOT NULL,
    PRIMARY KEY (tier, week_start, symbol)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO estimate_scores_new SELECT * FROM estimate_scores;
  DROP TABLE estimate_scores;
  ALTER TABLE estimate_scores_new RENAME TO estimate_scores;

  ALTER TABLE weeks ADD COLUMN unattributed_rows INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE weeks ADD COLUMN unattributed_shares REAL NOT NULL DEFAULT 0;
  ALTER TABLE weeks ADD COLUMN unattributed_trades INTEGER NOT NULL DEFAULT 0;

  ALTER TABLE runs ADD COLUMN requests INTEGER;
  ALTER TABLE runs ADD COLUMN bytes INTEGER;

  CREATE TABLE run_weeks_new (
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    week_start TEXT NOT NULL,
    tier       TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('published', 'revised', 'unchanged', 'refused', 'failed', 'unavailable')),
    detail     TEXT,
    at         TEXT NOT NULL
  ) STRICT;
  INSERT INTO run_weeks_new SELECT * FROM run_weeks;
  DROP TABLE run_weeks;
  ALTER TABLE run_weeks_new RENAME TO run_weeks;
  CREATE INDEX run_weeks_by_week ON run_weeks (week_start, tier);

  ALTER TABLE daily_files ADD COLUMN etag TEXT;
  ALTER TABLE daily_files ADD COLUMN last_modified TEXT;

  CREATE TABLE run_days_new (
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    trade_date TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('published', 'revised', 'unchanged', 'refused', 'failed', 'not_published', 'missing')),
    detail     TEXT,
    at         TEXT NOT NULL
  ) STRICT;
  INSERT INTO run_days_new SELECT * FROM run_days;
  DROP TABLE run_days;
  ALTER TABLE run_days_new RENAME TO run_days;
  `,
  // 7: weeks that hold FINRA's per-symbol totals only (imported ATS_W_SMBL files, no per-ATS rows)
  `
  ALTER TABLE weeks ADD COLUMN coverage TEXT NOT NULL DEFAULT 'full' CHECK (coverage IN ('full', 'symbol_totals'));
  `,
  // 8: point in time, and the non-ATS firms. A revision no longer overwrites: the version it replaces
  // moves here whole (the week's row, its per-symbol and per-venue sums, its per-ATS and per-firm rows),
  // so that any date's figures can be served as FINRA had published them. Version n of a week is its
  // n-th publication here; the current one (in weeks, symbol_weeks...) is version revisions + 1.
  `
  CREATE TABLE week_versions (
    week_start          TEXT NOT NULL,
    tier                TEXT NOT NULL,
    version             INTEGER NOT NULL,
    initial_published   TEXT,
    last_update         TEXT,
    firm_rows           INTEGER NOT NULL,
    symbols             INTEGER NOT NULL,
    checksum            TEXT NOT NULL,
    reconciled          INTEGER NOT NULL,
    has_non_ats         INTEGER NOT NULL,
    null_quantities     INTEGER NOT NULL,
    source              TEXT NOT NULL,
    loaded_at           TEXT NOT NULL,
    updated_at          TEXT NOT NULL,   -- when this version was loaded here
    unattributed_rows   INTEGER NOT NULL,
    unattributed_shares REAL NOT NULL,
    unattributed_trades INTEGER NOT NULL,
    coverage            TEXT NOT NULL,
    superseded_at       TEXT NOT NULL,   -- when the next version replaced it here
    PRIMARY KEY (week_start, tier, version)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE symbol_week_versions (
    week_start     TEXT NOT NULL,
    tier           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    symbol         TEXT NOT NULL,
    issue_name     TEXT,
    shares         REAL NOT NULL,
    trades         INTEGER NOT NULL,
    notional       REAL,
    venues         INTEGER NOT NULL,
    non_ats_shares REAL,
    non_ats_trades INTEGER,
    PRIMARY KEY (symbol, tier, week_start, version)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX symbol_week_versions_by_week ON symbol_week_versions (week_start, tier, version);

  CREATE TABLE venue_week_versions (
    week_start          TEXT NOT NULL,
    tier                TEXT NOT NULL,
    version             INTEGER NOT NULL,
    mpid                TEXT NOT NULL,
    participant_name    TEXT NOT NULL,
    shares              REAL NOT NULL,
    trades              INTEGER NOT NULL,
    notional            REAL,
    with_notional       INTEGER NOT NULL,
    rows                INTEGER NOT NULL,
    symbols             INTEGER NOT NULL,
    unattributed_shares REAL NOT NULL,
    unattributed_trades INTEGER NOT NULL,
    PRIMARY KEY (week_start, tier, version, mpid)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE ats_row_versions (
    week_start       TEXT NOT NULL,
    tier             TEXT NOT NULL,
    version          INTEGER NOT NULL,
    symbol           TEXT NOT NULL,
    mpid             TEXT NOT NULL,
    participant_name TEXT NOT NULL,
    shares           REAL,
    trades           INTEGER,
    notional         REAL,
    last_update      TEXT,
    PRIMARY KEY (week_start, tier, version, symbol, mpid)
  ) STRICT, WITHOUT ROWID;

  -- FINRA's OTC_W_SMBL_FIRM rows: non-ATS off-exchange volume per symbol and firm (wholesalers,
  -- internalizers, and FINRA's "De Minimis Firms" row). Not dark-pool volume: kept apart from ats_rows.
  CREATE TABLE otc_firm_rows (
    week_start  TEXT NOT NULL,
    tier        TEXT NOT NULL,
    symbol      TEXT NOT NULL,
    firm        TEXT NOT NULL,   -- FINRA's marketParticipantName (non-ATS firms have no MPID)
    shares      REAL,
    trades      INTEGER,
    last_update TEXT,
    PRIMARY KEY (symbol, tier, week_start, firm)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX otc_firm_rows_by_week ON otc_firm_rows (week_start, tier);

  CREATE TABLE otc_firm_row_versions (
    week_start  TEXT NOT NULL,
    tier        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    symbol      TEXT NOT NULL,
    firm        TEXT NOT NULL,
    shares      REAL,
    trades      INTEGER,
    last_update TEXT,
    PRIMARY KEY (week_start, tier, version, symbol, firm)
  ) STRICT, WITHOUT ROWID;
  `,
  // 9: the webhook outbox
  `
  -- Events for webhooks, written in the same transaction as the data change they announce, so that
  -- none is lost on a crash. The server fans each out to the subscriptions of the moment, once.
  CREATE TABLE event_outbox (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,      -- what receivers deduplicate on
    type       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    payload    TEXT NOT NULL,             -- JSON
    fanned_out INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  CREATE TABLE webhook_deliveries (
    event_id     TEXT NOT NULL,
    url          TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,
    last_error   TEXT,
    delivered_at TEXT,
    PRIMARY KEY (event_id, url)
  ) STRICT;
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
  `,
  // 10: week-wide reads from an index
  `
  -- Movers, sectors, the week file and the unusual list read one week's rows, but symbol_weeks is
  -- clustered by symbol (for history): each of a full week's 12,300 rows cost a descent into the
  -- table, 60 to 90 ms a query even in memory. This index holds every column in week order, so those
  -- reads never touch the table (6 to 12 ms); it replaces the two narrower week indexes.
  CREATE INDEX symbol_weeks_by_week_covering ON symbol_weeks (
    week_start, tier, symbol, shares, trades, notional, venues, non_ats_shares, non_ats_trades,
    prev_shares, change_pct, trend, issue_name
  );
  DROP INDEX symbol_weeks_by_week;
  DROP INDEX symbol_weeks_by_shares;
  `,
];
