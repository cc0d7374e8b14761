/**
 * One browser tab's WebSocket: validates every frame (an unknown, malformed or oversized one
 * gets an error reply and the connection goes on), bounds how many it takes a second, hands
 * valid messages to the learner's session, and owns the tab's flow-controlled terminal streams.
 */
import type { WebSocket } from 'ws';
import { LIMITS } from '../../runner/limits.js';
import {
  MAX_CLIENT_MESSAGE_BYTES,
  parseClientMessage,
  type ServerMessage,
  WEB_PROTOCOL_VERSION,
} from '../shared/protocol.js';
import { MessageRate } from './message-rate.js';
import { OutputStream } from './output-stream.js';
import type { LearnerSession, SessionClient } from './session.js';

/** Over its rate, a tab's frames this small are still read, for their acknowledgements only. */
const ACK_SIZED_FRAME = 128;
/** WebSocket close code for a tab that kept flooding (RFC 6455: policy violation). */
const CLOSE_POLICY = 1008;

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
      backlog: () => socket.bufferedAmount,
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
      backlog: () => socket.bufferedAmount,
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

  const rate = new MessageRate({
    perSecond: LIMITS.tabMessagesPerSecond.value,
    burst: LIMITS.tabMessageBurst.value,
  });
  let refused = 0;
  let lastRefusalNote = 0;
  /** Counts a frame over the rate; tells the tab at most once a second; closes a flooder. */
  const refuse = () => {
    refused++;
    if (refused >= LIMITS.tabRefusedMessages.value) {
      socket.close(CLOSE_POLICY, 'too many messages');
      return;
    }
    if (performance.now() - lastRefusalNote < 1000) return;
    lastRefusalNote = performance.now();
    send({
      type: 'error',
      code: 'limit',
      message: `This tab sent more than ${LIMITS.tabMessagesPerSecond.value} messages a second: the extra ones were ignored (tabMessagesPerSecond).`,
    });
  };

  socket.on('message', (data, isBinary) => {
    const size = Array.isArray(data)
      ? data.reduce((n, b) => n + b.length, 0)
      : (data as Buffer).byteLength;
    const overRate = !rate.take();
    if (overRate) {
      refuse();
      // Acknowledgements keep the tab's output flowing, so they are still honoured.
      if (isBinary || size > ACK_SIZED_FRAME) return;
      const parsed = parseClientMessage(String(data));
      if (parsed.ok && parsed.message.type === 'ack') {
        streams[parsed.message.stream].ack(parsed.message.bytes);
      }
      return;
    }
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
