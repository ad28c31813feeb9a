// One part of a tape file, analysed on a thread of its own (see file.ts). Errors go back as name
// and message, so the main thread reports them as it would its own.
import { parentPort, workerData } from 'node:worker_threads';
import { analyzePart, moving, type PartJob, type WorkerMessage } from './file.js';

const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);
try {
  const { result, transfer } = moving(
    await analyzePart(workerData as PartJob, (lines, bytesRead) => post({ progress: { lines, bytesRead } })),
  );
  post({ result }, transfer);
} catch (err) {
  post({ error: { name: (err as Error).name, message: (err as Error).message } });
}
