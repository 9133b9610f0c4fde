import { createMemoryProjectStore, createMemoryResourceIndex } from '@yoloops/core/testing';
import { beforeEach, describe, expect, test } from 'vitest';
import type { Principal } from './principal.js';
import { isResourceNumber, mayAccess, resolveResource } from './resource-access.js';

const alice: Principal = { kind: 'user', userId: 1, username: 'alice', role: 'member' };
const bob: Principal = { kind: 'user', userId: 2, username: 'bob', role: 'member' };
const admin: Principal = { kind: 'user', userId: 3, username: 'root', role: 'admin' };
const local: Principal = { kind: 'local' };
const agent: Principal = { kind: 'agent', jobId: 'job_a' };

let services: { resources: ReturnType<typeof createMemoryResourceIndex>; projects: ReturnType<typeof createMemoryProjectStore> };
beforeEach(() => {
  services = { resources: createMemoryResourceIndex(), projects: createMemoryProjectStore() };
});

describe('isResourceNumber', () => {
  test.each([
    ['1', true], ['000042', true], ['123456789012345', true],
    ['1234567890123456', false], ['0123456789abcdef0123456789abcdef', false], ['12345678901234567890123456789012', false], ['ds_1', false], ['-1', false], ['1.0', false], ['', false],
  ])('%s → %s', (ref, want) => expect(isResourceNumber(ref)).toBe(want));
});

describe('mayAccess', () => {
  test('a member: what it owns or what is in a project it owns; never what nobody owns; admins and local all; agents nothing', async () => {
    const project = await services.projects.create({ name: 'p', owner_id: 1 });
    const cases: [Principal, { owner_id: number | null; project_id: number | null }, boolean][] = [
      [alice, { owner_id: 1, project_id: null }, true],
      [alice, { owner_id: 2, project_id: project.id }, true],
      [bob, { owner_id: 1, project_id: project.id }, false],
      [bob, { owner_id: null, project_id: null }, false],
      [bob, { owner_id: 2, project_id: 999 }, true],
      [alice, { owner_id: null, project_id: 999 }, false],
      [admin, { owner_id: null, project_id: null }, true],
      [local, { owner_id: 1, project_id: null }, true],
      [agent, { owner_id: null, project_id: null }, false],
    ];
    for (const [p, entry, want] of cases) expect(await mayAccess(services, p, entry), JSON.stringify([p, entry])).toBe(want);
  });
});

describe('resolveResource', () => {
  test('a number becomes the id of its entry, for whoever may see it', async () => {
    await services.resources.ensure('dataset', 'ds_a', { owner_id: 1 });
    const b = await services.resources.ensure('dataset', 'ds_b', { owner_id: 2 });
    expect(await resolveResource(services, bob, 'dataset', String(b.number))).toBe('ds_b');
    expect(await resolveResource(services, admin, 'dataset', String(b.number))).toBe('ds_b');
    expect(await resolveResource(services, alice, 'dataset', String(b.number))).toBeUndefined();
    expect(await resolveResource(services, local, 'dataset', '99')).toBeUndefined();
    expect(await resolveResource(services, bob, 'model', String(b.number))).toBeUndefined(); // numbers count per kind
  });

  test('ids: a member needs an entry it may see; admins and local pass any id on to the handler', async () => {
    await services.resources.ensure('job', 'job_a', { owner_id: 1 });
    expect(await resolveResource(services, alice, 'job', 'job_a')).toBe('job_a');
    expect(await resolveResource(services, bob, 'job', 'job_a')).toBeUndefined();
    expect(await resolveResource(services, bob, 'job', 'job_unknown')).toBeUndefined();
    expect(await resolveResource(services, admin, 'job', 'job_unknown')).toBe('job_unknown');
    const hex = '0123456789abcdef0123456789abcdef';
    await services.resources.ensure('job', hex, { owner_id: 2 });
    expect(await resolveResource(services, bob, 'job', hex)).toBe(hex);
  });

  test('a resource whose own id is digits is still found by that id when no entry has the number', async () => {
    await services.resources.ensure('model', 'model_x', { owner_id: 1 });
    await services.resources.ensure('model', '777', { owner_id: 1 });
    expect(await resolveResource(services, alice, 'model', '1')).toBe('model_x');
    expect(await resolveResource(services, alice, 'model', '777')).toBe('777');
  });
});
