import { ValidationError } from '@yoloops/core';
import { describe, expect, test } from 'vitest';
import { resultEvent, seedFields, statusEvent, type EpochMetrics } from './events.js';

describe('seedFields', () => {
  test.each<{ name: string; given: EpochMetrics; want: Record<string, number> }>([
    {
      name: 'Ultralytics 8 detect columns',
      given: { 'train/box_loss': 1, 'train/cls_loss': 2, 'train/dfl_loss': 0.5, 'val/box_loss': 1.5, 'val/cls_loss': 1, 'val/dfl_loss': 0.5, 'metrics/precision(B)': 0.6, 'metrics/recall(B)': 0.4, 'metrics/mAP50(B)': 0.55, 'lr/pg0': 0.01 },
      want: { loss: 3.5, valLoss: 3, accuracy: 0.55, f1Score: 0.48 },
    },
    {
      name: 'YOLOv5 columns',
      given: { 'train/box_loss': 0.1, 'train/obj_loss': 0.2, 'train/cls_loss': 0.3, 'metrics/precision': 0.5, 'metrics/recall': 0.5, 'metrics/mAP_0.5': 0.42 },
      want: { loss: 0.6, accuracy: 0.42, f1Score: 0.5 },
    },
    { name: 'classify columns', given: { 'train/loss': 0.7, 'val/loss': 0.9, 'metrics/accuracy_top1': 0.81 }, want: { loss: 0.7, valLoss: 0.9, accuracy: 0.81 } },
    { name: 'seed names win; percentages become fractions', given: { accuracy: 93, loss: 0.2, valAccuracy: 0.9, 'metrics/mAP50(B)': 0.1 }, want: { accuracy: 0.93, loss: 0.2, valAccuracy: 0.9 } },
    { name: 'a NaN loss part leaves loss out instead of inventing it', given: { 'train/box_loss': 1, 'train/cls_loss': null }, want: {} },
    { name: 'P = R = 0 gives F1 0', given: { 'metrics/precision(B)': 0, 'metrics/recall(B)': 0 }, want: { f1Score: 0 } },
  ])('$name', ({ given, want }) => {
    const got = seedFields(given);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [key, value] of Object.entries(want)) expect(got[key as keyof typeof got]).toBeCloseTo(value, 10);
  });
});

describe('resultEvent', () => {
  test('sends the string task id, every raw column but epoch, NaN/Infinity as null, and an attempt-scoped eventId', () => {
    const event = resultEvent('abc', 2, 5, { epoch: 4, 'train/box_loss': Number.NaN, 'metrics/mAP50(B)': Infinity, time: 12.5 });
    expect(event).toEqual({
      eventId: 'abc:2:epoch:5',
      path: '/api/model/train/notify/result',
      body: { trainTaskId: 'abc', epoch: 5, metrics: { 'train/box_loss': null, 'metrics/mAP50(B)': null, time: 12.5 }, attempt: 2, eventId: 'abc:2:epoch:5' },
    });
  });

  test.each([
    { name: 'epoch 0', epoch: 0, metrics: {} },
    { name: 'epoch -1', epoch: -1, metrics: {} },
    { name: 'epoch 1e12', epoch: 1e12, metrics: {} },
    { name: 'epoch 1.5', epoch: 1.5, metrics: {} },
    { name: '1e5 keys', epoch: 1, metrics: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`m${i}`, i])) },
    { name: 'a control character in a name', epoch: 1, metrics: { 'a\nb': 1 } },
  ])('refuses $name before it reaches the outbox', ({ epoch, metrics }) => {
    expect(() => resultEvent('t', 1, epoch, metrics)).toThrow(ValidationError);
  });
});

describe('statusEvent', () => {
  test.each([
    { status: 'queued', message: 'x', want: { trainTaskId: 't', statusType: 1, attempt: 1, eventId: 't:1:status:1' } },
    { status: 'running', message: undefined, want: { trainTaskId: 't', statusType: 2, attempt: 1, eventId: 't:1:status:2' } },
    { status: 'completed', message: undefined, want: { trainTaskId: 't', statusType: 3, attempt: 1, eventId: 't:1:status:3' } },
    { status: 'failed', message: undefined, want: { trainTaskId: 't', statusType: 4, failureMessage: '', attempt: 1, eventId: 't:1:status:4' } },
    { status: 'stopped', message: 'by request', want: { trainTaskId: 't', statusType: 5, failureMessage: 'by request', attempt: 1, eventId: 't:1:status:5' } },
  ] as const)('$status → statusType $want.statusType (failureMessage only on 4 and 5)', ({ status, message, want }) => {
    expect(statusEvent('t', 1, status, message).body).toEqual(want);
  });

  test('cuts failureMessage to 500 characters', () => {
    expect(statusEvent('t', 1, 'failed', 'x'.repeat(900)).body.failureMessage).toHaveLength(500);
  });
});
