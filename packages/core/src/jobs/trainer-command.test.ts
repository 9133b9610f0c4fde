import { describe, expect, test } from 'vitest';
import { ValidationError } from '../errors.js';
import { buildAttemptArgv, checkArgvTemplate, DEFAULT_AGENT_COMMAND, DEFAULT_FINETUNE_COMMAND, DEFAULT_TRAINER_COMMAND, describeMissingProgram, renderArgv } from './trainer-command.js';

const values = {
  data: '/d/data.yaml', model: 'yolov8n.pt', epochs: '3', imgsz: '640', batch: '-1', project: '/j/job 1', name: 'train',
  job_id: 'job_1', run_dir: '/j/job 1/train', server: 'http://127.0.0.1:8000', config: '',
};

describe('trainer command templates', () => {
  test('the default is the Ultralytics CLI, one argument per element even with spaces', () => {
    expect(buildAttemptArgv({ trainer: DEFAULT_TRAINER_COMMAND, agent: null, resume: false, values })).toEqual([
      'yolo', 'detect', 'train', 'data=/d/data.yaml', 'model=yolov8n.pt', 'epochs=3', 'imgsz=640', 'batch=-1',
      'project=/j/job 1', 'name=train', 'exist_ok=True',
    ]);
  });

  test('resume uses the resume template and the agent wraps the trainer after --', () => {
    const argv = buildAttemptArgv({ trainer: DEFAULT_TRAINER_COMMAND, agent: DEFAULT_AGENT_COMMAND, resume: true, values: { ...values, model: '/w/last.pt' } });
    expect(argv).toEqual([
      'yoloops-agent', 'run', '--server', 'http://127.0.0.1:8000', '--task', 'job_1', '--run-dir', '/j/job 1/train', '--',
      'yolo', 'detect', 'train', 'resume', 'model=/w/last.pt',
    ]);
  });

  test('the fine-tune default is LLaMA-Factory on the YAML the job wrote ({config}), the same for a resume', () => {
    const config = '/j/job 1/train/yoloops-train.yaml';
    for (const resume of [false, true]) {
      expect(buildAttemptArgv({ trainer: DEFAULT_FINETUNE_COMMAND, agent: null, resume, values: { ...values, config } })).toEqual(['llamafactory-cli', 'train', config]);
    }
    expect(() => checkArgvTemplate(['axolotl', 'train', '{config}'], 'finetune command')).not.toThrow();
  });

  test.each([
    { given: ['x{epochs}y{epochs}'], want: ['x3y3'] },
    { given: ['{"json": {}}', '{Model}'], want: ['{"json": {}}', '{Model}'] },
    { given: ['$(rm -rf /)', '{model}; ls'], want: ['$(rm -rf /)', 'yolov8n.pt; ls'] },
  ])('renders $given as $want', ({ given, want }) => {
    expect(renderArgv(given, values)).toEqual(want);
  });

  test('checkArgvTemplate refuses unknown placeholders and empty commands', () => {
    expect(() => checkArgvTemplate(['yolo', 'data={dataset}'], 'trainer command')).toThrow(/unknown placeholder \{dataset\}/);
    expect(() => checkArgvTemplate([], 'agent command')).toThrow(ValidationError);
    expect(() => checkArgvTemplate(DEFAULT_TRAINER_COMMAND.train, 'x')).not.toThrow();
    expect(() => checkArgvTemplate(DEFAULT_AGENT_COMMAND, 'x')).not.toThrow();
  });

  test.each([
    { program: 'yolo', want: /pip install ultralytics/ },
    { program: '/usr/local/bin/yoloops-agent', want: /YOLOOPS_AGENT_COMMAND.*"none" \(library: null\)/ },
    { program: 'trainer-x', want: /install it or fix the configured/ },
    { program: 'llamafactory-cli', want: /pip install llamafactory.*YOLOOPS_FINETUNE_COMMAND/ },
    { program: '/opt/venv/bin/axolotl', want: /pip install axolotl/ },
  ])('describeMissingProgram($program) says what to do', ({ program, want }) => {
    expect(describeMissingProgram(program, 'ENOENT')).toMatch(want);
    expect(describeMissingProgram(program, 'ENOENT')).toContain(`"${program}" (ENOENT)`);
  });
});
