/**
 * The instructor's API (`/api/teach/*`, instructor sessions only; see instructor-routes.ts):
 * classes (create, list, close, reopen), a class's live dashboard as JSON, its join QR code,
 * its export (CSV and JSON), a broadcast to its learners, and per learner: lower their hand,
 * end their sandbox, a new resume link to re-admit them in another browser, and a read-only look
 * at their work (files, diagnostics, latest Run, the end of their Trace output and shell).
 */
import type { Request, Response, Router } from 'express';
import type {
  ClassDashboard,
  ClassExport,
  ClassSummary,
  LearnerWork,
} from '../../shared/classroom-api.js';
import { BroadcastRequest, CreateClassRequest } from '../../shared/classroom-requests.js';
import { exportCsv, exportFileName } from './class-export.js';
import type { ClassRecord, MemberRecord } from './class-store.js';
import type { Classroom } from './classroom.js';
import { fail, idParam, parseBody, reply } from './http-replies.js';
import { resumeUrl } from './join-routes.js';
import { qrSvg } from './qr-svg.js';
import { checkBroadcastText, checkClassName } from './typed-name.js';

export interface TeachRouteParts {
  classroom: Classroom;
  knownLesson: (id: string) => boolean;
  baseUrl: () => string;
}

export function teachRoutes(router: Router, { classroom, knownLesson, baseUrl }: TeachRouteParts) {
  const { classes } = classroom;
  const summaryOf = (record: ClassRecord) =>
    classroom.summary(record, classes.members(record.id).length);

  /** The class named by `:id`, or undefined after a 404. */
  const classOf = (req: Request, res: Response): ClassRecord | undefined => {
    const id = idParam(req.params.id);
    const record = id === undefined ? undefined : classes.get(id);
    if (!record) fail(res, 404, `no class "${String(req.params.id)}"`);
    return record;
  };
  /** The member named by `:ref` in the class named by `:id`, or undefined after a 404. */
  const memberOf = (req: Request, res: Response): MemberRecord | undefined => {
    const record = classOf(req, res);
    if (!record) return undefined;
    const member = classes.memberByRef(record.id, String(req.params.ref));
    if (!member) fail(res, 404, `no learner "${String(req.params.ref)}" in this class`);
    return member;
  };

  router.get('/api/teach/classes', (_req, res) => {
    reply<ClassSummary[]>(
      res,
      classes.list().map((record) => classroom.summary(record, record.memberCount)),
    );
  });

  router.post('/api/teach/classes', (req, res) => {
    const body = parseBody(CreateClassRequest, req, res);
    if (!body) return;
    const name = checkClassName(body.name);
    if (!name.ok) return fail(res, 400, name.error);
    const lessons = body.lessons ?? null;
    if (lessons) {
      const unknown = lessons.filter((id) => !knownLesson(id));
      if (unknown.length > 0) return fail(res, 400, `no such lesson: ${unknown.join(', ')}`);
      if (new Set(lessons).size !== lessons.length) {
        return fail(res, 400, 'a lesson is listed twice');
      }
    }
    reply<ClassSummary>(res, summaryOf(classes.create(name.name, lessons)), 201);
  });

  router.get('/api/teach/classes/:id', (req, res) => {
    const record = classOf(req, res);
    if (!record) return;
    reply<ClassDashboard>(res, classroom.dashboard(record.id) as ClassDashboard);
  });

  for (const [action, open] of [
    ['close', false],
    ['reopen', true],
  ] as const) {
    router.post(`/api/teach/classes/:id/${action}`, (req, res) => {
      const record = classOf(req, res);
      if (!record) return;
      const changed = classes.setOpen(record.id, open) as ClassRecord;
      classroom.hub.classChanged(record.id);
      reply<ClassSummary>(res, summaryOf(changed));
    });
  }

  router.get('/api/teach/classes/:id/qr.svg', (req, res) => {
    const record = classOf(req, res);
    if (!record) return;
    const { joinUrl } = summaryOf(record);
    res.type('image/svg+xml').send(qrSvg(joinUrl, `Join ${record.name}: ${joinUrl}`));
  });

  router.get('/api/teach/classes/:id/export.json', (req, res) => {
    const record = classOf(req, res);
    if (!record) return;
    res.attachment(exportFileName(record, 'json'));
    reply<ClassExport>(res, classroom.exportOf(record));
  });

  router.get('/api/teach/classes/:id/export.csv', (req, res) => {
    const record = classOf(req, res);
    if (!record) return;
    res.attachment(exportFileName(record, 'csv'));
    res.type('text/csv; charset=utf-8').send(exportCsv(classroom.exportOf(record)));
  });

  router.post('/api/teach/classes/:id/broadcast', (req, res) => {
    const record = classOf(req, res);
    if (!record) return;
    const body = parseBody(BroadcastRequest, req, res);
    if (!body) return;
    const text = checkBroadcastText(body.text);
    if (!text.ok) return fail(res, 400, text.error);
    reply<{ reached: number }>(res, { reached: classroom.broadcast(record, text.name) });
  });

  router.get('/api/teach/classes/:id/learners/:ref/work', (req, res) => {
    const member = memberOf(req, res);
    if (!member) return;
    reply<LearnerWork>(res, classroom.workOf(member));
  });

  router.post('/api/teach/classes/:id/learners/:ref/lower-hand', (req, res) => {
    const member = memberOf(req, res);
    if (!member) return;
    classroom.lowerHand(member);
    res.status(204).end();
  });

  router.post('/api/teach/classes/:id/learners/:ref/end-sandbox', async (req, res) => {
    const member = memberOf(req, res);
    if (!member) return;
    reply<{ ended: boolean }>(res, { ended: await classroom.endSandbox(member) });
  });

  router.post('/api/teach/classes/:id/learners/:ref/resume-link', (req, res) => {
    const member = memberOf(req, res);
    if (!member) return;
    const secret = classes.newResumeSecret(member.classId, member.learnerId);
    if (!secret) return fail(res, 404, 'this learner is no longer in the class');
    reply<{ resumeUrl: string }>(res, { resumeUrl: resumeUrl(baseUrl(), secret) });
  });
}
