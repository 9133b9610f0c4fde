/**
 * Source of a tiny stand-in for `yolo train`, written into each test's folder as trainer.mjs.
 * It prints to stdout, appends an Ultralytics results.csv row by row (each row in two writes, so the
 * agent sees half-written lines), writes weights/best.pt, and exits. Driven by environment variables:
 * RUN_DIR, FROM/TO (epochs, 1-based), FORMAT (v8.3 | v5: %20s header, 0-based epochs), WEIGHTS=1,
 * STDERR_LINES=n (last line "ValueError: boom"), EXIT_CODE, HANG=1 (write trainer.pid and wait;
 * SIGTERM → write got-sigterm and exit 7).
 */
export const SCRIPTED_TRAINER = `
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
const env = process.env;
const dir = env.RUN_DIR;
const csv = dir + '/results.csv';
const v5 = env.FORMAT === 'v5';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cols = ['train/box_loss', 'train/cls_loss', 'train/dfl_loss', 'metrics/precision(B)', 'metrics/recall(B)', 'metrics/mAP50(B)',
  'metrics/mAP50-95(B)', 'val/box_loss', 'val/cls_loss', 'val/dfl_loss', 'lr/pg0', 'lr/pg1', 'lr/pg2'];
const v5cols = ['train/box_loss', 'train/obj_loss', 'train/cls_loss', 'metrics/precision', 'metrics/recall', 'metrics/mAP_0.5',
  'metrics/mAP_0.5:0.95', 'val/box_loss', 'val/obj_loss', 'val/cls_loss', 'x/lr0', 'x/lr1', 'x/lr2'];
const header = v5 ? ['epoch', ...v5cols].map((c) => c.padStart(20)).join(',') : ['epoch', 'time', ...cols].join(',');
const values = (e) => [1.5 / e, 1.2 / e, 1.1 / e, 0.5 + e / 100, 0.4 + e / 100, 0.3 + e / 100, 0.2 + e / 100, 1.4 / e, 1.3 / e, 1.2 / e, 0.001, 0.001, 0.001];
const row = (e) => v5
  ? [e - 1, ...values(e)].map((v) => String(+v.toPrecision(5)).padStart(20)).join(',')
  : [e, e * 12.3, ...values(e)].map((v) => String(+v.toPrecision(6))).join(',');
mkdirSync(dir + '/weights', { recursive: true });
console.log('trainer says hi');
if (!existsSync(csv)) writeFileSync(csv, header + '\\n');
for (let e = Number(env.FROM ?? 1); e <= Number(env.TO ?? 3); e++) {
  const line = row(e) + '\\n';
  appendFileSync(csv, line.slice(0, 25));
  await sleep(40);
  appendFileSync(csv, line.slice(25));
  await sleep(40);
}
if (env.WEIGHTS === '1') writeFileSync(dir + '/weights/best.pt', 'fake best.pt bytes');
for (let i = 1; i <= Number(env.STDERR_LINES ?? 0); i++) console.error(i < Number(env.STDERR_LINES) ? 'noise line ' + i : 'ValueError: boom');
if (env.HANG === '1') {
  process.on('SIGTERM', () => { writeFileSync(dir + '/got-sigterm', 'yes'); process.exit(7); });
  writeFileSync(dir + '/trainer.pid', String(process.pid));
  setInterval(() => {}, 1000);
} else {
  process.exitCode = Number(env.EXIT_CODE ?? 0);
}
`;

/** A post-train "export" that writes best.onnx next to the best.pt it is given. */
export const SCRIPTED_EXPORT = `
import { readFileSync, writeFileSync } from 'node:fs';
const pt = process.argv[2];
writeFileSync(pt.replace(/\\.pt$/, '.onnx'), 'onnx:' + readFileSync(pt, 'utf8'));
`;
