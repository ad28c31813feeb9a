// The `darkpool-radar` command: global flags, then the command, each imported only when it runs (a
// command that does not serve never loads the HTTP server; the tape analysis not even the configuration).
import { PACKAGE_VERSION } from '../package-info.js';
import { IngestLockedError } from '../store/lock.js';
import { cliConfig, parse, UsageError } from './args.js';
import { logSink, type Io } from './output.js';

export type { Io } from './output.js';

const USAGE = `Usage: darkpool-radar <command> [options]

Commands:
  serve                              serve the API and run the scheduled ingest (same as npm start)
  demo                               load the bundled real FINRA weeks into a temporary store and serve them
  ingest [--weeks N] [--tiers T1,T2,OTCE] [--only weekly|daily] [--quiet]
                                     pull FINRA's daily files (the trading days of the last
                                     DAILY_WINDOW_DAYS not stored yet, the newest 5 asked again), then
                                     FINRA's weeks (default: weeks missing from the store, weeks FINRA
                                     changed since, and the newest 2 again; --weeks N: the newest N,
                                     older ones from FINRA's historic dataset)
  import FILE... [--week YYYY-MM-DD] [--tier T1|T2|OTCE] [--published-through YYYY-MM-DD] [--force]
                                     load FINRA export files, saved API JSON, or daily files
                                     (CNMSshvol{YYYYMMDD}.txt, gzipped or not); --published-through
                                     keeps the weeks as FINRA had published them on that date
  backtest [--tiers T1,T2] [--weeks N] [--symbols A,B] [--weekly-totals FILE] [--format table|json]
                                     replay the estimate on stored history: each published week with
                                     every daily file, estimated from the weeks before it
  status                             weeks loaded per tier, row counts, last runs, this month's download
  ticks FILE [--interval 60] [--rules sip|letter-u-y] [--format json|csv] [--strict]
        [--large-size 5000] [--large-notional 200000] [--delay-seconds 10]
        [--prints all|lit|off-exchange|round-lot|lit-round-lot,...] [--exclude-late]
        [--input-format auto|radar|massive] [--symbols A,B] [--threads auto|N]
                                     analyse consolidated-tape trades: our CSV or NDJSON, or Massive's
                                     flat files and API pages; gzip'd or not; - for stdin; a large
                                     plain CSV file is read on every core
  export --week YYYY-MM-DD [--tier T1|T2|OTCE] [--format csv|ndjson|parquet] FILE
                                     the whole week in one file: every symbol with the fields of
                                     /darkpool/weekly (the format defaults to FILE's extension)
  mcp                                the API as Model Context Protocol tools over stdio (for AI agents)
  backup FILE                        write a consistent copy of the live database to FILE
  openapi                            print the OpenAPI document (YAML)
  help, --help                       this text (also COMMAND --help)
  --version                          the version
  --verbose                          with any command: JSON logs at info level (LOG_LEVEL sets
                                     another); without it a terminal shows warnings as plain lines

Environment variables configure everything else (see README.md).`;

export async function main(argv: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  const [command = 'help', ...args] = argv;
  // `<command> --help` is help, like the tools people know; `--version` anywhere first.
  if (command === '--version' || command === '-V' || command === 'version') {
    io.stdout(`darkpool-radar ${PACKAGE_VERSION}\n`);
    return 0;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const verbose = args.includes('--verbose');
  if (verbose) {
    args.splice(args.indexOf('--verbose'), 1);
    env = { ...env, LOG_LEVEL: env.LOG_LEVEL || 'info' };
  }
  const terminal = io.terminal ?? process.stderr.isTTY === true;
  io = { ...io, terminal, logs: io.logs ?? logSink(verbose || !terminal, io) };
  try {
    switch (command) {
      case 'ingest':
        return await (await import('./commands/ingest.js')).ingestCommand(args, await cliConfig(env), io);
      case 'import':
        return await (await import('./commands/import.js')).importCommand(args, await cliConfig(env), io);
      case 'status':
        return await (await import('./commands/status.js')).statusCommand(args, await cliConfig(env), io);
      case 'serve': {
        parse(args, {});
        const { closeOnSignals, serve } = await import('../server.js');
        const { loadConfig } = await import('../config.js');
        closeOnSignals(await serve(loadConfig(env), { schedule: true }));
        return await new Promise<number>(() => {}); // runs until a signal ends the process
      }
      case 'demo':
        return await (await import('./commands/demo.js')).demoCommand(args, env, io);
      case 'openapi':
        return await (await import('./commands/openapi.js')).openapiCommand(io);
      case 'backtest':
        return await (await import('./commands/backtest.js')).backtestCommand(args, await cliConfig(env), io);
      case 'export':
        return await (await import('./commands/export.js')).exportCommand(args, await cliConfig(env), io);
      case 'mcp':
        return await (await import('./commands/mcp.js')).mcpCommand(args, await cliConfig(env), io);
      case 'backup':
        return await (await import('./commands/backup.js')).backupCommand(args, await cliConfig(env), io);
      case 'ticks':
        return await (await import('./commands/ticks.js')).ticksCommand(args, env, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(`${USAGE}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`darkpool-radar: ${err.message}\n\n${USAGE}\n`);
      return 64;
    }
    if (err instanceof (await import('../config.js')).ConfigError) {
      io.stderr(`${err.message}\n`);
      return 78;
    }
    if (err instanceof IngestLockedError) {
      io.stderr(`darkpool-radar ${command}: ${err.message}; nothing done\n`);
      return 75; // EX_TEMPFAIL: try again later
    }
    io.stderr(`darkpool-radar ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
