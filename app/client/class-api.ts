/**
 * The classroom's HTTP API as the pages call it (same origin, so the browser sends the lab's
 * Origin and cookies): JSON in, JSON out, and the server's own words when it refuses. The
 * shapes are declared once in shared/classroom-api.ts and shared/classroom-requests.ts.
 */
import type {
  ClassDashboard,
  ClassSummary,
  InstructorSession,
  JoinReply,
  LearnerClassroom,
  LearnerWork,
  ResumeReply,
} from '../shared/classroom-api.js';
import type {
  BroadcastRequest,
  CreateClassRequest,
  JoinRequest,
  ResumeRequest,
  SignInRequest,
} from '../shared/classroom-requests.js';
import { ApiError } from './api.js';

export type * from '../shared/classroom-api.js';

/** The error a refusal carries (`{error}`), else the status line. */
async function errorOf(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON (a proxy's page, a 503 text): the status says enough
  }
  return `the lab server answered ${response.status} ${response.statusText}`;
}

async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      cache: 'no-store',
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    throw new ApiError(`cannot reach the lab server (${(cause as Error).message})`, 0);
  }
  if (!response.ok) throw new ApiError(await errorOf(response), response.status);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const get = <T>(url: string) => request<T>('GET', url);
const post = <T>(url: string, body: unknown = {}) => request<T>('POST', url, body);

// ------------------------------------------------------------------ learner side

export const joinClass = (body: JoinRequest) => post<JoinReply>('/api/classes/join', body);
export const resume = (body: ResumeRequest) => post<ResumeReply>('/api/resume', body);
export const fetchClassroom = () => get<LearnerClassroom>('/api/classroom');

// ------------------------------------------------------------------ instructor side

export const fetchInstructorSession = () => get<InstructorSession>('/api/instructor/session');
export const signIn = (body: SignInRequest) =>
  post<InstructorSession>('/api/instructor/session', body);
export const signOut = () => request<void>('DELETE', '/api/instructor/session');

export const fetchClasses = () => get<ClassSummary[]>('/api/teach/classes');
export const createClass = (body: CreateClassRequest) =>
  post<ClassSummary>('/api/teach/classes', body);

const classUrl = (id: number) => `/api/teach/classes/${id}`;
const learnerUrl = (id: number, ref: string) =>
  `${classUrl(id)}/learners/${encodeURIComponent(ref)}`;

export const fetchDashboard = (id: number) => get<ClassDashboard>(classUrl(id));
export const setClassOpen = (id: number, open: boolean) =>
  post<ClassSummary>(`${classUrl(id)}/${open ? 'reopen' : 'close'}`);
export const broadcast = (id: number, body: BroadcastRequest) =>
  post<{ reached: number }>(`${classUrl(id)}/broadcast`, body);
export const lowerHand = (id: number, ref: string) =>
  post<void>(`${learnerUrl(id, ref)}/lower-hand`);
export const endSandbox = (id: number, ref: string) =>
  post<{ ended: boolean }>(`${learnerUrl(id, ref)}/end-sandbox`);
export const fetchLearnerWork = (id: number, ref: string) =>
  get<LearnerWork>(`${learnerUrl(id, ref)}/work`);
export const newResumeLink = (id: number, ref: string) =>
  post<{ resumeUrl: string }>(`${learnerUrl(id, ref)}/resume-link`);

/** Where the QR code and the exports of class `id` are. */
export const classFiles = (id: number) => ({
  qr: `${classUrl(id)}/qr.svg`,
  csv: `${classUrl(id)}/export.csv`,
  json: `${classUrl(id)}/export.json`,
});
