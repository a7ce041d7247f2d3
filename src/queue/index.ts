/**
 * `tokenlab-audio/queue`: batches spread over many machines with BullMQ on Redis. The producer
 * ({@link BatchQueue}) submits jobs and collects reports; workers ({@link startBatchWorker}, or the
 * `tokenlab-audio worker --redis URL` command) run them. bullmq is an optional peer dependency, loaded on
 * first use: without it these calls throw a {@link QueueDependencyError}.
 */
export { BatchQueue } from './batch-queue.js';
export type { BatchQueueOptions, InFlightRequest, QueueBatchProgress, QueueBatchReport, QueueSubmitResult, QueueWaitOptions } from './batch-queue.js';
export { startBatchWorker, QUEUE_JOB_ATTEMPTS } from './start-batch-worker.js';
export type { BatchWorker, BatchWorkerOptions, LongMergeJobData, LongPieceJobData, PossibleDoubleCharge, QueueJobData } from './start-batch-worker.js';
export { cutLongQueueJob } from './cut-long-queue-job.js';
export type { CutLongQueueJob, LongQueueJob } from './cut-long-queue-job.js';
export { QueueConnectionError, QueueDependencyError } from './queue-errors.js';
export { DEFAULT_QUEUE_NAME, parseRedisUrl, queueJobId } from './queue-store.js';
export type { ParsedRedisUrl, QueueJobStatus, QueueRecord } from './queue-store.js';
