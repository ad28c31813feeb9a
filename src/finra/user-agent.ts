// The User-Agent every request to FINRA carries (API, token endpoint, CDN). FINRA's edge answers 403 to
// requests without one, and a product name with a contact URL lets FINRA reach the operator.
import { PACKAGE_VERSION, PROJECT_URL } from '../package-info.js';

export function userAgent(contactUrl: string = PROJECT_URL): string {
  return `darkpool-radar/${PACKAGE_VERSION} (+${contactUrl})`;
}

export const DEFAULT_USER_AGENT = userAgent();
