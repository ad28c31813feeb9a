// FINRA's real answers, recorded on 2024-06-25, replayed byte for byte through the real client: header
// names as recorded, Total-Records-On-Page empty on every page, bodies gzip'd.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IncompleteDataError } from '../../src/finra/client.js';
import { FIXTURES } from '../support/fixtures.js';
import { testClient, type TestClient } from '../support/harness.js';
import { readRecording, ReplayDouble, type Interaction } from '../support/replay-double.js';

const RECORDED = readRecording(`${FIXTURES}finra/recorded/finra_api_2024-06-25.json`);
const [downloadDetails, weeklySummary] = RECORDED as [Interaction, Interaction];

let replay: ReplayDouble;
let t: TestClient;

async function start(interactions: Interaction[]) {
  replay = await new ReplayDouble(interactions).start();
  t = testClient(replay.url);
}

afterEach(async () => {
  await t.agent.close();
  await replay.close();
});

describe("FINRA's recorded answers", () => {
  beforeEach(() => start([weeklySummary]));

  it('load although Total-Records-On-Page is empty: the rows are paged by what arrived, up to Record-Total', async () => {
    expect(weeklySummary.response.headers['total-records-on-page']).toBe('');
    const rows = await t.client.weekRows({ weekStart: '2024-06-03', tier: 'T1', summaryTypes: ['ATS_W_SMBL'] });
    const [recorded] = weeklySummary.response.body as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      issueSymbolIdentifier: recorded!.issueSymbolIdentifier,
      totalWeeklyShareQuantity: recorded!.totalWeeklyShareQuantity,
      totalWeeklyTradeCount: recorded!.totalWeeklyTradeCount,
      lastUpdateDate: recorded!.lastUpdateDate,
    });
  });

  it('are asked for with a User-Agent naming the product and a contact URL, JSON, and a total sort order', async () => {
    await t.client.weekRows({ weekStart: '2024-06-03', tier: 'T1', summaryTypes: ['ATS_W_SMBL'] });
    const [req] = replay.requests;
    expect(req!.headers['user-agent']).toMatch(/^darkpool-radar\/\d+\.\d+\.\d+ \(\+https?:\/\/\S+\)$/);
    expect(req!.headers.accept).toBe('application/json');
    expect(req!.body).toMatchObject({ sortFields: ['summaryTypeCode', 'issueSymbolIdentifier', 'MPID'], offset: 0 });
  });
});

describe('a recorded page of 52 rows out of 262', () => {
  // The recorded weeklyDownloadDetails answer, served where the client asks: its headers and body unchanged.
  const atOurPath = { ...downloadDetails, request: { ...downloadDetails.request, uri: weeklySummary.request.uri } };
  beforeEach(() => start([atOurPath]));

  it('is followed by a request at offset 52; the same page served again (Record-Offset 0) is refused', async () => {
    expect(downloadDetails.response.headers['record-total']).toBe('262');
    const err = await t.client.weekRows({ weekStart: '2024-06-03', tier: 'T1', summaryTypes: ['ATS_W_SMBL'] }).catch((e: unknown) => e);
    expect(replay.requests.map((r) => r.body?.offset)).toEqual([0, 52]);
    expect(err).toBeInstanceOf(IncompleteDataError);
    expect((err as Error).message).toMatch(/Record-Offset says 0, we asked for 52/);
  });
});
