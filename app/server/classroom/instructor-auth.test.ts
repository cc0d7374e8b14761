import { describe, expect, it } from 'vitest';
import { useTempDatabase } from '../../../test/temp-database.js';
import { INSTRUCTOR_SESSION_MS, InstructorAuth, instructorLink } from './instructor-auth.js';

const tempDatabase = useTempDatabase();

describe('instructor sign-in', () => {
  it('signs in the holder of the link secret, keeping only hashes', () => {
    const { db } = tempDatabase();
    const auth = new InstructorAuth(db);
    const secret = auth.newLinkSecret();
    const signIn = auth.signIn(secret);
    expect(signIn?.maxAgeMs).toBe(INSTRUCTOR_SESSION_MS);
    expect(auth.isInstructor(signIn?.sessionId)).toBe(true);
    const stored = JSON.stringify([
      db.all('SELECT * FROM instructor_secret'),
      db.all('SELECT * FROM instructor_sessions'),
    ]);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(signIn?.sessionId);
  });

  it('refuses anything but the current secret', () => {
    const { db } = tempDatabase();
    const auth = new InstructorAuth(db);
    expect(auth.signIn('x'.repeat(43))).toBeUndefined(); // no secret made yet
    const secret = auth.newLinkSecret();
    for (const wrong of [`${secret.slice(0, -1)}A`, '', undefined, 42, secret.toUpperCase()]) {
      if (wrong !== secret) expect(auth.signIn(wrong)).toBeUndefined();
    }
    expect(auth.isInstructor(undefined)).toBe(false);
    expect(auth.isInstructor(secret)).toBe(false); // the link's secret is not a session
  });

  it('a new link ends the old one; signed-in browsers stay unless told to sign out', () => {
    const { db } = tempDatabase();
    const auth = new InstructorAuth(db);
    const old = auth.newLinkSecret();
    const session = auth.signIn(old)?.sessionId;
    const fresh = auth.newLinkSecret();
    expect(auth.signIn(old)).toBeUndefined();
    expect(auth.isInstructor(session)).toBe(true);
    auth.newLinkSecret({ signOutEveryone: true });
    expect(auth.isInstructor(session)).toBe(false);
    expect(auth.signIn(fresh)).toBeUndefined();
  });

  it('sessions expire, outlive a restart, and sign out', () => {
    const temp = tempDatabase();
    let now = 1_000_000;
    const auth = new InstructorAuth(temp.db, () => now);
    const session = auth.signIn(auth.newLinkSecret())?.sessionId;
    const again = new InstructorAuth(temp.reopen(), () => now);
    expect(again.isInstructor(session)).toBe(true);
    now += INSTRUCTOR_SESSION_MS;
    expect(again.isInstructor(session)).toBe(false);
    now -= 1;
    expect(again.isInstructor(session)).toBe(true);
    again.signOut(session);
    expect(again.isInstructor(session)).toBe(false);
  });

  it('puts the secret in the fragment, which browsers never send', () => {
    expect(instructorLink('http://127.0.0.1:3000/', 'S3CRET')).toBe(
      'http://127.0.0.1:3000/teach#S3CRET',
    );
  });
});
