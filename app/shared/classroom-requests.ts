/**
 * What the browser sends the classroom's API and the dashboard socket, as zod schemas: the
 * server validates every body and frame with them; the client imports the types only.
 */
import { z } from 'zod';

const LessonId = z.string().regex(/^[a-z0-9-]{1,80}$/);

/** `POST /api/instructor/session`: the secret from the instructor link's fragment. */
export const SignInRequest = z.strictObject({ secret: z.string().max(200) });
export type SignInRequest = z.infer<typeof SignInRequest>;

/** `POST /api/teach/classes`. Names are checked further by the server (typed-name.ts). */
export const CreateClassRequest = z.strictObject({
  name: z.string().max(1000),
  /** In the class's order; left out: the whole course. */
  lessons: z.array(LessonId).min(1).max(200).optional(),
});
export type CreateClassRequest = z.infer<typeof CreateClassRequest>;

/** `POST /api/teach/classes/:id/broadcast`. */
export const BroadcastRequest = z.strictObject({ text: z.string().max(2000) });
export type BroadcastRequest = z.infer<typeof BroadcastRequest>;

/** `POST /api/classes/join`. */
export const JoinRequest = z.strictObject({
  code: z.string().max(40),
  name: z.string().max(1000),
});
export type JoinRequest = z.infer<typeof JoinRequest>;

/** `POST /api/resume`: the secret from the resume link's fragment. */
export const ResumeRequest = z.strictObject({ secret: z.string().max(200) });
export type ResumeRequest = z.infer<typeof ResumeRequest>;

/** The dashboard socket (`/ws/teach`), browser → server: which class to watch. */
export const TeachClientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('watch'), classId: z.number().int().positive() }),
]);
export type TeachClientMessage = z.infer<typeof TeachClientMessage>;
