// A stand-in for cdn.finra.org/equity/regsho/daily on 127.0.0.1: GET /CNMSshvol{YYYYMMDD}.txt answers the
// real file with S3's validators (ETag, Last-Modified) and honours If-None-Match / If-Modified-Since;
// a day without a file gets what CloudFront in front of S3 answers: 403 with an AccessDenied body (or
// 404 NoSuchKey). Like FINRA's edge (a 2026 report), it refuses a request without a User-Agent with an
// HTML 403. Faults can be queued per file; a file can be re-posted ("Updated").
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { LoopbackServer } from './loopback-server.js';

export type CdnFault =
  | { kind: 'status'; status: number } // e.g. 503 from the CDN
  | { kind: 'reset' } // the connection drops before an answer
  | { kind: 'truncate'; lines: number } // a complete answer whose file stops after `lines` lines
  | { kind: 'replace'; text: string } // another file's text under this name
  | { kind: 'edge-403' } // the edge refusing us: 403 with an HTML page, not S3's XML
  | { kind: 'no-such-key' }; // S3's 404 NoSuchKey for a day without a file

const EDGE_403 =
  '<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>CloudFront</center></body></html>';

export class CdnDouble extends LoopbackServer {
  readonly requests: { path: string; headers: IncomingMessage['headers'] }[] = [];
  /** Faults by file name, each used once. */
  readonly faults = new Map<string, CdnFault[]>();
  /** The edge turns every request away (403, an HTML page), as FINRA's CDN does a client it blocks. */
  blockAll = false;

  /** When each file was last (re)posted; all real files date from the epoch here. */
  private readonly posted = new Map<string, Date>();

  /** `files`: file name -> gzip-compressed bytes of the file. */
  constructor(private readonly files: Map<string, Buffer>) {
    super();
    this.files = new Map(files);
  }

  /** FINRA re-posts a day's file ("Updated"): new content, new validators, from now on. */
  update(file: string, text: string, at = new Date()): void {
    this.files.set(file, gzipSync(Buffer.from(text, 'latin1')));
    this.posted.set(file, at);
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
    if (!req.headers['user-agent'] || this.blockAll) {
      res.writeHead(403, { 'content-type': 'text/html', server: 'CloudFront' }).end(EDGE_403);
      return;
    }
    const fault = this.faults.get(name)?.shift();
    if (fault?.kind === 'edge-403') {
      res.writeHead(403, { 'content-type': 'text/html', server: 'CloudFront' }).end(EDGE_403);
      return;
    }
    if (fault?.kind === 'no-such-key') {
      res
        .writeHead(404, { 'content-type': 'application/xml', server: 'AmazonS3' })
        .end(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
        );
      return;
    }
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
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    const lastModified = (this.posted.get(name) ?? new Date(0)).toUTCString();
    const since = req.headers['if-modified-since'];
    const notModified =
      req.headers['if-none-match'] !== undefined
        ? req.headers['if-none-match'] === etag
        : since !== undefined && Date.parse(since) >= Date.parse(lastModified);
    if (notModified) {
      res.writeHead(304, { etag, 'last-modified': lastModified }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, etag, 'last-modified': lastModified }).end(body);
  }
}
