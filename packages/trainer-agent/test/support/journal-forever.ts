/**
 * Child used by the crash tests: journals epochs 1, 2, 3… as fast as it can, printing `journaled N`
 * once each `reportEpoch` has resolved (i.e. the event is durable), while the agent sends them.
 * Usage: journal-forever.ts <serverUrl> <outboxDir> <taskId>
 */
import { createTrainerAgent } from '../../src/index.js';

const [serverUrl = '', outboxDir = '', taskId = ''] = process.argv.slice(2);
const agent = createTrainerAgent({ serverUrl, taskId, outboxDir, retry: { baseMs: 10, capMs: 100 }, log: () => {} });
for (let epoch = 1; epoch <= 100_000; epoch++) {
  await agent.reportEpoch(epoch, { 'train/box_loss': 1 / epoch, 'metrics/mAP50(B)': epoch / 100_000 });
  process.stdout.write(`journaled ${epoch}\n`);
  if (epoch % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
}
