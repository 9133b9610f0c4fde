import { DEFAULT_TRAINER_COMMAND } from '@yoloops/core';
import { describe, expect, test } from 'vitest';
import { argvSetting, publicUrlSetting, SettingError, trainingSettings } from './settings.js';

describe('argvSetting', () => {
  test.each([
    { given: '/opt/venv/bin/yolo', want: ['/opt/venv/bin/yolo'] },
    { given: '  python3 train.py data={data} epochs={epochs} ', want: ['python3', 'train.py', 'data={data}', 'epochs={epochs}'] },
    { given: 'python3 /srv/my\\ trainer/train.py', want: ['python3', '/srv/my trainer/train.py'] },
    { given: '["python3", "/srv/my trainer/train.py", "data={data}"]', want: ['python3', '/srv/my trainer/train.py', 'data={data}'] },
    { given: 'echo $(rm -rf /) ; ls', want: ['echo', '$(rm', '-rf', '/)', ';', 'ls'] }, // never a shell: just words
  ])('$given', ({ given, want }) => {
    expect(argvSetting({ X: given }, 'X')).toEqual(want);
  });

  test.each([
    { given: '[1, 2]', message: /X must be a command line or a JSON array of strings/ },
    { given: '[]', message: /X must be a command line or a JSON array of strings/ },
    { given: '["python3",', message: /X starts with "\[" but is not a JSON array of strings/ },
    { given: '[""]', message: /program first/ },
  ])('refuses $given naming the setting', ({ given, message }) => {
    expect(() => argvSetting({ X: given }, 'X')).toThrow(SettingError);
    expect(() => argvSetting({ X: given }, 'X')).toThrow(message);
  });

  test('unset and empty are "not given"', () => {
    expect(argvSetting({}, 'X')).toBeUndefined();
    expect(argvSetting({ X: '  ' }, 'X')).toBeUndefined();
  });
});

describe('trainingSettings', () => {
  test('a program alone keeps Ultralytics\' arguments for training and resuming', () => {
    const { trainerCommand } = trainingSettings({ YOLOOPS_TRAINER_COMMAND: '/opt/venv/bin/yolo' });
    expect(trainerCommand).toEqual({
      train: ['/opt/venv/bin/yolo', ...DEFAULT_TRAINER_COMMAND.train.slice(1)],
      resume: ['/opt/venv/bin/yolo', ...DEFAULT_TRAINER_COMMAND.resume.slice(1)],
    });
  });

  test('a whole command line is the training template, and the resume one unless that is given', () => {
    const train = 'python3 train.py --data {data} --weights {model}';
    expect(trainingSettings({ YOLOOPS_TRAINER_COMMAND: train }).trainerCommand).toEqual({ train: train.split(' '), resume: train.split(' ') });
    expect(trainingSettings({ YOLOOPS_TRAINER_COMMAND: train, YOLOOPS_TRAINER_RESUME_COMMAND: 'python3 train.py --resume {model}' }).trainerCommand)
      .toEqual({ train: train.split(' '), resume: ['python3', 'train.py', '--resume', '{model}'] });
    expect(() => trainingSettings({ YOLOOPS_TRAINER_RESUME_COMMAND: 'x' })).toThrow(/YOLOOPS_TRAINER_RESUME_COMMAND needs YOLOOPS_TRAINER_COMMAND/);
  });

  test('agent command, "none", concurrency; nothing given is nothing set', () => {
    expect(trainingSettings({})).toEqual({});
    expect(trainingSettings({ YOLOOPS_AGENT_COMMAND: 'none' })).toEqual({ agentCommand: null });
    expect(trainingSettings({ YOLOOPS_AGENT_COMMAND: '/usr/local/bin/yoloops-agent run --server {server} --task {job_id} --' }).agentCommand)
      .toEqual(['/usr/local/bin/yoloops-agent', 'run', '--server', '{server}', '--task', '{job_id}', '--']);
    expect(trainingSettings({ YOLOOPS_TRAINING_CONCURRENCY: '3' })).toEqual({ concurrency: 3 });
    expect(() => trainingSettings({ YOLOOPS_TRAINING_CONCURRENCY: '0' })).toThrow('YOLOOPS_TRAINING_CONCURRENCY must be a positive integer, got "0"');
  });
});

describe('publicUrlSetting', () => {
  test('an http(s) base URL, trailing slashes dropped', () => {
    expect(publicUrlSetting({ YOLOOPS_PUBLIC_URL: 'http://gateway:8000/yoloops/' })).toBe('http://gateway:8000/yoloops');
    expect(publicUrlSetting({ YOLOOPS_PUBLIC_URL: 'https://yoloops.example.org' })).toBe('https://yoloops.example.org');
    expect(publicUrlSetting({})).toBeUndefined();
  });

  test.each(['gateway:8000', 'ftp://gateway', 'http://user:pw@gateway', 'http://gateway/?x=1', 'not a url'])('refuses %s', (given) => {
    expect(() => publicUrlSetting({ YOLOOPS_PUBLIC_URL: given })).toThrow(/YOLOOPS_PUBLIC_URL must be/);
  });
});
