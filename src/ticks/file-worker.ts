// One part of a tape file, analysed on a thread of its own (see file.ts). Errors go back as name
// and message, so the main thread reports them as it would its own.
import { parentPort, workerData } from 'node:worker_threads';
import { analyzePart, type PartJob, type WorkerMessage } from './file.js';

const post = (message: WorkerMessage) => parentPort!.postMessage(message);
try {
  post({ result: await analyzePart(workerData as PartJob, (lines, bytesRead) => post({ progress: { lines, bytesRead } })) });
} catch (err) {
  post({ error: { name: (err as Error).name, message: (err as Error).message } });
}
