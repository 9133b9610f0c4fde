import { describe, expect, test } from 'vitest';
import { UsageError } from '../cli-args.js';
import { parseAgentCommand, parseLabels, parseWorkerArgs } from './worker-args.js';

const base = ['--server', 'http://10.0.0.2:8000', '--redis', 'redis://10.0.0.5:6379'];

describe('parseWorkerArgs', () => {
  test('flags win over the environment; defaults stay unset for the library to fill', () => {
    const parsed = parseWorkerArgs([...base, '--labels', 'gpu=a100, zone=eu', '--concurrency', '2', '--id', 'gpu-box-1'], { YOLOOPS_WORKER_TOKEN: 'tok', YOLOOPS_WORKER_ID: 'other' });
    expect(parsed).toEqual({
      help: false,
      options: { serverUrl: 'http://10.0.0.2:8000', redisUrl: 'redis://10.0.0.5:6379', concurrency: 2, token: 'tok', workerId: 'gpu-box-1', labels: { gpu: 'a100', zone: 'eu' } },
    });
  });

  test('everything can come from the environment', () => {
    const parsed = parseWorkerArgs([], {
      YOLOOPS_SERVER_URL: 'https://yoloops.example', YOLOOPS_REDIS_URL: 'rediss://r.example:6380', YOLOOPS_WORKER_CONCURRENCY: '3',
      YOLOOPS_WORKER_DIR: '/data/w', YOLOOPS_WORKER_AGENT_COMMAND: '["node","/opt/agent/cli.js"]',
    });
    expect(parsed).toEqual({ help: false, options: { serverUrl: 'https://yoloops.example', redisUrl: 'rediss://r.example:6380', concurrency: 3, workDir: '/data/w', agentCommand: ['node', '/opt/agent/cli.js'] } });
  });

  test.each([
    [[], /--server is required/],
    [['--server', 'http://s'], /--redis is required/],
    [['--server', 'ftp://s', '--redis', 'redis://r'], /--server must be a http: or https:\/\/ URL/],
    [['--server', 'http://s', '--redis', 'http://r'], /--redis must be a redis: or rediss:\/\/ URL/],
    [[...base, '--concurrency', '0'], /--concurrency must be an integer 1–64/],
    [[...base, '--id', '../x'], /--id "..\/x"/],
    [[...base, '--labels', 'gpu'], /"gpu" is not key=value/],
    [[...base, '--labels', 'GPU=a100'], /--labels: label keys/],
    [[...base, '--labels', 'gpu=a,gpu=b'], /"gpu" is given twice/],
    [[...base, '--agent-command', 'node cli.js'], /JSON array of strings/],
    [[...base, '--bogus'], /Unknown option '--bogus'/],
  ])('%j is a usage error naming the problem', (argv, message) => {
    expect(() => parseWorkerArgs(argv, {})).toThrow(UsageError);
    expect(() => parseWorkerArgs(argv, {})).toThrow(message);
  });

  test('--help asks for the help text only', () => {
    expect(parseWorkerArgs(['--help'], {})).toEqual({ help: true });
  });

  test('labels and agent commands parse on their own', () => {
    expect(parseLabels('')).toEqual({});
    expect(() => parseLabels('a=1,b=2,c=3,d=4,e=5,f=6,g=7')).toThrow(/at most 6/);
    expect(parseAgentCommand('["yoloops-agent"]')).toEqual(['yoloops-agent']);
    expect(() => parseAgentCommand('[]')).toThrow(UsageError);
  });
});
