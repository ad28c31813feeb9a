// What a path answers: a method no route of the path takes is a 405 naming the ones that do, before
// any body is read (a body of any type is refused as the method it came with, not as a 415); TRACE is
// one everywhere. A path no route takes at all is the not-found handler's.
import type { FastifyInstance } from 'fastify';
import { ProblemError } from './problems.js';

/** The methods routes here answer (OPTIONS aside, which CORS answers for every path). */
const ROUTE_METHODS = ['GET', 'HEAD', 'POST'] as const;

/** The methods the router has a route for at a path: what a 405 lists and a CORS preflight advertises. */
export function routeMethods(app: FastifyInstance): (path: string) => string[] {
  return (path) => ROUTE_METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
}

export function methodNotAllowed(app: FastifyInstance, methodsAt: (path: string) => string[]): void {
  // A callback hook, not an async one: it runs on every request, and a promise per request shows.
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.routeOptions.url !== undefined && req.method !== 'TRACE') return done();
    const allowed = methodsAt(req.url.split('?')[0]!);
    if (req.method !== 'TRACE' && allowed.length === 0) return done();
    done(
      new ProblemError('method_not_allowed', `${req.method} is not allowed here; use ${allowed.join(' or ') || 'GET'}.`, {
        headers: { allow: [...allowed, 'OPTIONS'].join(', ') },
      }),
    );
  });
}
