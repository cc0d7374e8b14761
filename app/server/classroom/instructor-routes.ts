/**
 * Instructor sign-in: the /teach page posts the secret from the instructor link's fragment
 * once and gets an HttpOnly, SameSite=Strict session cookie; sign-out ends the session. Failed
 * sign-ins are limited per address (a 256-bit secret cannot be guessed, but nobody should get
 * to try at network speed either).
 */
import type { NextFunction, Request, Response, Router } from 'express';
import type { InstructorSession } from '../../shared/classroom-api.js';
import { SignInRequest } from '../../shared/classroom-requests.js';
import { AddressRateLimit } from '../address-rate-limit.js';
import {
  clearInstructorCookie,
  INSTRUCTOR_COOKIE,
  readCookie,
  setInstructorCookie,
} from '../cookies.js';
import { addressOf, fail, parseBody, refusedByRate, reply } from './http-replies.js';
import type { InstructorAuth } from './instructor-auth.js';

/** Failed sign-ins per address: 5 at once, then one a minute. */
export const SIGN_IN_FAILURES = { burst: 5, refillEveryMs: 60_000 };

export const NOT_INSTRUCTOR =
  'This is for the instructor: open the instructor link that ebpf-lab serve printed (or run ebpf-lab instructor-link).';

export function instructorSessionOf(req: Request): string | undefined {
  return readCookie(req.headers.cookie, INSTRUCTOR_COOKIE);
}

/** Lets instructor sessions through, refuses anyone else with 403; replies are never cached. */
export function requireInstructor(auth: InstructorAuth) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('Cache-Control', 'no-store');
    if (auth.isInstructor(instructorSessionOf(req))) next();
    else fail(res, 403, NOT_INSTRUCTOR);
  };
}

export function instructorRoutes(router: Router, auth: InstructorAuth): void {
  const failures = new AddressRateLimit(SIGN_IN_FAILURES);

  router.get('/api/instructor/session', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    reply<InstructorSession>(res, { instructor: auth.isInstructor(instructorSessionOf(req)) });
  });

  router.post('/api/instructor/session', (req, res) => {
    const address = addressOf(req);
    if (refusedByRate(res, failures.check(address))) return;
    const body = parseBody(SignInRequest, req, res);
    if (!body) return;
    const signIn = auth.signIn(body.secret);
    if (!signIn) {
      failures.take(address);
      return fail(
        res,
        403,
        'This instructor link is not valid any more: a newer one replaced it (the lab makes one at every start). Use the link the lab printed last, or run ebpf-lab instructor-link.',
      );
    }
    setInstructorCookie(res, signIn.sessionId, signIn.maxAgeMs);
    reply<InstructorSession>(res, { instructor: true });
  });

  router.delete('/api/instructor/session', (req, res) => {
    auth.signOut(instructorSessionOf(req));
    clearInstructorCookie(res);
    res.status(204).end();
  });
}
