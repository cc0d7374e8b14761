/**
 * The course as a class member sees it: a class that names its lessons puts those first, in the
 * instructor's order, and Previous/Next walk that order; the rest of the course stays reachable
 * below them. A learner in no class, or in a class of the whole course, sees the course order.
 */

export interface LearnerCourseOrder {
  /** The lessons to take, in order. */
  lessons: string[];
  /** The course's other lessons, in course order (empty unless a class names its lessons). */
  others: string[];
}

/**
 * `course`: every lesson id in course order; `classLessons`: the learner's class's list (null:
 * the whole course, or no class). Ids the course no longer has are left out.
 */
export function learnerCourseOrder(
  course: readonly string[],
  classLessons: readonly string[] | null,
): LearnerCourseOrder {
  if (classLessons === null) return { lessons: [...course], others: [] };
  const known = new Set(course);
  const lessons = classLessons.filter((id) => known.has(id));
  const chosen = new Set(lessons);
  return { lessons, others: course.filter((id) => !chosen.has(id)) };
}

/** The lessons before and after `id` in the order it is taken in (class first, then the rest). */
export function neighbours(
  order: LearnerCourseOrder,
  id: string,
): { prev: string | null; next: string | null } {
  const list = order.lessons.includes(id) ? order.lessons : order.others;
  const index = list.indexOf(id);
  if (index < 0) return { prev: null, next: null };
  return { prev: list[index - 1] ?? null, next: list[index + 1] ?? null };
}
