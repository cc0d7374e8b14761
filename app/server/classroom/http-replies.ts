/** Small helpers the classroom's routes share: typed replies, errors, parsed bodies and ids. */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { RateVerdict } from '../address-rate-limit.js';

/** A JSON reply typed by its shared declaration (app/shared/classroom-api.ts). */
export function reply<T>(res: Response, body: T, status = 200): void {
  res.status(status).json(body);
}

export function fail(res: Response, status: number, error: string): void {
  res.status(status).json({ error });
}

/** The body, validated; undefined after a 400 reply naming what is wrong. */
export function parseBody<T>(schema: z.ZodType<T>, req: Request, res: Response): T | undefined {
  const parsed = schema.safeParse(req.body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  fail(res, 400, `invalid request${where}: ${issue?.message ?? 'not understood'}`);
  return undefined;
}

/** A positive integer path parameter, or undefined. */
export function idParam(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value)) return undefined;
  return Number(value);
}

/** The client's address, for per-address limits. */
export function addressOf(req: Request): string {
  return req.socket.remoteAddress ?? '';
}

/** A 429 with Retry-After when `verdict` refuses; whether it did. */
export function refusedByRate(res: Response, verdict: RateVerdict): boolean {
  if (verdict.ok) return false;
  const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
  res.setHeader('Retry-After', String(seconds));
  fail(res, 429, `Too many attempts from your network address: try again in ${seconds} s.`);
  return true;
}
