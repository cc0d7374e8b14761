/**
 * One browser tab's WebSocket: validates every frame (an unknown, malformed or oversized one
 * gets an error reply and the connection goes on), hands valid messages to the learner's
 * session, and owns the tab's flow-controlled terminal streams.
 */
import type { WebSocket } from 'ws';
import {
  MAX_CLIENT_MESSAGE_BYTES,
  parseClientMessage,
  type ServerMessage,
  WEB_PROTOCOL_VERSION,
} from '../shared/protocol.js';
import { OutputStream } from './output-stream.js';
import type { LearnerSession, SessionClient } from './session.js';

export function serveConnection(
  socket: WebSocket,
  session: LearnerSession,
  sourceLimitBytes: number,
): void {
  const send = (message: ServerMessage) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const streams = {
    trace: new OutputStream({
      data: (data) => send({ type: 'trace', data }),
      truncated: (droppedBytes) =>
        send({
          type: 'truncated',
          stream: 'trace',
          droppedBytes,
          reason: 'the tab could not keep up',
        }),
    }),
    shell: new OutputStream({
      data: (data) => send({ type: 'shell-output', data }),
      truncated: (droppedBytes) =>
        send({
          type: 'truncated',
          stream: 'shell',
          droppedBytes,
          reason: 'the tab could not keep up',
        }),
    }),
  };
  const client: SessionClient = {
    send,
    output: (stream, text) => streams[stream].write(text),
  };

  send({
    type: 'hello',
    protocolVersion: WEB_PROTOCOL_VERSION,
    sessionId: session.id,
    sourceLimitBytes,
  });
  session.attach(client);

  socket.on('message', (data, isBinary) => {
    const size = Array.isArray(data)
      ? data.reduce((n, b) => n + b.length, 0)
      : (data as Buffer).byteLength;
    if (isBinary) {
      send({
        type: 'error',
        code: 'malformed',
        message: 'binary frames are not part of the protocol',
      });
      return;
    }
    if (size > MAX_CLIENT_MESSAGE_BYTES) {
      send({
        type: 'error',
        code: 'too-large',
        message: `message of ${size} bytes refused: at most ${MAX_CLIENT_MESSAGE_BYTES} bytes`,
      });
      return;
    }
    const parsed = parseClientMessage(String(data));
    if (!parsed.ok) {
      send({ type: 'error', code: parsed.code, message: parsed.error });
      return;
    }
    if (parsed.message.type === 'ack') {
      streams[parsed.message.stream].ack(parsed.message.bytes);
      return;
    }
    void session.handle(parsed.message, client);
  });
  socket.on('close', () => {
    streams.trace.dispose();
    streams.shell.dispose();
    session.detach(client);
  });
  socket.on('error', () => socket.terminate());
}
