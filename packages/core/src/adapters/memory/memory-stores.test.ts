import { describeAnnotationStoreContract } from '../../testing/annotation-store.contract.js';
import { describeBlobStoreContract } from '../../testing/blob-store.contract.js';
import { describeDatasetStoreContract } from '../../testing/dataset-store.contract.js';
import { createMemoryAnnotationStore } from './memory-annotation-store.js';
import { createMemoryBlobStore } from './memory-blob-store.js';
import { createMemoryDatasetStore } from './memory-dataset-store.js';

describeBlobStoreContract('memory', () => createMemoryBlobStore());
describeDatasetStoreContract('memory', () => createMemoryDatasetStore());
describeAnnotationStoreContract('memory', () => createMemoryAnnotationStore());
