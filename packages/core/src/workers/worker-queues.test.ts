import { describe, expect, test } from 'vitest';
import { dispatchJobId, labelsSatisfy, queueNameFor, queuesForWorker, redeliveryJobId } from './worker-queues.js';
import { WorkerIdSchema, WorkerLabelsSchema } from './worker.schema.js';

describe('worker queues', () => {
  test('a label set names one queue whatever the key order', () => {
    expect(queueNameFor(undefined)).toBe('train');
    expect(queueNameFor({})).toBe('train');
    expect(queueNameFor({ zone: 'eu', gpu: 'a100' })).toBe('train.gpu=a100+zone=eu');
    expect(queueNameFor({ gpu: 'a100', zone: 'eu' })).toBe('train.gpu=a100+zone=eu');
  });

  test('a worker consumes every subset of its labels of size ≤ 3', () => {
    expect(queuesForWorker({})).toEqual(['train']);
    expect(queuesForWorker({ gpu: 'a100', zone: 'eu' })).toEqual(['train', 'train.gpu=a100', 'train.gpu=a100+zone=eu', 'train.zone=eu']);
    const four = queuesForWorker({ a: '1', b: '2', c: '3', d: '4' });
    expect(four).toHaveLength(1 + 4 + 6 + 4);
    expect(four).not.toContain('train.a=1+b=2+c=3+d=4');
    expect(four).toContain(queueNameFor({ d: '4', b: '2', a: '1' }));
  });

  test('a job fits a worker that has every required pair', () => {
    expect(labelsSatisfy({ gpu: 'a100', zone: 'eu' }, { gpu: 'a100' })).toBe(true);
    expect(labelsSatisfy({ gpu: 'a100' }, undefined)).toBe(true);
    expect(labelsSatisfy({ gpu: 'h100' }, { gpu: 'a100' })).toBe(false);
    expect(labelsSatisfy({}, { gpu: 'a100' })).toBe(false);
  });

  test('BullMQ job ids are no integers and carry no colon', () => {
    expect(dispatchJobId({ job_id: 'job_20260101_000000_ab12cd34', attempt: 2 })).toBe('job_20260101_000000_ab12cd34.2');
    expect(redeliveryJobId({ job_id: 'job_x', attempt: 3 })).toBe('job_x.3.r');
    expect(dispatchJobId({ job_id: '123', attempt: 1 })).not.toMatch(/^\d+$/);
  });

  test('labels and worker ids refuse unsafe names', () => {
    expect(WorkerLabelsSchema.safeParse({ gpu: 'a100' }).success).toBe(true);
    expect(WorkerLabelsSchema.safeParse({ GPU: 'a100' }).success).toBe(false);
    expect(WorkerLabelsSchema.safeParse({ gpu: 'a:100' }).success).toBe(false);
    expect(WorkerLabelsSchema.safeParse({ a: '1', b: '2', c: '3', d: '4' }).success).toBe(false);
    expect(WorkerIdSchema.safeParse('gpu-box-1.local').success).toBe(true);
    expect(WorkerIdSchema.safeParse('../etc').success).toBe(false);
    expect(WorkerIdSchema.safeParse('a'.repeat(65)).success).toBe(false);
  });
});
