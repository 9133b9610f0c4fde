/** A seed 002 project: a named group of datasets, jobs and models with one owner. */
export interface Project {
  id: number;
  name: string;
  description: string | null;
  owner_id: number | null;
  status: 'active' | 'archived';
  settings: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface ProjectStore {
  create(input: { name: string; description?: string | null; owner_id: number | null; settings?: Record<string, unknown> }): Promise<Project>;
  get(id: number): Promise<Project | undefined>;
  /** Oldest first; `total` counts every match before skip/limit. */
  list(filter: { owner_id?: number; skip: number; limit: number }): Promise<{ total: number; projects: Project[] }>;
  update(id: number, patch: { name?: string; description?: string | null; status?: Project['status']; settings?: Record<string, unknown> }): Promise<Project | undefined>;
  /** true when it existed. */
  delete(id: number): Promise<boolean>;
}
