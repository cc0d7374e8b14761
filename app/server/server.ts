/**
 * The web lab's HTTP and WebSocket server: the built client, a JSON API (course, lessons,
 * progress, health; classes, see classroom/), one WebSocket per tab at /ws and one per
 * instructor dashboard at /ws/teach. Each learner is a cookie; their session (sandbox, shell,
 * runs) lives in the SessionRegistry.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import { WebSocketServer } from 'ws';
import { LIMITS, limitMessage } from '../../runner/limits.js';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { ownResidentMiB, residentMiB } from '../../runner/sandbox/resident-memory.js';
import type {
  Course,
  CourseLesson,
  Glossary,
  Healthz,
  LessonLink,
  Lesson as LessonReply,
} from '../shared/http-api.js';
import { AllowedHosts } from './allowed-hosts.js';
import { Classroom } from './classroom/classroom.js';
import { neighbours } from './classroom/course-order.js';
import type { HubTiming } from './classroom/dashboard-hub.js';
import { serveDashboardSocket, TEACH_MAX_PAYLOAD } from './classroom/dashboard-socket.js';
import { instructorLink } from './classroom/instructor-auth.js';
import {
  instructorRoutes,
  instructorSessionOf,
  requireInstructor,
} from './classroom/instructor-routes.js';
import { joinRoutes } from './classroom/join-routes.js';
import { rememberLabAddress } from './classroom/lab-address.js';
import { labBaseUrl } from './classroom/lab-url.js';
import { teachRoutes } from './classroom/teach-routes.js';
import { type LabConfig, sessionsPerAddress } from './config.js';
import { serveConnection } from './connection.js';
import {
  INSTRUCTOR_COOKIE,
  LEARNER_COOKIE,
  learnerIdFrom,
  readCookie,
  setLearnerCookie,
} from './cookies.js';
import { databaseFile, LabDatabase } from './db/database.js';
import { DEFAULT_GLOSSARY, LessonCatalog } from './lesson-catalog.js';
import { LessonState, openProgressStore, type ProgressStore } from './progress.js';
import type { ReclaimPolicy } from './sandbox-slots.js';
import {
  hostAndOriginCheck,
  requireOwnOrigin,
  securityHeaders,
  upgradeRefusal,
} from './security.js';
import type { SandboxSource } from './session.js';
import { LabFullError, SessionRegistry } from './session-registry.js';

/** Hard cap where `ws` closes the connection; smaller oversized frames get an error reply. */
const WS_MAX_PAYLOAD = 4 * 1024 * 1024;
/** Sessions cost little without a sandbox: room for a full line of learners waiting for one. */
const SESSIONS_PER_SLOT = 8;
const MIN_SESSIONS = 64;

export interface LabServer {
  url: string;
  /** The address learners open (join links, QR code); see classroom/lab-url.ts. */
  baseUrl: string;
  /** Signs a browser in as the instructor; a new one at every start (the last one stops working). */
  instructorUrl: string;
  registry: SessionRegistry;
  classroom: Classroom;
  close(): Promise<void>;
}

export interface LabServerOptions {
  /** Reload lessons when their files change, and tell the open tabs. */
  authoring?: boolean;
  glossaryFile?: string;
  log?: (text: string) => void;
  /** When idle learners give their sandbox to one waiting (tests shorten it). */
  reclaim?: ReclaimPolicy;
  /** How fast dashboards are pushed (tests shorten it). */
  dashboardTiming?: HubTiming;
}

