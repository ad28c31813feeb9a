// The package's name card: version and home page, read once from package.json, and where its store
// lives unless DB_PATH says otherwise (here, not in config.ts, so that a command needing only the
// path, the tape analysis, does not load the configuration's schema to learn it).
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string; homepage: string };

export const PACKAGE_VERSION = pkg.version;
export const PROJECT_URL = pkg.homepage;
export const DEFAULT_DB_PATH = 'data/darkpool.db';
