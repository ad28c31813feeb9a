// Class shares typed as people type them: the slash left unencoded in the path.

const CLASS_SHARE_PATH = /^(\/darkpool\/(?:weekly|ratio|history|daily|estimate)\/)([A-Za-z0-9]{1,10})\/([A-Za-z0-9]{1,5})\/?(\?.*)?$/;

/** `/darkpool/weekly/BRK/B` (the slash unencoded, as people type it) means the ticker BRK/B. */
export function classShareSlash(url: string): string {
  return url.replace(
    CLASS_SHARE_PATH,
    (_m, prefix: string, base: string, cls: string, query?: string) => `${prefix}${base}%2F${cls}${query ?? ''}`,
  );
}
