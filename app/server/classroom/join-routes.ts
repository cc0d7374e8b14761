/**
 * The learner's side of a class: join with a code and a display name, come back with a resume
 * link (restoring the learner cookie of the member it was made for, and no other), and what the
 * lab shows a member (their classes, a recent banner, their hand).
 *
 * Guessing is slowed per address: every attempt costs from one bucket (a room behind one
 * router still joins at once) and every miss (unknown code, invalid resume link) from a
 * smaller one; with no misses left, every attempt waits.
 */
import type { Request, Router } from 'express';
import type { JoinReply, LearnerClassroom, ResumeReply } from '../../shared/classroom-api.js';
import { JoinRequest, ResumeRequest } from '../../shared/classroom-requests.js';
import { AddressRateLimit } from '../address-rate-limit.js';
import { setLearnerCookie } from '../cookies.js';
import type { Classroom } from './classroom.js';
import { addressOf, fail, parseBody, refusedByRate, reply } from './http-replies.js';
import { JOIN_CODE_LENGTH, normalizeJoinCode } from './join-code.js';
import { checkDisplayName } from './typed-name.js';

/** Join and resume attempts per address: a class of 40 at once, then one every 3 s. */
export const ENTRY_ATTEMPTS = { burst: 40, refillEveryMs: 3_000 };
/** Misses per address (a wrong code, an invalid resume link): 10, then one every 30 s. */
export const ENTRY_MISSES = { burst: 10, refillEveryMs: 30_000 };

export interface JoinRouteParts {
  classroom: Classroom;
  learnerOf: (req: Request) => string;
  baseUrl: () => string;
}

export function resumeUrl(baseUrl: string, secret: string): string {
  return `${baseUrl}/resume#${secret}`;
}

export function joinRoutes(
  router: Router,
  { classroom, learnerOf, baseUrl }: JoinRouteParts,
): void {
  const attempts = new AddressRateLimit(ENTRY_ATTEMPTS);
  const misses = new AddressRateLimit(ENTRY_MISSES);
  const { classes } = classroom;

  router.post('/api/classes/join', (req, res) => {
    const address = addressOf(req);
    if (refusedByRate(res, attempts.take(address))) return;
    if (refusedByRate(res, misses.check(address))) return;
    const body = parseBody(JoinRequest, req, res);
    if (!body) return;
    const name = checkDisplayName(body.name);
    if (!name.ok) return fail(res, 400, name.error);
    const code = normalizeJoinCode(body.code);
    const record = code === undefined ? undefined : classes.byCode(code);
    if (!record) {
      misses.take(address);
      return fail(
        res,
        404,
        code === undefined
          ? `A join code is ${JOIN_CODE_LENGTH} letters and digits, like K7M2QX: check it with your instructor.`
          : `No class has the code ${code}: check it with your instructor.`,
      );
    }
    if (!record.open) {
      return fail(
        res,
        403,
        `The class "${record.name}" is closed to new learners: ask your instructor to reopen it.`,
      );
    }
    const secret = classes.join(record.id, learnerOf(req), name.name);
    classroom.hub.classChanged(record.id);
    reply<JoinReply>(res, {
      classId: record.id,
      className: record.name,
      displayName: name.name,
      resumeUrl: resumeUrl(baseUrl(), secret),
    });
  });

  router.post('/api/resume', (req, res) => {
    const address = addressOf(req);
    if (refusedByRate(res, attempts.take(address))) return;
    if (refusedByRate(res, misses.check(address))) return;
    const body = parseBody(ResumeRequest, req, res);
    if (!body) return;
    const member = classes.resume(body.secret);
    const record = member && classes.get(member.classId);
    if (!member || !record) {
      misses.take(address);
      return fail(
        res,
        404,
        'This resume link is not valid (any more): a newer one replaced it. Ask your instructor for a new one.',
      );
    }
    setLearnerCookie(res, member.learnerId);
    reply<ResumeReply>(res, { className: record.name, displayName: member.displayName });
  });

  router.get('/api/classroom', (req, res) => {
    const learner = learnerOf(req);
    res.setHeader('Cache-Control', 'no-store');
    reply<LearnerClassroom>(res, {
      classes: classes.classesOf(learner).map((c) => ({
        id: c.id,
        name: c.name,
        displayName: c.displayName,
        banner: classroom.banners.current(c.id),
      })),
      handRaised: classroom.activity.handRaisedAt(learner) !== undefined,
    });
  });
}
