/**
 * The platform's resources as seed 002 and the accounts see them: every dataset, model, training job and
 * annotation task gets one small sequential number of its kind (seed 002 ids are integers), an owner
 * (the account that created it; `null` when created with auth off) and optionally a project. Rows are
 * made lazily (`ensure`) so resources created before the index existed get numbers the first time
 * they are listed. Numbers are never reused, not even after a delete.
 */
/**
 * `task`: seed 002's `/tasks` numbering, one entry per piece of work (its `id` is the job's or the dataset's
 * own id), so a task number never means two things although jobs and datasets count separately.
 */
export type ResourceKind = 'dataset' | 'model' | 'job' | 'annotation_task' | 'inference_session' | 'task';

export interface ResourceEntry {
  kind: ResourceKind;
  /** The resource's own id (`ds_…`, `model_…`, `job_…`). */
  id: string;
  /** Sequential per kind, from 1. */
  number: number;
  owner_id: number | null;
  project_id: number | null;
  /** Small JSON facts the seed 002 routes keep beside the resource (experiment name, template, description…). */
  meta: Record<string, unknown>;
  created_at: string;
}

export interface EnsureResourceInput {
  owner_id?: number | null;
  project_id?: number | null;
  meta?: Record<string, unknown>;
}

export interface ResourceIndex {
  /** The entry of a resource, created with `init` (and the next number) when it has none; an existing entry is returned unchanged. */
  ensure(kind: ResourceKind, id: string, init?: EnsureResourceInput): Promise<ResourceEntry>;
  get(kind: ResourceKind, id: string): Promise<ResourceEntry | undefined>;
  byNumber(kind: ResourceKind, number: number): Promise<ResourceEntry | undefined>;
  /** Entries of a kind, oldest number first, optionally of one owner and/or project. */
  list(kind: ResourceKind, filter?: { owner_id?: number; project_id?: number }): Promise<ResourceEntry[]>;
  /** Changes project, owner or meta (meta is merged); undefined when there is no entry. */
  update(kind: ResourceKind, id: string, patch: { owner_id?: number | null; project_id?: number | null; meta?: Record<string, unknown> }): Promise<ResourceEntry | undefined>;
  /** Points an entry at another id of the same kind, keeping its number (a seed 002 dataset record whose upload made the dataset). */
  rebind(kind: ResourceKind, fromId: string, toId: string): Promise<ResourceEntry | undefined>;
  /** Removes the entry (its number is not reused). */
  remove(kind: ResourceKind, id: string): Promise<void>;
  /** Clears `project_id` on every entry of the project (the project was deleted). */
  detachProject(projectId: number): Promise<void>;
}
