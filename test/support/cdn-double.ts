// A stand-in for cdn.finra.org/equity/regsho/daily on 127.0.0.1: GET /CNMSshvol{YYYYMMDD}.txt answers the
// real file, and a day without a file gets what CloudFront in front of S3 answers: 403 with an
// AccessDenied body. Faults can be queued per file.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { LoopbackServer } from './loopback-server.js';

export type CdnFault =
  | { kind: 'status'; status: number } // e.g. 503 from the CDN
  | { kind: 'reset' } // the connection drops before an answer
  | { kind: 'truncate'; lines: number } // a complete answer whose file stops after `lines` lines
  | { kind: 'replace'; text: string }; // another file's text under this name

export class CdnDouble extends LoopbackServer {
  readonly requests: { path: string; headers: IncomingMessage['headers'] }[] = [];
  /** Faults by file name, each used once. */
  readonly faults = new Map<string, CdnFault[]>();

  /** `files`: file name -> gzip-compressed bytes of the file. */
  constructor(private readonly files: Map<string, Buffer>) {
    super();
  }

  fault(file: string, fault: CdnFault): void {
    this.faults.set(file, [...(this.faults.get(file) ?? []), fault]);
  }

  /** The file names asked for, in order. */
  asked(): string[] {
    return this.requests.map((r) => r.path.slice(1));
  }

  protected handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    this.requests.push({ path, headers: req.headers });
    const name = path.slice(1);
    const fault = this.faults.get(name)?.shift();
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('Service Unavailable');
      return;
    }
    const gz = this.files.get(name);
    if (req.method !== 'GET' || !gz) {
      res
        .writeHead(403, { 'content-type': 'application/xml', server: 'AmazonS3' })
        .end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      return;
    }
    let text = gunzipSync(gz).toString('latin1');
    if (fault?.kind === 'truncate') text = text.split('\r\n').slice(0, fault.lines).join('\r\n');
    if (fault?.kind === 'replace') text = fault.text;
    const body = Buffer.from(text, 'latin1');
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, 'last-modified': new Date(0).toUTCString() }).end(body);
  }
}
