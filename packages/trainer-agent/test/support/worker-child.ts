// A training worker in its own process (so a test can SIGKILL it): options as JSON in WORKER_OPTIONS; SIGTERM closes it.
import { createMemoryGpuMonitor } from '@yoloops/core/testing';
import { createTrainingWorker, type TrainingWorkerOptions } from '../../src/worker/create-training-worker.js';

const options = JSON.parse(process.env.WORKER_OPTIONS ?? '{}') as TrainingWorkerOptions;
const worker = createTrainingWorker({ ...options, gpus: createMemoryGpuMonitor() });
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
