import { ValidationError } from '../errors.js';
import type { TrainerCommand } from './job.schema.js';

/** The Ultralytics CLI, as the origin ran it (`name=train` under the job folder, resumable from last.pt). */
export const DEFAULT_TRAINER_COMMAND: TrainerCommand = {
  train: ['yolo', 'detect', 'train', 'data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}',
    'project={project}', 'name={name}', 'exist_ok=True'],
  resume: ['yolo', 'detect', 'train', 'resume', 'model={model}'],
};

/**
 * LLaMA-Factory for `llm-finetune` jobs: `{config}` is the YAML the job writes into its run folder; a
 * resume runs the same command, the YAML then carrying `resume_from_checkpoint`.
 */
export const DEFAULT_FINETUNE_COMMAND: TrainerCommand = {
  train: ['llamafactory-cli', 'train', '{config}'],
  resume: ['llamafactory-cli', 'train', '{config}'],
};

/** The trainer agent wrapping every trainer run; the trainer argv follows the `--`. */
export const DEFAULT_AGENT_COMMAND: readonly string[] = ['yoloops-agent', 'run', '--server', '{server}', '--task', '{job_id}', '--run-dir', '{run_dir}', '--'];

/** Names a template may use as `{name}`. */
export const PLACEHOLDERS = ['data', 'model', 'epochs', 'imgsz', 'batch', 'project', 'name', 'job_id', 'run_dir', 'server', 'config'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const TOKEN = /\{([a-z_]+)\}/g;
const known = (name: string): name is Placeholder => (PLACEHOLDERS as readonly string[]).includes(name);

/** Throws `ValidationError` when a template is empty or uses an unknown `{placeholder}` (a typo would otherwise reach the trainer). */
export function checkArgvTemplate(template: readonly string[], label: string): void {
  if (template.length === 0 || template[0] === '') throw new ValidationError(`${label} is empty: it needs at least a program`, { reason: 'invalid_command' });
  for (const arg of template) {
    for (const [, name = ''] of arg.matchAll(TOKEN)) {
      if (!known(name)) {
        throw new ValidationError(`${label} uses an unknown placeholder {${name}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`, {
          reason: 'invalid_command',
        });
      }
    }
  }
}

/** Fills the `{placeholders}` of an argv template; every element stays one argument (no shell, no splitting). */
export function renderArgv(template: readonly string[], values: Readonly<Record<Placeholder, string>>): string[] {
  return template.map((arg) => arg.replace(TOKEN, (token, name: string) => (known(name) ? values[name] : token)));
}

/** The command a job attempt runs: the agent template (when not null) followed by the trainer's argv. */
export function buildAttemptArgv(options: {
  trainer: TrainerCommand;
  agent: readonly string[] | null;
  resume: boolean;
  values: Readonly<Record<Placeholder, string>>;
}): string[] {
  const trainer = renderArgv(options.resume ? options.trainer.resume : options.trainer.train, options.values);
  return options.agent === null ? trainer : [...renderArgv(options.agent, options.values), ...trainer];
}

const HINTS: Readonly<Record<string, string>> = {
  yolo: 'install Ultralytics (pip install ultralytics) so that "yolo" is on the server\'s PATH, or set YOLOOPS_TRAINER_COMMAND ' +
    '(library: trainerCommand) to the trainer to run, e.g. the full path of a virtualenv\'s yolo',
  'yoloops-agent':
    'install the trainer agent (npm install @yoloops/trainer-agent, which yoloops serve finds by itself), set YOLOOPS_AGENT_COMMAND ' +
    '(library: agentCommand) to its full path, or set it to "none" (library: null) to run the trainer without it',
  'llamafactory-cli': 'install LLaMA-Factory (pip install llamafactory, or pip install -e ".[torch,metrics]" in a clone of ' +
    'https://github.com/hiyouga/LLaMA-Factory; add bitsandbytes for qlora) so that "llamafactory-cli" is on the server\'s PATH, or set ' +
    'YOLOOPS_FINETUNE_COMMAND (library: finetuneCommand) to the trainer to run, e.g. the full path of a virtualenv\'s llamafactory-cli',
  axolotl: 'install axolotl (pip install axolotl) so that "axolotl" is on the server\'s PATH, or configure the fine-tune command with its full path',
  python: 'install Python 3 or configure the trainer command with the full path of the interpreter',
  python3: 'install Python 3 or configure the trainer command with the full path of the interpreter',
};

/** A message a person can act on when a command's program could not be started. */
export function describeMissingProgram(program: string, cause?: string): string {
  const base = program.split(/[\\/]/).pop() ?? program;
  const hint = HINTS[base] ?? 'install it or fix the configured trainer/agent command';
  return `could not start "${program}"${cause ? ` (${cause})` : ''}: ${hint}`;
}
