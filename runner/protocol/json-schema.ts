/**
 * The host messages as JSON Schema, generated from the zod declarations, so the Python guest
 * agent validates against the same single source of truth. Written into the guest image.
 */
import { z } from 'zod';
import { LAB_TASKS } from './lab-tasks.js';
import { HostMessage, PROTOCOL_VERSION } from './messages.js';

export interface ProtocolDescription {
  protocolVersion: number;
  hostMessage: unknown;
  /** The names the agent and the BCC worker give themselves (see LAB_TASKS). */
  labTasks: typeof LAB_TASKS;
}

export function protocolDescription(): ProtocolDescription {
  return {
    protocolVersion: PROTOCOL_VERSION,
    hostMessage: z.toJSONSchema(HostMessage),
    labTasks: LAB_TASKS,
  };
}
