/**
 * Migration 003: projects, users, revoked tokens, the resource index and the LLM instruction stores, as SQLite's
 * migrations 5, 6 and 9 have them. Ids are identity columns (a sequence: never reused, never shared by two servers);
 * keys that lists order by are `COLLATE "C"` so they sort byte for byte as on SQLite; usernames are unique under
 * `lower()` in the "C" collation, which folds ASCII letters only, as SQLite's `NOCASE` does.
 */
export const MIGRATION_003: readonly string[] = [
  `CREATE TABLE resource_counters (
     kind text PRIMARY KEY,
     last integer NOT NULL
   )`,
  `CREATE TABLE resources (
     kind text NOT NULL,
     id text NOT NULL,
     number integer NOT NULL,
     owner_id integer,
     project_id integer,
     meta text NOT NULL,
     created_at text NOT NULL,
     PRIMARY KEY (kind, id),
     UNIQUE (kind, number)
   )`,
  'CREATE INDEX resources_by_project ON resources (project_id)',
  `CREATE TABLE projects (
     id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     name text NOT NULL,
     description text,
     owner_id integer,
     status text NOT NULL CHECK (status IN ('active', 'archived')),
     settings text NOT NULL,
     created_at text NOT NULL,
     updated_at text NOT NULL
   )`,
  'CREATE INDEX projects_by_owner ON projects (owner_id, id)',
  `CREATE TABLE users (
     id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     username text COLLATE "C" NOT NULL,
     email text,
     role text NOT NULL CHECK (role IN ('admin', 'member')),
     is_active boolean NOT NULL,
     password_hash text NOT NULL,
     token_version integer NOT NULL,
     created_at text NOT NULL,
     updated_at text NOT NULL
   )`,
  'CREATE UNIQUE INDEX users_by_username_nocase ON users (lower(username))',
  `CREATE TABLE revoked_tokens (
     jti_sha256 text PRIMARY KEY,
     expires_at bigint NOT NULL
   )`,
  'CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at)',
  `CREATE TABLE instruction_datasets (
     id text COLLATE "C" PRIMARY KEY,
     created_at text COLLATE "C" NOT NULL,
     owner_id integer,
     data text NOT NULL
   )`,
  'CREATE INDEX instruction_datasets_by_created ON instruction_datasets (created_at DESC, id DESC)',
  `CREATE TABLE processing_tasks (
     task_id text COLLATE "C" PRIMARY KEY,
     dataset_id text NOT NULL,
     created_at text COLLATE "C" NOT NULL,
     status text NOT NULL,
     data text NOT NULL
   )`,
  'CREATE INDEX processing_tasks_by_created ON processing_tasks (created_at DESC, task_id DESC)',
  'CREATE INDEX processing_tasks_by_dataset ON processing_tasks (dataset_id)',
];
