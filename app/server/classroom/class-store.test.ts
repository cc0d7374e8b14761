import { describe, expect, it } from 'vitest';
import { useTempDatabase } from '../../../test/temp-database.js';
import { ClassStore, memberRef } from './class-store.js';
import { hashSecret } from './secret-token.js';

const tempDatabase = useTempDatabase();
const ADA = 'a'.repeat(32);
const BOB = 'b'.repeat(32);

describe('the class store', () => {
  it('creates open classes with a join code, drawing again on a clash', () => {
    const { db } = tempDatabase();
    const codes = ['AAAAAA', 'AAAAAA', 'BBBBBB'];
    const store = new ClassStore(
      db,
      () => 1000,
      () => codes.shift() as string,
    );
    const monday = store.create('Monday', null);
    const tuesday = store.create('Tuesday', ['02-verifier', '01-hello']);
    expect(monday).toEqual({
      id: monday.id,
      name: 'Monday',
      joinCode: 'AAAAAA',
      lessons: null,
      open: true,
      createdAt: 1000,
    });
    expect(tuesday.joinCode).toBe('BBBBBB');
    expect(tuesday.lessons).toEqual(['02-verifier', '01-hello']);
    expect(store.byCode('BBBBBB')?.id).toBe(tuesday.id);
  });

  it('gives up after a few clashes in a row rather than loop', () => {
    const { db } = tempDatabase();
    const store = new ClassStore(db, Date.now, () => 'AAAAAA');
    store.create('one', null);
    expect(() => store.create('two', null)).toThrow(/UNIQUE/);
  });

  it('closes and reopens a class', () => {
    const { db } = tempDatabase();
    const store = new ClassStore(db);
    const { id } = store.create('Monday', null);
    expect(store.setOpen(id, false)?.open).toBe(false);
    expect(store.setOpen(id, true)?.open).toBe(true);
    expect(store.setOpen(999, true)).toBeUndefined();
  });

  it('joins learners, keeping only the hash of their resume secret', () => {
    const { db } = tempDatabase();
    const store = new ClassStore(db, () => 5);
    const { id } = store.create('Monday', null);
    const secret = store.join(id, ADA, 'Ada');
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = db.all('SELECT * FROM members');
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored[0]).toMatchObject({ resume_token_hash: hashSecret(secret), display_name: 'Ada' });
    expect(db.value('SELECT count(*) FROM learners WHERE id = ?', ADA)).toBe(1);
    expect(store.resume(secret)).toEqual({
      classId: id,
      learnerId: ADA,
      ref: memberRef(ADA),
      displayName: 'Ada',
      joinedAt: 5,
    });
    expect(store.list()[0]?.memberCount).toBe(1);
  });

  it('a learner who joins again is renamed and gets a new resume secret; the old one ends', () => {
    const { db } = tempDatabase();
    const store = new ClassStore(db);
    const { id } = store.create('Monday', null);
    const first = store.join(id, ADA, 'Ada');
    const second = store.join(id, ADA, 'Ada L.');
    expect(store.resume(first)).toBeUndefined();
    expect(store.resume(second)?.displayName).toBe('Ada L.');
    expect(store.members(id)).toHaveLength(1);
  });

  it('a resume secret brings back its own member only', () => {
    const { db } = tempDatabase();
    const store = new ClassStore(db);
    const { id } = store.create('Monday', null);
    const ada = store.join(id, ADA, 'Ada');
    const bob = store.join(id, BOB, 'Bob');
    expect(store.resume(ada)?.learnerId).toBe(ADA);
    expect(store.resume(bob)?.learnerId).toBe(BOB);
    expect(store.resume(`${ada.slice(0, -1)}x`)).toBeUndefined();
    expect(store.resume('not a secret')).toBeUndefined();
    expect(store.resume(undefined)).toBeUndefined();
  });

  it('names members by a ref that is not their learner id; the instructor can re-admit one', () => {
    const { db } = tempDatabase();
    const store = new ClassStore(db);
    const { id } = store.create('Monday', null);
    const old = store.join(id, ADA, 'Ada');
    const ref = memberRef(ADA);
    expect(ref).not.toContain(ADA);
    expect(ref).toMatch(/^[0-9a-f]{20}$/);
    expect(store.memberByRef(id, ref)?.learnerId).toBe(ADA);
    expect(store.memberByRef(id, memberRef(BOB))).toBeUndefined();
    const fresh = store.newResumeSecret(id, ADA) as string;
    expect(store.resume(old)).toBeUndefined();
    expect(store.resume(fresh)?.learnerId).toBe(ADA);
    expect(store.newResumeSecret(id, BOB)).toBeUndefined();
  });

  it('lists the classes a learner is in, and keeps everything across a reopen', () => {
    const temp = tempDatabase();
    const store = new ClassStore(temp.db);
    const monday = store.create('Monday', null);
    const tuesday = store.create('Tuesday', null);
    store.join(monday.id, ADA, 'Ada');
    store.join(tuesday.id, ADA, 'Ada T');
    store.setOpen(tuesday.id, false);
    const again = new ClassStore(temp.reopen());
    expect(
      again
        .classesOf(ADA)
        .map((c) => [c.name, c.displayName, c.open])
        .sort(),
    ).toEqual([
      ['Monday', 'Ada', true],
      ['Tuesday', 'Ada T', false],
    ]);
    expect(again.classIdsOf(BOB)).toEqual([]);
  });
});
