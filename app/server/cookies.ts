/**
 * The lab's two cookies: the learner's (names their session and progress; every visitor gets
 * one) and the instructor's (a signed-in instructor session). Both HttpOnly, so a script in
 * the page cannot read them, and SameSite=Strict, so no other site's page sends them.
 */
import type { Response } from 'express';

export const LEARNER_COOKIE = 'ebpf_lab_learner';
export const INSTRUCTOR_COOKIE = 'ebpf_lab_instructor';

const LEARNER_ID = /^[0-9a-f]{32}$/;
const LEARNER_COOKIE_MAX_AGE_MS = 365 * 86_400_000;

/** The value of cookie `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The learner id in a Cookie header, when it has the shape of one. */
export function learnerIdFrom(header: string | undefined): string | undefined {
  const value = readCookie(header, LEARNER_COOKIE);
  return value && LEARNER_ID.test(value) ? value : undefined;
}

export function isLearnerId(value: string): boolean {
  return LEARNER_ID.test(value);
}

/** Sets the learner cookie, replacing one set earlier in the same response (a resume's). */
export function setLearnerCookie(res: Response, learnerId: string): void {
  const earlier = res.getHeader('Set-Cookie');
  if (Array.isArray(earlier)) {
    const others = earlier.filter((c) => !c.startsWith(`${LEARNER_COOKIE}=`));
    if (others.length > 0) res.setHeader('Set-Cookie', others);
    else res.removeHeader('Set-Cookie');
  } else if (typeof earlier === 'string' && earlier.startsWith(`${LEARNER_COOKIE}=`)) {
    res.removeHeader('Set-Cookie');
  }
  res.cookie(LEARNER_COOKIE, learnerId, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    maxAge: LEARNER_COOKIE_MAX_AGE_MS,
  });
}

export function setInstructorCookie(res: Response, sessionId: string, maxAgeMs: number): void {
  res.cookie(INSTRUCTOR_COOKIE, sessionId, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    maxAge: maxAgeMs,
  });
}

export function clearInstructorCookie(res: Response): void {
  res.clearCookie(INSTRUCTOR_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/' });
}
