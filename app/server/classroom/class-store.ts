/**
 * Classes and their members, in the lab's database. A class has a join code (unique among the
 * server's classes, drawn again on a clash), an optional ordered list of lessons, and is open
 * (learners can join) or closed. A member is a learner (their cookie) with a display name and
 * the hash of their personal resume secret, which brings their progress back in a browser that
 * lost the cookie. The secret is returned once, when made, and never stored.
 *
 * The instructor never sees a learner's id: it is their cookie, a credential. Members are
 * named by a ref derived from it one way (`memberRef`).
 */
import { createHash } from 'node:crypto';
import type { LabDatabase } from '../db/database.js';
import { newJoinCode } from './join-code.js';
import { hashSecret, looksLikeSecret, newSecret } from './secret-token.js';

/** Codes drawn before giving up: with 8.9 × 10^8 codes, a second clash in a row means a bug. */
const JOIN_CODE_DRAWS = 8;

export interface ClassRecord {
  id: number;
  name: string;
  joinCode: string;
  /** The class's lessons in its order; null: the whole course, in course order. */
  lessons: string[] | null;
  open: boolean;
  createdAt: number;
}

export interface MemberRecord {
  classId: number;
  learnerId: string;
  /** What the instructor's pages call this member (see the module's header). */
  ref: string;
  displayName: string;
  joinedAt: number;
}

interface ClassRow {
  id: number;
  name: string;
  join_code: string;
  lessons: string | null;
  is_open: number;
  created_at: number;
}

interface MemberRow {
  class_id: number;
  learner_id: string;
  display_name: string;
  joined_at: number;
}

const CLASS_COLUMNS = 'id, name, join_code, lessons, is_open, created_at';
const MEMBER_COLUMNS = 'class_id, learner_id, display_name, joined_at';

/** A member's public name for the instructor's pages and API: one way from the learner id. */
export function memberRef(learnerId: string): string {
  return createHash('sha256').update(`ebpf-lab member ${learnerId}`).digest('hex').slice(0, 20);
}

export class ClassStore {
  constructor(
    private readonly db: LabDatabase,
    private readonly now: () => number = Date.now,
    private readonly drawCode: () => string = newJoinCode,
  ) {}

  /** A new, open class. `name` and `lessons` are the caller's to validate. */
  create(name: string, lessons: readonly string[] | null): ClassRecord {
    for (let draw = 1; ; draw++) {
      try {
        const { lastInsertRowid } = this.db.run(
          'INSERT INTO classes (name, join_code, lessons, is_open, created_at) VALUES (?, ?, ?, 1, ?)',
          name,
          this.drawCode(),
          lessons === null ? null : JSON.stringify(lessons),
          this.now(),
        );
        return this.get(Number(lastInsertRowid)) as ClassRecord;
      } catch (error) {
        const clash = (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
        if (!clash || draw >= JOIN_CODE_DRAWS) throw error;
      }
    }
  }

  /** Every class, newest first, with how many learners joined it. */
  list(): (ClassRecord & { memberCount: number })[] {
    return this.db
      .all<ClassRow & { member_count: number }>(
        `SELECT ${CLASS_COLUMNS},
           (SELECT count(*) FROM members m WHERE m.class_id = classes.id) AS member_count
         FROM classes ORDER BY created_at DESC, id DESC`,
      )
      .map((row) => ({ ...toClass(row), memberCount: row.member_count }));
  }

  get(id: number): ClassRecord | undefined {
    const row = this.db.get<ClassRow>(`SELECT ${CLASS_COLUMNS} FROM classes WHERE id = ?`, id);
    return row && toClass(row);
  }

  /** The class with a (normalized) join code, open or not. */
  byCode(code: string): ClassRecord | undefined {
    const row = this.db.get<ClassRow>(
      `SELECT ${CLASS_COLUMNS} FROM classes WHERE join_code = ?`,
      code,
    );
    return row && toClass(row);
  }

  /** Opens (learners can join) or closes a class; undefined when there is no such class. */
  setOpen(id: number, open: boolean): ClassRecord | undefined {
    this.db.run('UPDATE classes SET is_open = ? WHERE id = ?', open ? 1 : 0, id);
    return this.get(id);
  }

  /**
   * Makes the learner a member (or renames a member who joins again) and returns their new
   * resume secret: the previous one, if any, stops working. The class's openness is the
   * caller's to check.
   */
  join(classId: number, learnerId: string, displayName: string): string {
    const secret = newSecret();
    const now = this.now();
    this.db.transaction(() => {
      this.db.run('INSERT OR IGNORE INTO learners (id, created_at) VALUES (?, ?)', learnerId, now);
      this.db.run(
        `INSERT INTO members (class_id, learner_id, display_name, resume_token_hash, joined_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (class_id, learner_id) DO UPDATE SET
           display_name = excluded.display_name,
           resume_token_hash = excluded.resume_token_hash`,
        classId,
        learnerId,
        displayName,
        hashSecret(secret),
        now,
      );
    });
    return secret;
  }

  /** The member a resume secret belongs to, or undefined. */
  resume(secret: unknown): MemberRecord | undefined {
    if (!looksLikeSecret(secret)) return undefined;
    const row = this.db.get<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE resume_token_hash = ?`,
      hashSecret(secret),
    );
    return row && toMember(row);
  }

  /** A fresh resume secret for a member (the instructor re-admitting them); the old one ends. */
  newResumeSecret(classId: number, learnerId: string): string | undefined {
    const secret = newSecret();
    const { changes } = this.db.run(
      'UPDATE members SET resume_token_hash = ? WHERE class_id = ? AND learner_id = ?',
      hashSecret(secret),
      classId,
      learnerId,
    );
    return changes === 1 ? secret : undefined;
  }

  /** The class's members in the order they joined. */
  members(classId: number): MemberRecord[] {
    return this.db
      .all<MemberRow>(
        `SELECT ${MEMBER_COLUMNS} FROM members WHERE class_id = ? ORDER BY joined_at, learner_id`,
        classId,
      )
      .map(toMember);
  }

  /** The member of a class with this ref, or undefined. */
  memberByRef(classId: number, ref: string): MemberRecord | undefined {
    return this.members(classId).find((member) => member.ref === ref);
  }

  /** The classes a learner is in, with their display name in each (newest join first). */
  classesOf(learnerId: string): (ClassRecord & { displayName: string })[] {
    return this.db
      .all<ClassRow & { display_name: string }>(
        `SELECT c.id, c.name, c.join_code, c.lessons, c.is_open, c.created_at, m.display_name
         FROM members m JOIN classes c ON c.id = m.class_id
         WHERE m.learner_id = ? ORDER BY m.joined_at DESC, c.id DESC`,
        learnerId,
      )
      .map((row) => ({ ...toClass(row), displayName: row.display_name }));
  }

  /** The ids of the classes a learner is in. */
  classIdsOf(learnerId: string): number[] {
    return this.db
      .all<{ class_id: number }>('SELECT class_id FROM members WHERE learner_id = ?', learnerId)
      .map((row) => row.class_id);
  }
}

function toClass(row: ClassRow): ClassRecord {
  return {
    id: row.id,
    name: row.name,
    joinCode: row.join_code,
    lessons: row.lessons === null ? null : (JSON.parse(row.lessons) as string[]),
    open: row.is_open === 1,
    createdAt: row.created_at,
  };
}

function toMember(row: MemberRow): MemberRecord {
  return {
    classId: row.class_id,
    learnerId: row.learner_id,
    ref: memberRef(row.learner_id),
    displayName: row.display_name,
    joinedAt: row.joined_at,
  };
}
