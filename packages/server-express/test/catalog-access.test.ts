import { createMemoryResourceIndex } from '@yoloops/core/testing';
import { describe, expect, test } from 'vitest';
import { recordCreated } from '../src/routes/catalog-access.js';
import type { AppServices } from '../src/services.js';

const servicesWith = () => ({ resources: createMemoryResourceIndex() }) as unknown as AppServices;

describe('recordCreated', () => {
  test('gives a new resource its owner and project', async () => {
    const services = servicesWith();
    expect(await recordCreated(services, 'dataset', 'ds_1', { owner_id: 3, project_id: 7 })).toMatchObject({ number: 1, owner_id: 3, project_id: 7 });
  });

  test('claims an entry a list made first (no owner yet), keeping its number', async () => {
    const services = servicesWith();
    await services.resources.ensure('dataset', 'ds_1');
    expect(await recordCreated(services, 'dataset', 'ds_1', { owner_id: 3 })).toMatchObject({ number: 1, owner_id: 3, project_id: null });
  });

  test('never takes over an entry that already has an owner', async () => {
    const services = servicesWith();
    await services.resources.ensure('model', 'm1', { owner_id: 5 });
    expect(await recordCreated(services, 'model', 'm1', { owner_id: 3, project_id: 1 })).toMatchObject({ owner_id: 5, project_id: null });
  });
});
