// Where the store lives unless DB_PATH says otherwise. A module of its own so that a command that only
// needs the path (the tape analysis) does not load the configuration's schema to learn it.
export const DEFAULT_DB_PATH = 'data/darkpool.db';
