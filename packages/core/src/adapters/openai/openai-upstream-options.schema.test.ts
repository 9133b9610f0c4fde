import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../errors.js';
import { openAiUpstreamOptionsFromEnv, OpenAiUpstreamEnvSchema } from './openai-upstream-options.schema.js';

describe('openAiUpstreamOptionsFromEnv', () => {
  test('no base URL: no upstream', () => {
    expect(openAiUpstreamOptionsFromEnv({ PATH: '/bin' })).toBeUndefined();
    expect(openAiUpstreamOptionsFromEnv({ YOLOOPS_LLM_BASE_URL: '  ' })).toBeUndefined();
  });

  test('a base URL alone: only it is set (the adapter applies its defaults)', () => {
    expect(openAiUpstreamOptionsFromEnv({ YOLOOPS_LLM_BASE_URL: 'http://127.0.0.1:11434/v1' })).toEqual({ baseUrl: 'http://127.0.0.1:11434/v1' });
  });

  test('every variable', () => {
    expect(openAiUpstreamOptionsFromEnv({
      YOLOOPS_LLM_BASE_URL: 'http://host:8000', YOLOOPS_LLM_API_KEY: 'sk-1', YOLOOPS_LLM_TIMEOUT_MS: '30000', YOLOOPS_LLM_CONNECT_TIMEOUT_MS: '1000',
      YOLOOPS_LLM_MAX_CONCURRENCY: '8', YOLOOPS_LLM_MAX_QUEUE: '0', YOLOOPS_LLM_MAX_RESPONSE_BYTES: '65536', YOLOOPS_LLM_SERVER: 'llama.cpp', YOLOOPS_LLM_TOP_K: 'omit',
    })).toEqual({
      baseUrl: 'http://host:8000', apiKey: 'sk-1', timeoutMs: 30000, connectTimeoutMs: 1000, maxConcurrentRequests: 8, maxQueuedRequests: 0, maxResponseBytes: 65536, server: 'llama.cpp', topK: 'omit',
    });
  });

  test('each bad variable is named, one a line', () => {
    let error: unknown;
    try {
      openAiUpstreamOptionsFromEnv({ YOLOOPS_LLM_BASE_URL: 'ftp://x', YOLOOPS_LLM_TIMEOUT_MS: '1.5', YOLOOPS_LLM_SERVER: 'sglang', YOLOOPS_LLM_TOP_K: 'yes' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const lines = (error as Error).message.split('\n');
    expect(lines).toEqual([
      'YOLOOPS_LLM_BASE_URL upstream base URL must be http or https, got "ftp:"',
      'YOLOOPS_LLM_TIMEOUT_MS must be an integer ≥ 1, got "1.5"',
      'YOLOOPS_LLM_SERVER must be one of auto, vllm, llama.cpp, ollama, tgi, generic, got "sglang"',
      'YOLOOPS_LLM_TOP_K must be one of auto, send, omit, got "yes"',
    ]);
  });

  test('settings without a base URL are refused, naming them', () => {
    expect(() => openAiUpstreamOptionsFromEnv({ YOLOOPS_LLM_API_KEY: 'sk-1', YOLOOPS_LLM_TOP_K: 'send' })).toThrow('YOLOOPS_LLM_API_KEY, YOLOOPS_LLM_TOP_K set without YOLOOPS_LLM_BASE_URL');
  });

  test('every variable has a description and a default for --help', () => {
    for (const field of Object.values(OpenAiUpstreamEnvSchema.shape)) {
      expect(field.meta()).toMatchObject({ description: expect.any(String), default: expect.any(String) });
    }
  });
});
