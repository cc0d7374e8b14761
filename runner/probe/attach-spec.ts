/**
 * The `--attach KIND:TARGET[=FN]` command-line syntax: parse it into the protocol's AttachSpec
 * and print an AttachSpec back in the same syntax.
 *
 * Parsing is stricter than the protocol schema (which only bounds the target's length) so a
 * typo is reported here, with the expected form, instead of as an attach failure inside the VM.
 */
import { AttachKind, type AttachSpec } from '../protocol/messages.js';

/** The kinds the protocol knows, in its order; error messages list them. */
export const ATTACH_KINDS: readonly AttachKind[] = AttachKind.options;

/** Same bound as the protocol schema, so a parsed spec always passes validation. */
export const MAX_ATTACH_NAME_LENGTH = 128;

const EXPECTED_FORM =
  'expected KIND:TARGET[=FN], e.g. kprobe:clone or tracepoint:syscalls:sys_enter_execve';

// Dots are allowed because the compiler emits local kernel symbols such as `foo.isra.0`.
const KERNEL_FUNCTION = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const TRACEPOINT_PART = /^[A-Za-z0-9_]+$/;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Echoing the learner's input keeps the message actionable, but a pasted blob must not flood it.
const MAX_ECHO_LENGTH = 80;

export class AttachSpecError extends Error {
  override name = 'AttachSpecError';
}

function quote(text: string): string {
  const shown = text.length > MAX_ECHO_LENGTH ? `${text.slice(0, MAX_ECHO_LENGTH)}...` : text;
  return JSON.stringify(shown);
}

function isAttachKind(kind: string): kind is AttachKind {
  return AttachKind.safeParse(kind).success;
}

/** Parse `KIND:TARGET[=FN]`; throws AttachSpecError naming the problem and the expected form. */
export function parseAttachSpec(text: string): AttachSpec {
  function fail(problem?: string): never {
    const detail = problem === undefined ? '' : `${problem}; `;
    throw new AttachSpecError(`bad --attach ${quote(text)}: ${detail}${EXPECTED_FORM}`);
  }

  const input = text.trim();
  if (input === '') fail('it is empty');

  const colon = input.indexOf(':');
  // The bare form is the most common slip (`--attach kprobe`); the expected form says it all.
  if (colon < 0) fail();

  const kind = input.slice(0, colon);
  if (kind === '') fail('KIND is missing before ":"');
  if (!isAttachKind(kind)) {
    const lower = kind.toLowerCase();
    const hint = isAttachKind(lower) ? ` (did you mean "${lower}"?)` : '';
    fail(`unknown kind ${quote(kind)}${hint}; known kinds: ${ATTACH_KINDS.join(', ')}`);
  }

  const rest = input.slice(colon + 1);
  const parts = rest.split('=');
  if (parts.length > 2) fail('more than one "="');
  const target = parts[0] ?? '';
  const fn = parts[1];

  if (target === '') fail(`no TARGET after "${kind}:"`);
  if (target.length > MAX_ATTACH_NAME_LENGTH) {
    fail(`TARGET is ${target.length} characters long, at most ${MAX_ATTACH_NAME_LENGTH} allowed`);
  }

  if (kind === 'tracepoint') {
    const pieces = target.split(':');
    if (pieces.length !== 2) {
      fail(
        `a tracepoint TARGET is CATEGORY:EVENT (e.g. syscalls:sys_enter_execve), got ${quote(target)}`,
      );
    }
    for (const piece of pieces) {
      if (!TRACEPOINT_PART.test(piece)) {
        fail(
          piece === ''
            ? `a tracepoint TARGET is CATEGORY:EVENT, and one of them is empty in ${quote(target)}`
            : `tracepoint name ${quote(piece)} may only contain letters, digits and "_"`,
        );
      }
    }
  } else if (!KERNEL_FUNCTION.test(target)) {
    fail(
      `${kind} TARGET ${quote(target)} is not a kernel function or syscall name ` +
        '(letters, digits, "_" and ".", not starting with a digit)',
    );
  }

  if (fn === undefined) return { kind, target };
  if (fn === '') fail('no FN after "="');
  if (fn.length > MAX_ATTACH_NAME_LENGTH) {
    fail(`FN is ${fn.length} characters long, at most ${MAX_ATTACH_NAME_LENGTH} allowed`);
  }
  if (!C_IDENTIFIER.test(fn)) fail(`FN ${quote(fn)} is not a C function name`);
  return { kind, target, fn };
}

/** The inverse of parseAttachSpec. */
export function formatAttachSpec(spec: AttachSpec): string {
  return spec.fn ? `${spec.kind}:${spec.target}=${spec.fn}` : `${spec.kind}:${spec.target}`;
}
