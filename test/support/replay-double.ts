// Replays FINRA answers recorded from the real service (fixtures/finra/recorded/): each request to a
// recorded URI path is answered with the recorded status, the recorded headers as they were written
// (names in their recorded case, Total-Records-On-Page empty) and the recorded body, gzip'd as
// FINRA's Cloudflare edge served it. Requests are kept for the test to inspect.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { LoopbackServer } from './loopback-server.js';

export interface Interaction {
  request: { method: string; uri: string; headers: Record<string, string>; body: Record<string, unknown> };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

export function readRecording(path: string): Interaction[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as { interactions: Interaction[] }).interactions;
}

export class ReplayDouble extends LoopbackServer {
  readonly requests: { path: string; headers: IncomingMessage['headers']; body: Record<string, unknown> | null }[] = [];

  constructor(private readonly interactions: Interaction[]) {
    super();
  }

  protected async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0] ?? '';
    this.requests.push({ path, headers: req.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : null });
    const recorded = this.interactions.find((i) => i.request.method === req.method && new URL(i.request.uri).pathname === path);
    if (!recorded) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"statusCode":404,"statusDescription":"Not Found","message":"not recorded"}');
      return;
    }
    // Transfer-Encoding and Connection are the transport's business; everything else goes out as recorded.
    const headers = Object.entries(recorded.response.headers).filter(([name]) => !/^(transfer-encoding|connection)$/i.test(name));
    res.writeHead(recorded.response.status, headers.flat());
    res.end(gzipSync(Buffer.from(JSON.stringify(recorded.response.body))));
  }
}
