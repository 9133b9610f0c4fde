import { describe, expect, test } from 'vitest';
import { parseRunArgs, UsageError } from './cli-args.js';

describe('parseRunArgs', () => {
  test('reads the options before -- and keeps the trainer argv after it untouched', () => {
    const args = parseRunArgs(
      ['run', '--server', 'http://s', '--task', 'j1', '--run-dir', '/r', '--attempt', '2', '--no-export', '--', 'yolo', 'train', '--epochs', '3', '--', 'x'],
      {},
    );
    expect(args).toEqual({ server: 'http://s', task: 'j1', runDir: '/r', attempt: 2, noExport: true, flushTimeoutMs: 20_000, shipLogs: false, checkpoints: false, runFiles: false, command: ['yolo', 'train', '--epochs', '3', '--', 'x'] });
  });

  test('takes token, attempt and retry cap from the environment when not given', () => {
    const args = parseRunArgs(['run', '--server', 'http://s', '--task', 'j', '--', 't'], { YOLOOPS_AGENT_TOKEN: 'tok', YOLOOPS_AGENT_ATTEMPT: '3', YOLOOPS_AGENT_RETRY_CAP_MS: '200' });
    expect(args).toMatchObject({ token: 'tok', attempt: 3, retryCapMs: 200 });
  });

  test('--ship-logs and --checkpoints switch on log shipping and checkpoint uploads; the interval comes from the environment', () => {
    const args = parseRunArgs(['run', '--server', 'http://s', '--task', 'j', '--ship-logs', '--checkpoints', '--', 't'], { YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS: '500' });
    expect(args).toMatchObject({ shipLogs: true, checkpoints: true, checkpointIntervalMs: 500 });
    expect(() => parseRunArgs(['run', '--server', 'http://s', '--task', 'j', '--', 't'], { YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS: 'soon' })).toThrow(/YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS/);
  });

  test('--run-files switches on uploads of the run folder and needs --run-dir, naming both flags otherwise', () => {
    expect(parseRunArgs(['run', '--server', 'http://s', '--task', 'j', '--run-dir', 'out', '--run-files', '--', 't'], { YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS: '500' }))
      .toMatchObject({ runDir: 'out', runFiles: true, checkpointIntervalMs: 500 });
    expect(() => parseRunArgs(['run', '--server', 'http://s', '--task', 'j', '--run-files', '--', 't'], {})).toThrow(UsageError);
    expect(() => parseRunArgs(['run', '--server', 'http://s', '--task', 'j', '--run-files', '--', 't'], {})).toThrow(/--run-files needs --run-dir/);
  });

  test.each([
    { name: 'no trainer command', argv: ['run', '--server', 'http://s', '--task', 'j'] },
    { name: 'missing --task', argv: ['run', '--server', 'http://s', '--', 't'] },
    { name: 'unknown option', argv: ['run', '--server', 'http://s', '--task', 'j', '--bogus', '--', 't'] },
    { name: 'unknown command', argv: ['go', '--server', 'http://s', '--task', 'j', '--', 't'] },
    { name: 'attempt 0', argv: ['run', '--server', 'http://s', '--task', 'j', '--attempt', '0', '--', 't'] },
    { name: 'export and no-export', argv: ['run', '--server', 'http://s', '--task', 'j', '--export-cmd', 'x', '--no-export', '--', 't'] },
  ])('UsageError: $name', ({ argv }) => {
    expect(() => parseRunArgs(argv, {})).toThrow(UsageError);
  });
});
