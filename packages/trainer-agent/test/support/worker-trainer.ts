/**
 * Source of a stand-in trainer for worker tests (written as trainer.mjs): takes `key=value` arguments as
 * the work order's template renders them (data, model, project, name, epochs, hang), writes `args.json`
 * (the arguments, data.yaml's text and the model file's bytes) into `<project>/<name>`, appends one
 * Ultralytics results.csv row and a weights/last.pt per epoch, and exits 0 — or, with `hang=1`, writes `trainer.pid` and waits
 * (SIGTERM → `got-sigterm`, exit 7; SIGINT → `got-sigint`, exit 8).
 */
export const WORKER_TRAINER = `
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
const args = Object.fromEntries(process.argv.slice(2).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
const dir = args.project + '/' + args.name;
mkdirSync(dir + '/weights', { recursive: true });
const read = (file) => (file && existsSync(file) && statSync(file).isFile() ? readFileSync(file, 'utf8') : null);
writeFileSync(dir + '/args.json', JSON.stringify({ args, dataYaml: read(args.data), model: read(args.model), cwd: process.cwd() }));
console.log('worker trainer starts');
writeFileSync(dir + '/results.csv', 'epoch,time,train/box_loss,metrics/mAP50(B)\\n');
for (let e = 1; e <= Number(args.epochs ?? 1); e++) {
  appendFileSync(dir + '/results.csv', e + ',' + e + ',' + (1 / e) + ',' + (e / 10) + '\\n');
  writeFileSync(dir + '/weights/last.pt', 'last.pt after epoch ' + e);
  await new Promise((r) => setTimeout(r, 60));
}
if (args.hang === '1') {
  process.on('SIGTERM', () => { writeFileSync(dir + '/got-sigterm', 'yes'); process.exit(7); });
  process.on('SIGINT', () => { writeFileSync(dir + '/got-sigint', 'yes'); process.exit(8); });
  writeFileSync(dir + '/trainer.pid', String(process.pid));
  setInterval(() => {}, 1000);
}
`;
