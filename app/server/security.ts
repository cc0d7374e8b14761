/**
 * Security headers built per request (the CSP allows exactly this page's own origin, its
 * WebSocket included), and the host and origin checks: only pages served by this lab, under a
 * name it is served under, may reach a session, so another site cannot drive a learner's
 * sandbox from their browser, not even by rebinding its name to this machine.
 */
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { AllowedHosts } from './allowed-hosts.js';

export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  const host = req.headers.host ?? '127.0.0.1';
  const wsOrigin = `${req.secure ? 'wss' : 'ws'}://${host}`;
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "script-src 'self'",
      "worker-src 'self'",
      // Monaco and xterm set element styles at run time.
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      `connect-src 'self' ${wsOrigin}`,
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'self'",
    ].join('; '),
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  next();
}

/**
 * Refuses, on every route, a request whose `Host` is not a name this lab is served under (DNS
 * rebinding), and a state-changing request whose `Origin` is another site's. Browsers always
 * send `Origin` with a POST; a request without one comes from a program, not a web page.
 */
export function hostAndOriginCheck(allowed: AllowedHosts) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!allowed.allowsHost(req.headers.host)) {
      res.status(421).type('text').send(misdirected(req.headers.host));
      return;
    }
    const changesState = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    const origin = req.headers.origin;
    if (changesState && origin !== undefined && !allowed.allowsOrigin(origin, req.headers.host)) {
      res.status(403).type('text').send(`Forbidden: requests from ${origin} are not accepted.`);
      return;
    }
    next();
  };
}

/**
 * Stricter, for what a class's data depends on (joining, resuming, the instructor's API): a
 * state-changing request must carry this lab's Origin. `hostAndOriginCheck` lets a request
 * without one through (a program's, not a page's); these routes want a page of this lab.
 */
export function requireOwnOrigin(allowed: AllowedHosts) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const changesState = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    if (changesState && !allowed.allowsOrigin(req.headers.origin, req.headers.host)) {
      res.status(403).json({ error: 'Forbidden: send this from a page of the lab.' });
      return;
    }
    next();
  };
}

/** Why a WebSocket upgrade is refused, or undefined when its Host and Origin are this lab's. */
export function upgradeRefusal(
  req: IncomingMessage,
  allowed: AllowedHosts,
): { status: number; text: string } | undefined {
  if (!allowed.allowsHost(req.headers.host)) return { status: 421, text: 'Misdirected Request' };
  if (!allowed.allowsOrigin(req.headers.origin, req.headers.host)) {
    return { status: 403, text: 'Forbidden' };
  }
  return undefined;
}

function misdirected(host: string | undefined): string {
  return (
    `This lab is not served under the host name "${host ?? ''}". ` +
    'Open it at 127.0.0.1 or localhost, or start it with --public-url naming the address learners use.'
  );
}
