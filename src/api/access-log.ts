// The access log: with ACCESS_LOG=true, one line per request, written when the answer has gone;
// otherwise none (failed answers are logged either way). Fastify's own request logging
// writes two lines (one as a request arrives, one as it completes), each through the logger's
// redaction pass: at info, the default level, that cost a hot answer about 45% of its throughput.
// This line is built from fields chosen here, none of which can hold a credential (no headers, no
// body), so it skips redaction; every other line keeps it. It still costs a hot answer about a
// quarter of its throughput (`npm run bench -- api` measures it), hence off by default.
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';

export class AccessLog extends LogController {
  private readonly lines: FastifyBaseLogger;

  constructor(
    logger: FastifyBaseLogger,
    private readonly enabled: boolean,
  ) {
    super(); // Fastify's other lines (a failed answer, a broken stream) stay as they are
    this.lines = logger.child({}, { redact: { paths: [] } });
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (error) return super.requestCompleted(error, request, reply, metadata);
    if (!this.enabled) return;
    this.lines.info(
      {
        reqId: request.id,
        req: { method: request.method, url: request.url, remoteAddress: request.ip },
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  }
}
