export { createMemoryBlobStore } from '../adapters/memory/memory-blob-store.js';
export { createMemoryDatasetStore } from '../adapters/memory/memory-dataset-store.js';
export { createMemoryAnnotationStore } from '../adapters/memory/memory-annotation-store.js';
export { describeBlobStoreContract } from './blob-store.contract.js';
export { describeDatasetStoreContract } from './dataset-store.contract.js';
export { describeAnnotationStoreContract } from './annotation-store.contract.js';
