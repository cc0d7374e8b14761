/**
 * Security headers built per request (the CSP allows exactly this page's own origin, its
 * WebSocket included) and the WebSocket origin check: only pages served by this lab may open a
 * session, so another site cannot drive a learner's sandbox from their browser.
 */
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

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

/** The Origin of a WebSocket upgrade must be this server itself (same host and port). */
export function isSameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (!origin || !host || !URL.canParse(origin)) return false;
  return new URL(origin).host === host;
}
