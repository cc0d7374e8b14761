import { describe, expect, it } from 'vitest';
import { learnerCourseOrder, neighbours } from './course-order.js';

const COURSE = ['01', '02', '03', '04', '05'];

describe('learnerCourseOrder', () => {
  it('is the course order without a class, or for a class of the whole course', () => {
    expect(learnerCourseOrder(COURSE, null)).toEqual({ lessons: COURSE, others: [] });
  });

  it("puts a class's lessons first in the instructor's order, the rest after in course order", () => {
    expect(learnerCourseOrder(COURSE, ['04', '01', '03'])).toEqual({
      lessons: ['04', '01', '03'],
      others: ['02', '05'],
    });
  });

  it('leaves out lessons the course no longer has', () => {
    expect(learnerCourseOrder(COURSE, ['09', '02'])).toEqual({
      lessons: ['02'],
      others: ['01', '03', '04', '05'],
    });
  });
});

describe('neighbours', () => {
  const order = learnerCourseOrder(COURSE, ['04', '01', '03']);

  it("walks the class's order for its lessons", () => {
    expect(neighbours(order, '04')).toEqual({ prev: null, next: '01' });
    expect(neighbours(order, '01')).toEqual({ prev: '04', next: '03' });
    expect(neighbours(order, '03')).toEqual({ prev: '01', next: null });
  });

  it('walks the other lessons among themselves', () => {
    expect(neighbours(order, '02')).toEqual({ prev: null, next: '05' });
    expect(neighbours(order, '05')).toEqual({ prev: '02', next: null });
  });

  it('has no neighbours for an unknown lesson', () => {
    expect(neighbours(order, '42')).toEqual({ prev: null, next: null });
  });
});
