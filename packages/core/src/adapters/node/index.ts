export { createNodePlatform, type NodePlatform, type NodePlatformOptions } from './create-node-platform.js';
export { createFsBlobStore, sweepFsBlobStore } from './fs-blob-store.js';
export { createSharpImageProbe, hardenSharp, type SharpImageProbeOptions } from './sharp-image-probe.js';
export { openSqliteDatabase, migrateSqliteDatabase, MIGRATIONS, type SqliteDatabase } from './sqlite-database.js';
export { createSqliteDatasetStore } from './sqlite-dataset-store.js';
export { createSqliteAnnotationStore } from './sqlite-annotation-store.js';
