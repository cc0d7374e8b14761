import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AgentConnection } from '../agent-connection.js';
import type { AgentMessage, HostMessage } from '../protocol/messages.js';
import { writeFiles } from './files.js';

/** An agent that answers each write-file with `answer(id)`. */
function agentAnswering(answer: (id: string) => AgentMessage): AgentConnection {
  const fromAgent = new PassThrough();
  const toAgent = new PassThrough();
  toAgent.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      const message = JSON.parse(line) as HostMessage;
      if (message.type === 'write-file') {
        fromAgent.write(`${JSON.stringify(answer(message.id))}\n`);
      }
    }
  });
  return new AgentConnection(fromAgent, toAgent);
}

describe('writeFiles', () => {
  it('writes each file under /root', async () => {
    const agent = agentAnswering((id) => ({ type: 'file-written', id }));
    await expect(writeFiles(agent, { 'a.c': 'x', 'b.py': 'y' })).resolves.toBeUndefined();
  });

  it('a full files budget reads as such, with what to do about it', async () => {
    const agent = agentAnswering((id) => ({
      type: 'error',
      id,
      code: 'no-space',
      message: "the sandbox's files are full",
    }));
    const error = await writeFiles(agent, { 'probe.c': 'int x;' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /^\/root\/probe\.c could not be saved: the sandbox's files are full \(256 MiB, sandboxFilesMiB.*Delete some with rm in the shell, or press Reset sandbox\.$/,
    );
  });

  it("any other failure keeps the agent's words", async () => {
    const agent = agentAnswering((id) => ({
      type: 'error',
      id,
      code: 'internal',
      message: 'write-file failed: [Errno 30] Read-only file system',
    }));
    await expect(writeFiles(agent, { 'probe.c': '' })).rejects.toThrow(
      'could not write /root/probe.c: write-file failed: [Errno 30] Read-only file system',
    );
  });

  it('refuses a name with a directory in it before sending anything', async () => {
    const agent = agentAnswering((id) => ({ type: 'file-written', id }));
    await expect(writeFiles(agent, { '../etc/passwd': '' })).rejects.toThrow(
      '"../etc/passwd" is not a plain file name',
    );
  });
});
