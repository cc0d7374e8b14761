/**
 * The classroom, put together: classes and members, the learners' record (session hooks), the
 * instructor's sign-in, banners and the live dashboards, on the lab's one database. The
 * server's routes and sockets call this; it calls the session registry for what lives in
 * memory (who is online, doing what; their tabs, their sandbox).
 */
import type {
  ClassDashboard,
  ClassExport,
  ClassSummary,
  LearnerWork,
  LessonRef,
} from '../../shared/classroom-api.js';
import type { LabDatabase } from '../db/database.js';
import type { ProgressStore } from '../progress.js';
import type { SessionHooks } from '../session.js';
import type { SessionRegistry } from '../session-registry.js';
import { ActivityStore } from './activity-store.js';
import { Banners } from './banners.js';
import { classExport } from './class-export.js';
import { type ClassRecord, ClassStore, type MemberRecord } from './class-store.js';
import { type LearnerCourseOrder, learnerCourseOrder } from './course-order.js';
import { buildDashboard, classLessons, classSummary, type DashboardSources } from './dashboard.js';
import { DashboardHub, type HubTiming } from './dashboard-hub.js';
import { InstructorAuth } from './instructor-auth.js';
import { Recorder } from './recorder.js';
import { TimeSpent } from './time-spent.js';

/** How often time spent on lessons is written to the database. */
export const TIME_FLUSH_EVERY_MS = 10_000;

export interface ClassroomOptions {
  db: LabDatabase;
  progress: ProgressStore;
  /** The course's lessons, in course order. */
  course: () => LessonRef[];
  /** The lab's address as learners open it; known once the server listens. */
  baseUrl: () => string;
  log?: (text: string) => void;
  now?: () => number;
  hubTiming?: HubTiming;
}

export class Classroom {
  readonly classes: ClassStore;
  readonly activity: ActivityStore;
  readonly auth: InstructorAuth;
  readonly banners: Banners;
  readonly time = new TimeSpent();
  readonly recorder: Recorder;
  readonly hub: DashboardHub;
  private registry: SessionRegistry | undefined;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: ClassroomOptions) {
    const { db } = options;
    this.now = options.now ?? Date.now;
    this.classes = new ClassStore(db, this.now);
    this.activity = new ActivityStore(db, this.now);
    this.auth = new InstructorAuth(db, this.now);
    this.banners = new Banners(this.now);
    this.hub = new DashboardHub(
      (classId) => this.dashboard(classId),
      (learnerId) => this.classes.classIdsOf(learnerId),
      options.log,
      options.hubTiming,
    );
    this.recorder = new Recorder({
      db,
      progress: options.progress,
      activity: this.activity,
      classes: this.classes,
      time: this.time,
      changed: (learnerId) => this.hub.learnerChanged(learnerId),
      log: options.log,
      now: this.now,
    });
    this.flushTimer = setInterval(() => this.recorder.flushTime(), TIME_FLUSH_EVERY_MS);
    this.flushTimer.unref();
  }

  /** The hooks each learner session reports to. */
  sessionHooks(lesson: SessionHooks['lesson']): SessionHooks {
    const recorder = this.recorder;
    return {
      lesson,
      checkFinished: (...args) => recorder.checkFinished(...args),
      runFinished: (...args) => recorder.runFinished(...args),
      active: (...args) => recorder.active(...args),
      setHand: (...args) => recorder.setHand(...args),
      changed: (...args) => recorder.changed(...args),
    };
  }

  /** The sessions, for who is online and what they do (the registry is made after this). */
  useRegistry(registry: SessionRegistry): void {
    this.registry = registry;
  }

  summary(record: ClassRecord, memberCount: number): ClassSummary {
    return classSummary(record, this.dashboardSources(), memberCount);
  }

  lessonsOf(record: ClassRecord): LessonRef[] {
    return classLessons(record, this.options.course());
  }

  /** The class's learner × lesson export (class-export.ts). */
  exportOf(record: ClassRecord): ClassExport {
    return classExport(
      this.options.db,
      record,
      this.classes.members(record.id),
      this.lessonsOf(record),
      this.now(),
    );
  }

  dashboard(classId: number): ClassDashboard | undefined {
    return buildDashboard(this.dashboardSources(), classId);
  }

  /** Sends a banner to every open tab of the class's learners; how many learners it reached. */
  broadcast(record: ClassRecord, text: string): number {
    const banner = this.banners.set(record.id, text);
    let reached = 0;
    for (const member of this.classes.members(record.id)) {
      const session = this.registry?.find(member.learnerId);
      if (!session || session.tabCount === 0) continue;
      session.notify({ type: 'banner', classId: record.id, className: record.name, ...banner });
      reached++;
    }
    return reached;
  }

  /** The instructor lowers a learner's hand; their tabs are told. */
  lowerHand(member: MemberRecord): void {
    if (this.activity.lowerHand(member.learnerId, 'instructor')) {
      this.registry
        ?.find(member.learnerId)
        ?.notify({ type: 'hand', raised: false, by: 'instructor' });
    }
    this.hub.learnerChanged(member.learnerId);
  }

  /**
   * The order the learner takes the course in (`course`: every lesson id, in course order): the
   * lessons of the class they joined last, when it names them, come first.
   */
  courseOrderFor(
    learnerId: string,
    course: readonly string[],
  ): LearnerCourseOrder & { className: string | null } {
    const newest = this.classes.classesOf(learnerId)[0];
    const lessons = newest?.lessons ?? null;
    return {
      ...learnerCourseOrder(course, lessons),
      className: lessons === null ? null : (newest?.name ?? null),
    };
  }

  /** What the learner has in their lab now, read-only (`LearnerSession.work`). */
  workOf(member: MemberRecord): LearnerWork {
    const who = { ref: member.ref, name: member.displayName, at: this.now() };
    const session = this.registry?.find(member.learnerId);
    if (!session) {
      return {
        ...who,
        online: false,
        lesson: null,
        files: [],
        diagnostics: [],
        lastRun: null,
        trace: '',
        shell: '',
      };
    }
    const { lessonId, ...work } = session.work();
    const lesson = this.options.course().find((ref) => ref.id === lessonId) ?? null;
    return { ...who, online: session.tabCount > 0, lesson, ...work };
  }

  /** Stops a learner's sandbox to free its slot; false when they have none. */
  async endSandbox(member: MemberRecord): Promise<boolean> {
    const session = this.registry?.find(member.learnerId);
    if (!session || session.live.sandbox === 'none') return false;
    await session.endSandbox();
    this.hub.learnerChanged(member.learnerId);
    return true;
  }

  close(): void {
    clearInterval(this.flushTimer);
    this.recorder.flushTime();
    this.hub.close();
  }

  private dashboardSources(): DashboardSources {
    return {
      db: this.options.db,
      classes: this.classes,
      time: this.time,
      course: this.options.course,
      live: (learnerId) => this.registry?.liveOf(learnerId),
      slots: () => {
        const slots = this.registry?.slots;
        return {
          inUse: slots?.inUse ?? 0,
          capacity: slots?.capacity ?? 0,
          waiting: slots?.waiting ?? 0,
        };
      },
      baseUrl: this.options.baseUrl(),
      now: this.now,
    };
  }
}
