// `darkpool-radar openapi`: the OpenAPI document the routes produce, as YAML.
import { openStore } from '../../compose.js';
import { createLogger } from '../../logger.js';
import { SectorTable } from '../../sectors/table.js';
import type { Io } from '../output.js';

export async function openapiCommand(io: Io): Promise<number> {
  const { buildApp, OPEN_APP_CONFIG } = await import('../../app.js');
  const { stringify } = await import('yaml');
  const store = openStore(':memory:', SectorTable.empty());
  try {
    const app = await buildApp(OPEN_APP_CONFIG, { store, logger: createLogger('silent') });
    await app.ready();
    io.stdout(stringify(app.swagger(), { lineWidth: 0, aliasDuplicateObjects: false }));
    await app.close();
    return 0;
  } finally {
    store.close();
  }
}