export async function startLabServer(
  config: LabConfig,
  sandboxes: SandboxSource,
  options: LabServerOptions = {},
): Promise<LabServer> {
  const catalog = await LessonCatalog.load(
    config.lessonsDir,
    options.glossaryFile ?? DEFAULT_GLOSSARY(PACKAGE_ROOT),
  );
  // The lab's database (README: Data); progress.json from before it is imported once.
  const db = LabDatabase.open(databaseFile(config.dataDir));
  let progress: ProgressStore;
  try {
    progress = await openProgressStore(db, {
      importFrom: join(config.dataDir, 'progress.json'),
      log: options.log,
    });
  } catch (error) {
    db.close();
    throw error;
  }
  const lessons = () => catalog.list();
  /** The address learners open: known once the server listens (the port may be 0 until then). */
  let baseUrl = '';
  const classroom = new Classroom({
    db,
    progress,
    course: () => lessons().map(({ lesson }) => ({ id: lesson.id, title: lesson.meta.title })),
    baseUrl: () => baseUrl,
    log: options.log,
    hubTiming: options.dashboardTiming,
  });
  const registry = new SessionRegistry(
    sandboxes,
    {
      idleTimeoutMs: config.idleTimeoutMs,
      reconnectGraceMs: config.reconnectGraceMs,
      shellScrollbackBytes: 64 * 1024,
    },
    {
      sandboxSlots: config.maxSessions,
      sessionsPerAddress: sessionsPerAddress(config),
      maxSessions: Math.max(MIN_SESSIONS, config.maxSessions * SESSIONS_PER_SLOT),
      reclaim: options.reclaim,
    },
    classroom.sessionHooks((id) => catalog.get(id)?.lesson),
  );
  classroom.useRegistry(registry);
  if (options.authoring) {
    catalog.watch(
      (lessonId) => {
        options.log?.(`lesson ${lessonId} reloaded`);
        registry.notifyAll({ type: 'lesson-changed', lessonId });
      },
      (message) => options.log?.(`lesson not reloaded: ${message}`),
    );
  }
  const allowedHosts = new AllowedHosts({ listenHost: config.host, publicUrl: config.publicUrl });
  const app = express();
  app.disable('x-powered-by');
  app.use(hostAndOriginCheck(allowedHosts));
  app.use(securityHeaders);
  // Every visitor gets a learner id: it names their session and their progress.
  app.use((req, res, next) => {
    if (!learnerIdFrom(req.headers.cookie)) {
      const id = randomBytes(16).toString('hex');
      // Later handlers read the id from the request, as on the learner's next visit; the
      // other cookies (the instructor's) stay, a malformed learner cookie does not.
      const others = (req.headers.cookie ?? '')
        .split(';')
        .filter((part) => part.trim() && part.split('=')[0]?.trim() !== LEARNER_COOKIE);
      req.headers.cookie = [...others, `${LEARNER_COOKIE}=${id}`].join(';');
      setLearnerCookie(res, id);
    }
    next();
  });
  app.use(express.json({ limit: '16kb' }));

  const learnerOf = (req: Request) => learnerIdFrom(req.headers.cookie) as string;
  const findLesson = (id: string) => catalog.get(id);
  const { auth } = classroom;

  // The classroom (classroom/): what a class's data depends on wants a page of this lab.
  const ownOrigin = requireOwnOrigin(allowedHosts);
  app.use(['/api/instructor', '/api/classes', '/api/resume'], ownOrigin);
  app.use('/api/teach', requireInstructor(auth), ownOrigin);
  instructorRoutes(app, auth);
  joinRoutes(app, { classroom, learnerOf, baseUrl: () => baseUrl });
  teachRoutes(app, {
    classroom,
    knownLesson: (id) => findLesson(id) !== undefined,
    baseUrl: () => baseUrl,
  });

  /** The order `req`'s learner takes the lessons in (course-order.ts). */
  const orderFor = (req: Request) =>
    classroom.courseOrderFor(
      learnerOf(req),
      lessons().map(({ lesson }) => lesson.id),
    );

  app.get('/api/course', (req, res) => {
    const learner = learnerOf(req);
    const order = orderFor(req);
    const entry = (id: string): CourseLesson[] => {
      const lesson = catalog.get(id)?.lesson;
      if (!lesson) return [];
      const { title, summary } = lesson.meta;
      return [{ id, title, summary, state: progress.stateOf(learner, id) }];
    };
    reply<Course>(res, {
      title: 'Learn eBPF, hands on',
      lessons: order.lessons.flatMap(entry),
      className: order.className,
      otherLessons: order.others.flatMap(entry),
    });
  });

  app.get('/api/lessons/:id', (req, res) => {
    const found = catalog.get(req.params.id);
    if (!found) return notFound(res, `no lesson "${req.params.id}"`);
    const around = neighbours(orderFor(req), found.lesson.id);
    const link = (id: string | null): LessonLink | null => {
      const lesson = id === null ? undefined : catalog.get(id)?.lesson;
      return lesson ? { id: lesson.id, title: lesson.meta.title } : null;
    };
    reply<LessonReply>(res, {
      id: found.lesson.id,
      title: found.lesson.meta.title,
      html: found.html,
      files: found.lesson.files,
      attach: found.lesson.meta.attach,
      state: progress.stateOf(learnerOf(req), found.lesson.id),
      prev: link(around.prev),
      next: link(around.next),
    });
  });

  app.get('/api/lessons/:id/assets/*path', (req, res) => {
    const found = findLesson(req.params.id);
    const path = ([] as string[]).concat(req.params.path ?? []).join('/');
    if (!found) return notFound(res, `no lesson "${req.params.id}"`);
    // sendFile with a root refuses paths that climb out of it.
    res.sendFile(path, { root: join(found.lesson.dir, 'assets'), dotfiles: 'deny' }, (error) => {
      if (error && !res.headersSent) notFound(res, `no asset "${path}"`);
    });
  });

  app.post('/api/progress/:id', async (req, res) => {
    const state = LessonState.safeParse(req.body?.state);
    if (!findLesson(req.params.id)) return notFound(res, `no lesson "${req.params.id}"`);
    if (!state.success) {
      res.status(400).json({ error: 'state must be "started" or "done"' });
      return;
    }
    await progress.advance(learnerOf(req), req.params.id, state.data);
    classroom.recorder.changed(learnerOf(req));
    res.status(204).end();
  });

  app.get('/api/glossary', (_req, res) => {
    reply<Glossary>(res, { title: 'Glossary', html: catalog.glossaryHtml });
  });

  app.get('/healthz', (_req, res) => {
    const { slots } = registry;
    // Resident memory of the server and of each learner's sandbox (its qemu), in MiB: a lab
    // that runs for days shows here whether anything only grows. No learner ids are shown.
    const residentMiBs = registry.sandboxPids().flatMap((pid) => {
      const rss = residentMiB(pid);
      return rss === undefined ? [] : [rss];
    });
    reply<Healthz>(res, {
      ok: true,
      sessions: registry.size,
      lessons: lessons().length,
      serverResidentMiB: ownResidentMiB(),
      sandboxes: {
        inUse: slots.inUse,
        capacity: slots.capacity,
        waiting: slots.waiting,
        residentMiB: residentMiBs,
      },
    });
  });

  app.use('/api', (_req, res) => notFound(res, 'no such API'));

  const indexHtml = join(config.clientDir, 'index.html');
  // The bundles keep their names from build to build (/assets/main.js), so a browser must ask
  // again each time (a 304 while unchanged): cached as immutable, a page kept running the
  // client of before an update, against the server of after it, for up to an hour.
  app.use('/assets', express.static(join(config.clientDir, 'assets'), { maxAge: 0 }));
  const sendClient = (res: Response) => {
    if (!existsSync(indexHtml)) {
      res.status(503).type('text').send('The browser client is not built: run `npm run setup`.');
      return;
    }
    res.sendFile(indexHtml);
  };
  // `/teach` is also the instructor link's page (it signs in with the fragment's secret).
  app.get(
    ['/', '/lessons/:id', '/glossary', '/join', '/join/:code', '/resume', '/teach'],
    (_req, res) => sendClient(res),
  );
  app.get('/teach/*path', (req, res) => {
    if (!auth.isInstructor(instructorSessionOf(req))) return res.redirect(303, '/teach');
    sendClient(res);
  });

  const server = createServer(app);
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  const teachWss = new WebSocketServer({ noServer: true, maxPayload: TEACH_MAX_PAYLOAD });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const path = new URL(req.url ?? '/', 'http://lab').pathname;
    if (path !== '/ws' && path !== '/ws/teach') return reject(404, 'Not Found');
    const refusal = upgradeRefusal(req, allowedHosts);
    if (refusal) return reject(refusal.status, refusal.text);
    if (path === '/ws/teach') {
      const session = readCookie(req.headers.cookie, INSTRUCTOR_COOKIE);
      if (!auth.isInstructor(session)) return reject(403, 'Forbidden');
      teachWss.handleUpgrade(req, socket, head, (ws) =>
        serveDashboardSocket(ws, classroom.hub, () => auth.isInstructor(session)),
      );
      return;
    }
    const learner = learnerIdFrom(req.headers.cookie);
    if (!learner) return reject(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      try {
        const session = registry.get(learner, req.socket.remoteAddress ?? '');
        if (session.tabCount >= LIMITS.tabsPerLearner.value) {
          throw new LabFullError(limitMessage('tabsPerLearner'));
        }
        serveConnection(ws, session, LIMITS.sourceBytes.value);
      } catch (error) {
        const code = error instanceof LabFullError ? 'limit' : 'sandbox';
        ws.send(JSON.stringify({ type: 'error', code, message: (error as Error).message }));
        ws.close(1013, 'lab full');
      }
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    classroom.close();
    db.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  baseUrl = labBaseUrl({ publicUrl: config.publicUrl, listenHost: config.host, port });
  rememberLabAddress(db, baseUrl);
  return {
    url: `http://${shownHost}:${port}`,
    baseUrl,
    instructorUrl: instructorLink(baseUrl, auth.newLinkSecret()),
    registry,
    classroom,
    async close() {
      catalog.close();
      for (const client of wss.clients) client.terminate();
      for (const client of teachWss.clients) client.terminate();
      await registry.closeAll();
      classroom.close();
      await progress.close();
      db.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A JSON reply typed by its shared declaration (app/shared/http-api.ts). */
function reply<T>(res: Response, body: T): void {
  res.json(body);
}

function notFound(res: Response, message: string): void {
  res.status(404).json({ error: message });
}
