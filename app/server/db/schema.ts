/**
 * The lab database's schema, as the ordered list of migrations that build it. The database
 * records how many it has applied (`PRAGMA user_version`); opening it applies the rest, each in
 * its own transaction. A migration, once released, never changes: a new need is a new
 * migration at the end of the list.
 *
 * Conventions: times are milliseconds since the Unix epoch (`Date.now()`); every table is
 * STRICT (a value of the wrong type is an error, not silently stored); a learner's id is their
 * learner cookie's (32 hex digits); a lesson's id is its folder name (`01-hello-world`), kept
 * as text rather than a foreign key, because lessons live on disk and can be renamed or removed
 * while their history stays.
 */

export interface Migration {
  /** 1 for the first, then 2, 3… in list order. */
  version: number;
  /** What it does, for error messages. */
  name: string;
  /** One or more statements, run in one transaction. */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'learners, classes, members, progress, events, hand raises',
    sql: `
      -- Everyone who has used the lab, self-paced or in a class.
      CREATE TABLE learners (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- A class an instructor runs (Monday's group, Tuesday's group): learners join it with its
      -- code while it is open.
      CREATE TABLE classes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        join_code TEXT NOT NULL UNIQUE,
        -- The class's lesson ids in its order, a JSON array; NULL: the whole course, in course
        -- order (lessons added later are included).
        lessons TEXT CHECK (lessons IS NULL OR (json_valid(lessons) AND json_type(lessons) = 'array')),
        is_open INTEGER NOT NULL DEFAULT 1 CHECK (is_open IN (0, 1)),
        created_at INTEGER NOT NULL
      ) STRICT;

      -- A learner in a class. The display name belongs here, not to the learner: it is what
      -- this class's instructor sees.
      CREATE TABLE members (
        class_id INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
        learner_id TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
        display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
        -- SHA-256 (hex) of the secret in the member's personal resume link, which brings their
        -- progress back in another browser. The link is shown to them once and never stored.
        resume_token_hash TEXT NOT NULL UNIQUE,
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (class_id, learner_id)
      ) STRICT;
      CREATE INDEX members_by_learner ON members (learner_id);

      -- Where a learner is in each lesson; no row means "new". Moves forward only.
      CREATE TABLE progress (
        learner_id TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
        lesson_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('started', 'done')),
        -- NULL for progress imported from progress.json, which kept no times.
        started_at INTEGER,
        -- When every check of the lesson first passed; NULL until then, and when imported.
        first_done_at INTEGER,
        CHECK ((state = 'done') OR (first_done_at IS NULL)),
        PRIMARY KEY (learner_id, lesson_id)
      ) STRICT, WITHOUT ROWID;

      -- Each Run and Check a learner made: the dashboard's last outcome and counts, the stuck
      -- rule's input, the export's runs and checks.
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
        lesson_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('run', 'check')),
        -- A run: 'attached', or the error kind of runner/protocol (compile, verifier, attach,
        -- limit, internal), validated in code so that a new kind needs no migration.
        -- A check: 'passed' (every check of the lesson) or 'failed'.
        outcome TEXT NOT NULL,
        -- The error's first line (compiler, verifier, failed check), for the dashboard.
        first_error_line TEXT,
        -- A check: how many of the lesson's checks passed, of how many.
        checks_passed INTEGER,
        checks_total INTEGER,
        at INTEGER NOT NULL,
        CHECK (
          (kind = 'run' AND checks_passed IS NULL AND checks_total IS NULL)
          OR (kind = 'check' AND outcome IN ('passed', 'failed')
              AND checks_passed BETWEEN 0 AND checks_total)
        )
      ) STRICT;
      CREATE INDEX events_by_learner ON events (learner_id, lesson_id, at);

      -- "Raise hand" in the lab: up until the learner lowers it or the instructor does.
      CREATE TABLE hand_raises (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
        -- The lesson the learner was on when they raised it.
        lesson_id TEXT,
        raised_at INTEGER NOT NULL,
        lowered_at INTEGER,
        lowered_by TEXT CHECK (lowered_by IN ('learner', 'instructor')),
        CHECK ((lowered_at IS NULL) = (lowered_by IS NULL))
      ) STRICT;
      -- At most one hand up per learner.
      CREATE UNIQUE INDEX hand_raises_up ON hand_raises (learner_id) WHERE lowered_at IS NULL;
    `,
  },
  {
    version: 2,
    name: 'instructor secret and sessions, time spent on lessons, the lab address',
    sql: `
      -- The secret in the instructor link (/teach#<token>), as SHA-256 (hex): one row, replaced
      -- by each new link (serve makes one at every start; so does ebpf-lab instructor-link).
      CREATE TABLE instructor_secret (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        token_hash TEXT NOT NULL CHECK (length(token_hash) = 64),
        created_at INTEGER NOT NULL
      ) STRICT;

      -- Browsers signed in as the instructor: SHA-256 (hex) of their session cookie's value, so
      -- a copy of the database does not sign anyone in. They outlive a restart of the lab.
      CREATE TABLE instructor_sessions (
        id_hash TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- Time a learner spent on a lesson (the export's "time spent"): the gaps between their
      -- actions on it, each gap counted only when short enough to be work, not time away (the
      -- stuck rule's ACTIVE_GAP_MS). Added to by the server every few seconds.
      CREATE TABLE lesson_time (
        learner_id TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
        lesson_id TEXT NOT NULL,
        active_ms INTEGER NOT NULL CHECK (active_ms >= 0),
        last_active_at INTEGER NOT NULL,
        PRIMARY KEY (learner_id, lesson_id)
      ) STRICT, WITHOUT ROWID;

      -- Where the lab was last served (the address an instructor opens), so that
      -- ebpf-lab instructor-link, run beside the server, prints a link that works.
      CREATE TABLE lab_address (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        url TEXT NOT NULL,
        at INTEGER NOT NULL
      ) STRICT;
    `,
  },
]);
