/**
 * Who is the instructor: whoever holds the secret of the instructor link (`/teach#<secret>`).
 * The page posts the secret once (from the URL fragment, which browsers never send to the
 * server, so it appears in no request line or log) and gets a session cookie back; from then
 * on the cookie is the instructor's key. Both the secret and the sessions are kept as SHA-256
 * only (see secret-token.ts).
 *
 * A new link replaces the secret: the old link stops working, and browsers already signed in
 * stay signed in unless the new link is made with `signOutEveryone` (a link that leaked, say
 * on the projector).
 */
import type { LabDatabase } from '../db/database.js';
import { hashSecret, looksLikeSecret, newSecret, sameHash } from './secret-token.js';

/** How long an instructor stays signed in: a course of weekly classes signs in again weekly. */
export const INSTRUCTOR_SESSION_MS = 8 * 86_400_000;

export interface InstructorSignIn {
  /** The session cookie's value. */
  sessionId: string;
  maxAgeMs: number;
}

export class InstructorAuth {
  constructor(
    private readonly db: LabDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh secret for the instructor link, replacing the previous one. */
  newLinkSecret(options: { signOutEveryone?: boolean } = {}): string {
    const secret = newSecret();
    this.db.transaction(() => {
      this.db.run(
        `INSERT INTO instructor_secret (id, token_hash, created_at) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
        hashSecret(secret),
        this.now(),
      );
      if (options.signOutEveryone) this.db.run('DELETE FROM instructor_sessions');
    });
    return secret;
  }

  /** A new instructor session for the holder of the link's secret; undefined for anything else. */
  signIn(secret: unknown): InstructorSignIn | undefined {
    if (!looksLikeSecret(secret)) return undefined;
    const current = this.db.value<string>('SELECT token_hash FROM instructor_secret WHERE id = 1');
    if (current === undefined || !sameHash(hashSecret(secret), current)) return undefined;
    const sessionId = newSecret();
    const now = this.now();
    this.db.transaction(() => {
      // Expired sessions go when a new one comes: the table stays as small as its use.
      this.db.run('DELETE FROM instructor_sessions WHERE expires_at <= ?', now);
      this.db.run(
        'INSERT INTO instructor_sessions (id_hash, created_at, expires_at) VALUES (?, ?, ?)',
        hashSecret(sessionId),
        now,
        now + INSTRUCTOR_SESSION_MS,
      );
    });
    return { sessionId, maxAgeMs: INSTRUCTOR_SESSION_MS };
  }

  /** Whether a session cookie's value is a live instructor session. */
  isInstructor(sessionId: string | undefined): boolean {
    if (!looksLikeSecret(sessionId)) return false;
    const expiresAt = this.db.value<number>(
      'SELECT expires_at FROM instructor_sessions WHERE id_hash = ?',
      hashSecret(sessionId),
    );
    return expiresAt !== undefined && expiresAt > this.now();
  }

  signOut(sessionId: string | undefined): void {
    if (!looksLikeSecret(sessionId)) return;
    this.db.run('DELETE FROM instructor_sessions WHERE id_hash = ?', hashSecret(sessionId));
  }
}

/** The link the instructor opens: the secret rides in the fragment, never sent to the server. */
export function instructorLink(baseUrl: string, secret: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/teach#${secret}`;
}
