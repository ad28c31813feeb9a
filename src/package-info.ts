// The package's name card: version and home page, read once from package.json.
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string; homepage: string };

export const PACKAGE_VERSION = pkg.version;
export const PROJECT_URL = pkg.homepage;
