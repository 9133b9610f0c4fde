/**
 * Migration 002: metrics, models, datasets, annotations and settings, shaped like their SQLite tables. Records stay
 * JSON text (byte for byte what SQLite keeps); ids and times that are sorted on are `COLLATE "C"` so ties order by
 * code point as SQLite's BINARY does; `revision` counts writes for compare-and-set; a model's `usage_count` and
 * `last_used` are columns so one `UPDATE … SET usage_count = usage_count + 1` counts a use from any server.
 */
export const MIGRATION_002: readonly string[] = [
  `CREATE TABLE datasets (
     dataset_id text COLLATE "C" PRIMARY KEY,
     uploaded_at text COLLATE "C" NOT NULL,
     status text NOT NULL,
     revision bigint NOT NULL DEFAULT 0,
     data text NOT NULL
   )`,
  'CREATE INDEX datasets_by_upload ON datasets (uploaded_at DESC, dataset_id DESC)',
  `CREATE TABLE dataset_versions (
     dataset_id text COLLATE "C" NOT NULL REFERENCES datasets (dataset_id) ON DELETE CASCADE,
     version text COLLATE "C" NOT NULL,
     report text NOT NULL,
     PRIMARY KEY (dataset_id, version)
   )`,
  `CREATE TABLE dataset_images (
     dataset_id text COLLATE "C" NOT NULL,
     version text COLLATE "C" NOT NULL,
     path text COLLATE "C" NOT NULL,
     split text NOT NULL,
     width integer NOT NULL,
     height integer NOT NULL,
     label_path text,
     PRIMARY KEY (dataset_id, version, path),
     FOREIGN KEY (dataset_id, version) REFERENCES dataset_versions (dataset_id, version) ON DELETE CASCADE
   )`,
  `CREATE TABLE annotation_tasks (
     task_id text COLLATE "C" PRIMARY KEY,
     dataset_id text NOT NULL,
     data text NOT NULL
   )`,
  'CREATE INDEX annotation_tasks_by_dataset ON annotation_tasks (dataset_id)',
  `CREATE TABLE task_items (
     task_id text COLLATE "C" NOT NULL REFERENCES annotation_tasks (task_id) ON DELETE CASCADE,
     image_id text COLLATE "C" NOT NULL,
     ord integer NOT NULL,
     data text NOT NULL,
     PRIMARY KEY (task_id, image_id),
     UNIQUE (task_id, ord)
   )`,
  `CREATE TABLE annotations (
     task_id text COLLATE "C" NOT NULL,
     image_id text COLLATE "C" NOT NULL,
     boxes text NOT NULL,
     updated_at text NOT NULL,
     source text NOT NULL CHECK (source IN ('imported', 'manual')),
     PRIMARY KEY (task_id, image_id),
     FOREIGN KEY (task_id, image_id) REFERENCES task_items (task_id, image_id) ON DELETE CASCADE
   )`,
  `CREATE TABLE training_epoch_metrics (
     job_id text COLLATE "C" NOT NULL,
     epoch integer NOT NULL,
     attempt bigint NOT NULL,
     recorded_at text NOT NULL,
     metrics text NOT NULL,
     non_finite text,
     PRIMARY KEY (job_id, epoch)
   )`,
  `CREATE TABLE training_step_metrics (
     job_id text COLLATE "C" NOT NULL,
     step integer NOT NULL,
     attempt bigint NOT NULL,
     recorded_at text NOT NULL,
     metrics text NOT NULL,
     non_finite text,
     PRIMARY KEY (job_id, step)
   )`,
  `CREATE TABLE models (
     model_id text COLLATE "C" PRIMARY KEY,
     created_at text COLLATE "C" NOT NULL,
     job_id text,
     revision bigint NOT NULL DEFAULT 0,
     usage_count bigint,
     last_used text,
     data text NOT NULL
   )`,
  'CREATE INDEX models_by_created ON models (created_at DESC, model_id DESC)',
  'CREATE INDEX models_by_job ON models (job_id, created_at DESC)',
  `CREATE TABLE settings (
     key text COLLATE "C" PRIMARY KEY,
     value text NOT NULL,
     updated_at text NOT NULL
   )`,
];
