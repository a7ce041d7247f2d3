import { QueueDependencyError } from './queue-errors.js';

/** The bullmq module's namespace (types only: nothing is loaded until {@link loadBullmq} runs). */
export type BullmqModule = typeof import('bullmq');

const importBullmq = (): Promise<BullmqModule> => import('bullmq');
let loaded: Promise<BullmqModule> | undefined;

function guarded(importer: () => Promise<BullmqModule>): Promise<BullmqModule> {
  return importer().catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new QueueDependencyError(error);
    throw error;
  });
}

/**
 * Loads bullmq on first use, so the queue costs nothing to users who never call it.
 * @param importer - how to import it (default: `import('bullmq')`, loaded once).
 * @throws QueueDependencyError when bullmq is not installed.
 */
export function loadBullmq(importer: () => Promise<BullmqModule> = importBullmq): Promise<BullmqModule> {
  if (importer !== importBullmq) return guarded(importer);
  loaded ??= guarded(importer);
  return loaded;
}
