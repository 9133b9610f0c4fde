import { describe, expect, test } from 'vitest';
import { serverKindFromModels } from './upstream-server-kind.js';

describe('serverKindFromModels', () => {
  test.each([
    { name: 'vLLM', given: [{ id: 'Qwen/Qwen2.5-0.5B', owned_by: 'vllm' }], want: 'vllm' },
    { name: 'llama.cpp server', given: [{ id: 'model.gguf', owned_by: 'llamacpp' }], want: 'llama.cpp' },
    { name: 'TGI (owner is the model id)', given: [{ id: 'bigscience/bloom-560m', owned_by: 'bigscience/bloom-560m' }], want: 'tgi' },
    { name: 'Ollama library models', given: [{ id: 'llama3.2:latest', owned_by: 'library' }, { id: 'me/custom:latest', owned_by: 'me' }], want: 'ollama' },
    { name: 'OpenAI itself', given: [{ id: 'gpt-4o-mini', owned_by: 'system' }], want: 'generic' },
    { name: 'no owner', given: [{ id: 'x' }], want: 'generic' },
    { name: 'no model at all', given: [], want: 'generic' },
  ] as const)('$name → $want', ({ given, want }) => {
    expect(serverKindFromModels(given)).toBe(want);
  });
});
