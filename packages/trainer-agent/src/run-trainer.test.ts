import { describe, expect, test } from 'vitest';
import { describeMissingProgram } from '@yoloops/core';
import { decideOutcome } from './run-trainer.js';

describe('decideOutcome', () => {
  test.each([
    { name: 'exit 0 → completed', result: { exitCode: 0 }, stop: undefined, want: { status: 'completed', exitCode: 0 } },
    { name: 'a forwarded stop wins over exit 0', result: { exitCode: 0 }, stop: 'SIGTERM', want: { status: 'stopped', message: 'Training stopped by request (SIGTERM)', exitCode: 0 } },
    { name: 'stopped child killed by the signal exits 143', result: { signal: 'SIGTERM' }, stop: 'SIGTERM', want: { status: 'stopped', message: 'Training stopped by request (SIGTERM)', exitCode: 143 } },
    { name: 'non-zero → failed with the stderr tail', result: { exitCode: 2 }, stop: undefined, want: { status: 'failed', message: 'trainer exited with code 2\nboom', exitCode: 2 } },
    { name: 'killed by someone else → failed', result: { signal: 'SIGKILL' }, stop: undefined, want: { status: 'failed', message: 'trainer killed by SIGKILL\nboom', exitCode: 137 } },
    { name: 'missing program → failed, 127', result: { code: 'ENOENT' }, stop: undefined, want: { status: 'failed', message: `${describeMissingProgram('yolo', 'ENOENT')}\nboom`, exitCode: 127 } },
  ])('$name', ({ result, stop, want }) => {
    expect(decideOutcome(result as never, stop, 'boom', 'yolo')).toEqual(want);
  });

  test('a missing trainer says what to install or configure', () => {
    expect(decideOutcome({ code: 'ENOENT' } as never, undefined, '', 'yolo').message).toMatch(/^could not start "yolo" \(ENOENT\): install Ultralytics.*YOLOOPS_TRAINER_COMMAND/);
  });

  test('the failure message keeps the end of a long stderr tail within 500 characters', () => {
    const outcome = decideOutcome({ exitCode: 1 } as never, undefined, `${'x'.repeat(2000)}THE END`, 'yolo');
    expect(outcome.message).toHaveLength(500);
    expect(outcome.message?.startsWith('trainer exited with code 1\n')).toBe(true);
    expect(outcome.message?.endsWith('THE END')).toBe(true);
  });
});
