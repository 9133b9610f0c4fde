import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../errors.js';
import { parseUpstreamEndpoint } from './upstream-endpoint.js';

describe('parseUpstreamEndpoint', () => {
  test.each([
    { given: 'http://127.0.0.1:11434/v1', want: { origin: 'http://127.0.0.1:11434', rootPath: '', apiPath: '/v1', url: 'http://127.0.0.1:11434/v1' } },
    { given: 'http://127.0.0.1:11434/v1/', want: { origin: 'http://127.0.0.1:11434', rootPath: '', apiPath: '/v1', url: 'http://127.0.0.1:11434/v1' } },
    { given: 'http://host:8000', want: { origin: 'http://host:8000', rootPath: '', apiPath: '/v1', url: 'http://host:8000/v1' } },
    { given: ' https://llm.example.org/ ', want: { origin: 'https://llm.example.org', rootPath: '', apiPath: '/v1', url: 'https://llm.example.org/v1' } },
    { given: 'http://proxy:8080/llm/v1', want: { origin: 'http://proxy:8080', rootPath: '/llm', apiPath: '/llm/v1', url: 'http://proxy:8080/llm/v1' } },
    { given: 'http://proxy:8080/llm', want: { origin: 'http://proxy:8080', rootPath: '/llm', apiPath: '/llm/v1', url: 'http://proxy:8080/llm/v1' } },
  ])('$given', ({ given, want }) => {
    expect(parseUpstreamEndpoint(given)).toEqual(want);
  });

  test.each([
    ['localhost:8000', 'must be http or https'],
    ['not a url', 'is not a URL'],
    ['ftp://host/v1', 'must be http or https'],
    ['http://user:sk-123@host/v1', 'must not carry credentials'],
    ['http://host/v1?key=1', 'must not have a query or fragment'],
  ])('refuses %s', (given, message) => {
    expect(() => parseUpstreamEndpoint(given)).toThrow(ValidationError);
    expect(() => parseUpstreamEndpoint(given)).toThrow(message);
  });

  test('a refused URL with credentials does not repeat them', () => {
    expect(() => parseUpstreamEndpoint('http://user:sk-123@host/v1')).toThrow(expect.objectContaining({ message: expect.not.stringContaining('sk-123') }));
  });
});
