/**
 * The class dashboard's words for what the server reports: what a learner is doing, their
 * sandbox, why they are stuck, how long ago something happened. Pure functions, so they are
 * tested without a browser.
 */
import type {
  DashboardLearner,
  GridCell,
  LearnerActivity,
  StuckReason,
} from '../shared/classroom-api.js';

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st… */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th');
  return `${n}${suffix}`;
}

export function activityText(activity: LearnerActivity): string {
  switch (activity.state) {
    case 'editing':
      return 'editing';
    case 'compiling':
      return 'compiling';
    case 'running':
      return 'running a probe';
    case 'checking':
      return 'checking';
    case 'idle':
      return activity.idleMinutes === undefined ? 'idle' : `idle ${activity.idleMinutes} min`;
    case 'offline':
      return 'offline';
  }
}

export function sandboxText(activity: LearnerActivity): string {
  switch (activity.sandbox) {
    case 'running':
      return 'running';
    case 'starting':
      return 'starting';
    case 'queued':
      return activity.queuePlace === undefined
        ? 'waiting for a sandbox'
        : `waiting, ${ordinal(activity.queuePlace)} in line`;
    case 'none':
      return 'none';
  }
}

export const STUCK_LABELS: Record<StuckReason, string> = {
  'hand-raised': 'Hand raised',
  'failing-checks': 'Checks failing',
  'failing-runs': 'Runs failing',
  'long-on-lesson': 'Long on one lesson',
};

export const CELL_LABELS: Record<GridCell, string> = {
  done: 'done',
  attempted: 'attempted',
  'not-started': 'not started',
};

/** "just now", "4 min ago", "2 h ago". */
export function ago(at: number, now: number): string {
  const minutes = Math.floor(Math.max(0, now - at) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.floor(minutes / 60)} h ago`;
}

/** The learner's progress bar's fill, 0–100. */
export function progressPercent(learner: Pick<DashboardLearner, 'lessonsDone' | 'lessonsTotal'>) {
  if (learner.lessonsTotal <= 0) return 0;
  return Math.round(
    (100 * Math.min(learner.lessonsDone, learner.lessonsTotal)) / learner.lessonsTotal,
  );
}

/** The first line of an error, short enough for a table cell (the cell's title has it all). */
export function firstLine(text: string, max = 120): string {
  const line = text.split(/\r?\n/, 1)[0]?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
