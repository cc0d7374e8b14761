/**
 * Pushes class dashboards to the instructor pages watching them. Changes arrive as "this
 * learner's row may have changed" (often: every keystroke that reaches the server); they are
 * gathered for PUSH_EVERY_MS, then each watched class they touch is rebuilt once and sent only
 * if it differs from what was sent last. A slow tick rebuilds every watched class anyway, for
 * what changes with time alone (idle minutes, time on a lesson), and drops watchers whose
 * instructor session ended (a new link made with --sign-out).
 */
import type { ClassDashboard, TeachServerMessage } from '../../shared/classroom-api.js';

/** Latency of a push after a change, and the most often one class is rebuilt. */
export const PUSH_EVERY_MS = 500;
/** Rebuilds of every watched class for what changes with time alone. */
export const REFRESH_EVERY_MS = 15_000;

export interface DashboardWatcher {
  send(message: TeachServerMessage): void;
  /** Whether its instructor session is still valid. */
  allowed(): boolean;
  /** Ends the watcher's connection (its session ended). */
  close(): void;
}

export interface HubTiming {
  pushEveryMs: number;
  refreshEveryMs: number;
}

interface Watched {
  watchers: Set<DashboardWatcher>;
  /** What was sent last, without its time stamp. */
  last: string;
}

export class DashboardHub {
  private readonly classes = new Map<number, Watched>();
  private readonly changedLearners = new Set<string>();
  private readonly changedClasses = new Set<number>();
  private pushTimer: NodeJS.Timeout | undefined;
  private readonly refreshTimer: NodeJS.Timeout;

  constructor(
    private readonly build: (classId: number) => ClassDashboard | undefined,
    private readonly classIdsOf: (learnerId: string) => number[],
    private readonly log: (text: string) => void = () => {},
    private readonly timing: HubTiming = {
      pushEveryMs: PUSH_EVERY_MS,
      refreshEveryMs: REFRESH_EVERY_MS,
    },
  ) {
    this.refreshTimer = setInterval(() => this.refresh(), timing.refreshEveryMs);
    this.refreshTimer.unref();
  }

  /** Sends the class's dashboard now and on every change, until the returned function runs. */
  watch(classId: number, watcher: DashboardWatcher): () => void {
    const dashboard = this.safeBuild(classId);
    if (!dashboard) {
      watcher.send({ type: 'error', message: `There is no class ${classId}.` });
      return () => {};
    }
    let watched = this.classes.get(classId);
    if (!watched) {
      watched = { watchers: new Set(), last: fingerprint(dashboard) };
      this.classes.set(classId, watched);
    }
    watched.watchers.add(watcher);
    watcher.send({ type: 'dashboard', dashboard });
    return () => {
      watched.watchers.delete(watcher);
      if (watched.watchers.size === 0 && this.classes.get(classId) === watched) {
        this.classes.delete(classId);
      }
    };
  }

  learnerChanged(learnerId: string): void {
    if (this.classes.size === 0) return; // nobody watches: nothing to work out
    this.changedLearners.add(learnerId);
    this.schedule();
  }

  classChanged(classId: number): void {
    if (!this.classes.has(classId)) return;
    this.changedClasses.add(classId);
    this.schedule();
  }

  close(): void {
    clearTimeout(this.pushTimer);
    clearInterval(this.refreshTimer);
    this.classes.clear();
  }

  private schedule(): void {
    // Not pushed back by later changes: a push at most PUSH_EVERY_MS after the first one.
    this.pushTimer ??= setTimeout(() => this.push(), this.timing.pushEveryMs);
  }

  private push(): void {
    this.pushTimer = undefined;
    const classIds = new Set(this.changedClasses);
    this.changedClasses.clear();
    for (const learnerId of this.changedLearners) {
      try {
        for (const id of this.classIdsOf(learnerId)) classIds.add(id);
      } catch (error) {
        this.log(`dashboard: ${(error as Error).message}`);
      }
    }
    this.changedLearners.clear();
    for (const id of classIds) this.update(id);
  }

  private refresh(): void {
    for (const [id, watched] of this.classes) {
      for (const watcher of watched.watchers) {
        if (!watcher.allowed()) {
          watched.watchers.delete(watcher);
          watcher.close();
        }
      }
      if (watched.watchers.size === 0) this.classes.delete(id);
      else this.update(id);
    }
  }

  private update(classId: number): void {
    const watched = this.classes.get(classId);
    if (!watched) return;
    const dashboard = this.safeBuild(classId);
    if (!dashboard) return;
    const print = fingerprint(dashboard);
    if (print === watched.last) return;
    watched.last = print;
    for (const watcher of watched.watchers) watcher.send({ type: 'dashboard', dashboard });
  }

  private safeBuild(classId: number): ClassDashboard | undefined {
    try {
      return this.build(classId);
    } catch (error) {
      this.log(`the dashboard of class ${classId} could not be built: ${(error as Error).message}`);
      return undefined;
    }
  }
}

function fingerprint(dashboard: ClassDashboard): string {
  return JSON.stringify({ ...dashboard, at: 0 });
}
