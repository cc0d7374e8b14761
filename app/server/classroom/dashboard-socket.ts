/**
 * One instructor page's WebSocket (`/ws/teach`, instructor sessions only): it says which class
 * it watches, and gets that class's dashboard at once and whenever it changes. Every frame is
 * validated; a bad one gets an error reply and the connection goes on.
 */
import type { WebSocket } from 'ws';
import type { TeachServerMessage } from '../../shared/classroom-api.js';
import { TeachClientMessage } from '../../shared/classroom-requests.js';
import { MessageRate } from '../message-rate.js';
import type { DashboardHub } from './dashboard-hub.js';

/** The largest frame the dashboard socket reads: a `watch` is a few dozen bytes. */
export const TEACH_MAX_PAYLOAD = 4 * 1024;
/** A page switches classes now and then; more than this is a script. */
const FRAMES = { perSecond: 2, burst: 10 };
/** WebSocket close code when the instructor session ends (RFC 6455: policy violation). */
const CLOSE_POLICY = 1008;

export function serveDashboardSocket(
  socket: WebSocket,
  hub: DashboardHub,
  allowed: () => boolean,
): void {
  const send = (message: TeachServerMessage) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const watcher = {
    send,
    allowed,
    close: () => socket.close(CLOSE_POLICY, 'instructor session ended'),
  };
  const rate = new MessageRate(FRAMES);
  let unwatch = () => {};

  socket.on('message', (data, isBinary) => {
    if (!rate.take()) return send({ type: 'error', message: 'too many messages: slow down' });
    if (isBinary) return send({ type: 'error', message: 'binary frames are not understood' });
    let value: unknown;
    try {
      value = JSON.parse(String(data));
    } catch (cause) {
      return send({ type: 'error', message: `not JSON: ${(cause as Error).message}` });
    }
    const parsed = TeachClientMessage.safeParse(value);
    if (!parsed.success) {
      return send({ type: 'error', message: `not understood: ${parsed.error.issues[0]?.message}` });
    }
    unwatch();
    unwatch = hub.watch(parsed.data.classId, watcher);
  });
  socket.on('close', () => unwatch());
  socket.on('error', () => socket.terminate());
}
