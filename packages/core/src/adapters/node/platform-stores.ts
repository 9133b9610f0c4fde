import type { Clock } from '../../platform/clock.port.js';
import type { PostgresDatabase } from '../postgres/postgres-database.js';
import { createPostgresAnnotationStore } from '../postgres/postgres-annotation-store.js';
import { createPostgresDatasetStore } from '../postgres/postgres-dataset-store.js';
import { createPostgresInstructionDatasetStore } from '../postgres/postgres-instruction-dataset-store.js';
import { createPostgresJobStore } from '../postgres/postgres-job-store.js';
import { createPostgresMetricStore } from '../postgres/postgres-metric-store.js';
import { createPostgresModelStore } from '../postgres/postgres-model-store.js';
import { createPostgresProcessingTaskStore } from '../postgres/postgres-processing-task-store.js';
import { createPostgresProjectStore } from '../postgres/postgres-project-store.js';
import { createPostgresResourceIndex } from '../postgres/postgres-resource-index.js';
import { createPostgresRevocationStore } from '../postgres/postgres-revocation-store.js';
import { createPostgresSettingsStore } from '../postgres/postgres-settings-store.js';
import { createPostgresUserStore } from '../postgres/postgres-user-store.js';
import { createPostgresWorkerStore } from '../postgres/postgres-worker-store.js';
import { createPostgresServerInstanceStore } from '../postgres/postgres-server-instance-store.js';
import { createSqliteAnnotationStore } from '../sqlite/sqlite-annotation-store.js';
import type { SqliteDatabase } from '../sqlite/sqlite-database.js';
import { createSqliteDatasetStore } from '../sqlite/sqlite-dataset-store.js';
import { createSqliteInstructionDatasetStore } from '../sqlite/sqlite-instruction-dataset-store.js';
import { createSqliteJobStore } from '../sqlite/sqlite-job-store.js';
import { createSqliteMetricStore } from '../sqlite/sqlite-metric-store.js';
import { createSqliteModelStore } from '../sqlite/sqlite-model-store.js';
import { createSqliteProcessingTaskStore } from '../sqlite/sqlite-processing-task-store.js';
import { createSqliteProjectStore } from '../sqlite/sqlite-project-store.js';
import { createSqliteResourceIndex } from '../sqlite/sqlite-resource-index.js';
import { createSqliteRevocationStore } from '../sqlite/sqlite-revocation-store.js';
import { createSqliteSettingsStore } from '../sqlite/sqlite-settings-store.js';
import { createSqliteUserStore } from '../sqlite/sqlite-user-store.js';
import { createSqliteWorkerStore } from '../sqlite/sqlite-worker-store.js';
import { createSqliteServerInstanceStore } from '../sqlite/sqlite-server-instance-store.js';

/**
 * Every metadata store of the node platform: on PostgreSQL when `postgres` is given (each port that has a
 * PostgreSQL adapter), else on the SQLite database `db`.
 * @example const stores = createPlatformStores({ db: openSqliteDatabase('data/yoloops.db'), clock: systemClock });
 */
export function createPlatformStores(deps: { db: SqliteDatabase; postgres?: PostgresDatabase; clock: Clock }) {
  const { db, postgres, clock } = deps;
  return {
    datasets: postgres ? createPostgresDatasetStore(postgres) : createSqliteDatasetStore(db),
    annotations: postgres ? createPostgresAnnotationStore(postgres) : createSqliteAnnotationStore(db),
    instructionDatasets: postgres ? createPostgresInstructionDatasetStore(postgres) : createSqliteInstructionDatasetStore(db),
    processingTasks: postgres ? createPostgresProcessingTaskStore(postgres) : createSqliteProcessingTaskStore(db),
    models: postgres ? createPostgresModelStore(postgres) : createSqliteModelStore(db),
    metrics: postgres ? createPostgresMetricStore(postgres) : createSqliteMetricStore(db),
    jobs: postgres ? createPostgresJobStore(postgres) : createSqliteJobStore(db),
    resources: postgres ? createPostgresResourceIndex(postgres, { clock }) : createSqliteResourceIndex(db, { clock }),
    projects: postgres ? createPostgresProjectStore(postgres, { clock }) : createSqliteProjectStore(db, { clock }),
    settings: postgres ? createPostgresSettingsStore(postgres, clock) : createSqliteSettingsStore(db, clock),
    users: postgres ? createPostgresUserStore(postgres, { clock }) : createSqliteUserStore(db, { clock }),
    revocations: postgres ? createPostgresRevocationStore(postgres) : createSqliteRevocationStore(db),
    /** Remote training workers (dispatch mode): their labels and last heartbeats. */
    workers: postgres ? createPostgresWorkerStore(postgres) : createSqliteWorkerStore(db),
    /** The servers sharing this database and their last heartbeats. */
    servers: postgres ? createPostgresServerInstanceStore(postgres) : createSqliteServerInstanceStore(db),
  };
}

export type PlatformStores = ReturnType<typeof createPlatformStores>;
