/**
 * The classroom's HTTP replies and the instructor dashboard's WebSocket messages, declared
 * once: the server builds them, the client reads them. (What the browser sends is validated
 * with the schemas in classroom-requests.ts.)
 *
 * Learners appear on the instructor's side by `ref`, never by their learner id: that id is
 * their cookie, a credential.
 */

import type { Diagnostic, VerifierExplanation } from './protocol.js';

// ------------------------------------------------------------------ learner side

/** `POST /api/classes/join`. */
export interface JoinReply {
  classId: number;
  className: string;
  displayName: string;
  /** The learner's personal link back to their progress: shown once, never stored as is. */
  resumeUrl: string;
}

/** `POST /api/resume`: the learner cookie is set to the member's. */
export interface ResumeReply {
  className: string;
  displayName: string;
}

export interface Banner {
  text: string;
  at: number;
}

/** `GET /api/classroom`: the classes the learner is in, and their hand. */
export interface LearnerClassroom {
  classes: { id: number; name: string; displayName: string; banner: Banner | null }[];
  handRaised: boolean;
}

// ------------------------------------------------------------------ instructor side

/** `GET /api/instructor/session`. */
export interface InstructorSession {
  instructor: boolean;
}

export interface LessonRef {
  id: string;
  title: string;
}

/** A class as the instructor's list and pages show it. */
export interface ClassSummary {
  id: number;
  name: string;
  joinCode: string;
  /** What learners open (also in the QR code). */
  joinUrl: string;
  open: boolean;
  /** The class's lessons in its order. */
  lessons: LessonRef[];
  /** The class follows the whole course (lessons added later are in). */
  wholeCourse: boolean;
  createdAt: number;
  memberCount: number;
}

/** What a learner is doing now. `idle`: nothing for `idleMinutes`; `offline`: no tab open. */
export type ActivityState = 'editing' | 'compiling' | 'running' | 'checking' | 'idle' | 'offline';

export interface LearnerActivity {
  state: ActivityState;
  /** Whole minutes since the learner's last action, for `idle`. */
  idleMinutes?: number;
  /** `queued`: every sandbox slot is taken; `queuePlace` 1 is next. */
  sandbox: 'running' | 'starting' | 'queued' | 'none';
  queuePlace?: number;
}

/** Why the stuck rule flags a learner (classroom/stuck-rule.ts). */
export type StuckReason = 'hand-raised' | 'failing-checks' | 'failing-runs' | 'long-on-lesson';

export interface LastOutcome {
  kind: 'run' | 'check';
  lessonId: string;
  /** A run: `attached` or an error kind; a check: `passed` or `failed`. */
  outcome: string;
  /** In words: "verifier rejected", "checks passed (3/3)". */
  summary: string;
  firstErrorLine: string | null;
  at: number;
}

export interface DashboardLearner {
  ref: string;
  name: string;
  joinedAt: number;
  currentLesson: LessonRef | null;
  /** Of the class's lessons. */
  lessonsDone: number;
  lessonsTotal: number;
  activity: LearnerActivity;
  lastOutcome: LastOutcome | null;
  /** Runs and checks in the class's lessons. */
  runs: number;
  checks: number;
  hand: { raisedAt: number } | null;
  stuck: { reason: StuckReason; detail: string; since: number } | null;
}

export type GridCell = 'done' | 'attempted' | 'not-started';

/** `GET /api/teach/classes/:id`, and what the dashboard socket pushes. */
export interface ClassDashboard {
  class: ClassSummary;
  sandboxes: { inUse: number; capacity: number; waiting: number };
  /** Stuck learners first (longest stuck first), then the rest by name. */
  learners: DashboardLearner[];
  /** Lesson × learner: `cells[i]` is the learner's state in `lessons[i]`. */
  grid: { lessons: LessonRef[]; rows: { ref: string; name: string; cells: GridCell[] }[] };
  /** When it was built (server clock). */
  at: number;
}

/** One of the learner's editor files, beside the lesson's starter (null: not a starter file). */
export interface WorkFile {
  name: string;
  text: string;
  starter: string | null;
}

/** How the learner's latest Run went: attached, or refused with the compiler's or verifier's words. */
export interface WorkRun {
  /** `attached`, or the error's kind (`compile`, `verifier`, `limit`, ...). */
  outcome: string;
  message: string;
  verifier: VerifierExplanation | null;
  at: number;
}

/**
 * `GET /api/teach/classes/:id/learners/:ref/work`: what the learner has in their lab now, for the
 * instructor's read-only view. It lives in the learner's session (memory), so a learner with no
 * session since the server started shows `online: false` and nothing else.
 */
export interface LearnerWork {
  ref: string;
  name: string;
  online: boolean;
  lesson: LessonRef | null;
  files: WorkFile[];
  /** The compiler's latest diagnostics (compile-ahead or Run) for the learner's code. */
  diagnostics: Diagnostic[];
  lastRun: WorkRun | null;
  /** The last of their Trace output and of their sandbox shell, as the terminals got it. */
  trace: string;
  shell: string;
  at: number;
}

/** One learner × lesson of the export. */
export interface ExportRow {
  learner: string;
  lessonId: string;
  lessonTitle: string;
  done: boolean;
  /** The best check of the lesson: how many of its checks passed, of how many. */
  checksPassed: number | null;
  checksTotal: number | null;
  /** ISO 8601, UTC. */
  firstCompletedAt: string | null;
  runs: number;
  checks: number;
  timeSpentMinutes: number;
}

/** `GET /api/teach/classes/:id/export.json`. */
export interface ClassExport {
  class: { id: number; name: string };
  exportedAt: string;
  rows: ExportRow[];
}

/** The dashboard socket (`/ws/teach`), server → browser. */
export type TeachServerMessage =
  | { type: 'dashboard'; dashboard: ClassDashboard }
  | { type: 'error'; message: string };
