/**
 * Files into the sandbox: learner files under /root (the shell's home), scratch files under
 * /tmp. Names are plain (no directories), as the agent's schema requires.
 */
import { randomUUID } from 'node:crypto';
import type { AgentConnection } from '../agent-connection.js';
import { LIMITS } from '../limits.js';

const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const WRITE_TIMEOUT_MS = 30_000;

export async function writeFiles(
  agent: AgentConnection,
  files: Record<string, string>,
): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    if (!FILE_NAME.test(name)) throw new Error(`"${name}" is not a plain file name`);
    await writeSandboxFile(agent, `/root/${name}`, text);
  }
}

export function writeSandboxFile(
  agent: AgentConnection,
  path: string,
  text: string,
): Promise<void> {
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      off();
      offClose();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => done(new Error(`no answer writing ${path} within ${WRITE_TIMEOUT_MS / 1000} s`)),
      WRITE_TIMEOUT_MS,
    );
    const off = agent.onMessage((m) => {
      if (m.type === 'file-written' && m.id === id) done();
      else if (m.type === 'error' && m.id === id && m.code === 'no-space') done(filesFull(path));
      else if (m.type === 'error' && m.id === id)
        done(new Error(`could not write ${path}: ${m.message}`));
    });
    const offClose = agent.onClose((reason) => done(new Error(`the sandbox is gone: ${reason}`)));
    agent.send({ type: 'write-file', id, path, data: Buffer.from(text).toString('base64') });
  });
}

/** What a learner reads when a save finds the sandbox's files budget used up. */
function filesFull(path: string): Error {
  const { value, unit } = LIMITS.sandboxFilesMiB;
  return new Error(
    `${path} could not be saved: the sandbox's files are full (${value} ${unit}, ` +
      'sandboxFilesMiB, shared by /tmp, /dev/shm, /run and every file written in the sandbox). ' +
      'Delete some with rm in the shell, or press Reset sandbox.',
  );
}
