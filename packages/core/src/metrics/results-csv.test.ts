import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseResultsCsv } from './results-csv.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'results-csv');
const read = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');

describe('parseResultsCsv golden files (written with each version\'s own format strings, see generate.py)', () => {
  test.each([
    ['yolov5', 'YOLOv5: %20s header, 0-based epochs'],
    ['ultralytics-8.0-early', '8.0 early: %23s header, 0-based epochs, nan cell'],
    ['ultralytics-8.2-segment', '8.0 later–8.2: %23s header, 1-based epochs, segmentation columns'],
    ['ultralytics-8.3', '8.3: unpadded header with time, nan and inf cells'],
    ['ultralytics-8.3-being-written', '8.3 while being written: the incomplete last line is ignored'],
  ])('%s (%s)', (name) => {
    expect(parseResultsCsv(read(`${name}.csv`))).toEqual(JSON.parse(read(`${name}.want.json`)));
  });

  test('the YOLOv5 header is padded to 20 and the 8.0 header to 23 characters per column', () => {
    expect(read('yolov5.csv').startsWith(`${' '.repeat(15)}epoch,      train/box_loss,`)).toBe(true);
    expect(read('ultralytics-8.0-early.csv').startsWith(`${' '.repeat(18)}epoch,         train/box_loss,`)).toBe(true);
    expect(read('ultralytics-8.3.csv').startsWith('epoch,time,train/box_loss,')).toBe(true);
  });
});

describe('parseResultsCsv edge cases', () => {
  const header = 'epoch,train/box_loss,metrics/mAP50(B),val/box_loss,lr/pg0,lr/pg1\n';
  test.each([
    { name: 'empty file', given: '', want: { columns: [], rows: [] } },
    { name: 'header still being written', given: 'epoch,train/bo', want: { columns: [], rows: [] } },
    {
      name: 'header only',
      given: header,
      want: { columns: ['train/box_loss', 'metrics/mAP50(B)', 'val/box_loss', 'lr/pg0', 'lr/pg1'], rows: [] },
    },
    {
      name: 'CRLF, BOM, blank lines and upper-case nan/inf',
      given: '\uFEFFepoch, a ,b\r\n\r\n1, NaN ,-inf\r\n2,0.5,Infinity\r\n',
      want: { columns: ['a', 'b'], rows: [{ epoch: 1, values: { a: null, b: null } }, { epoch: 2, values: { a: 0.5, b: null } }] },
    },
    {
      name: 'short row keeps LR on the LR columns (validation block missing in the middle)',
      given: `${header}1,0.9,0.5,1.1,0.01,0.02\n2,0.8,0.001,0.002\n`,
      want: {
        columns: ['train/box_loss', 'metrics/mAP50(B)', 'val/box_loss', 'lr/pg0', 'lr/pg1'],
        rows: [
          { epoch: 1, values: { 'train/box_loss': 0.9, 'metrics/mAP50(B)': 0.5, 'val/box_loss': 1.1, 'lr/pg0': 0.01, 'lr/pg1': 0.02 } },
          { epoch: 2, values: { 'train/box_loss': 0.8, 'metrics/mAP50(B)': null, 'val/box_loss': null, 'lr/pg0': 0.001, 'lr/pg1': 0.002 } },
        ],
      },
    },
    {
      name: 'short row without LR columns is padded with null; extra cells are dropped',
      given: 'epoch,a,b\n1,0.1\n2,0.2,0.3,9\n',
      want: { columns: ['a', 'b'], rows: [{ epoch: 1, values: { a: 0.1, b: null } }, { epoch: 2, values: { a: 0.2, b: 0.3 } }] },
    },
    {
      name: 'a second header adds columns for the rows below it',
      given: 'epoch,a\n1,0.1\nepoch,a,c\n2,0.2,0.3\n',
      want: { columns: ['a', 'c'], rows: [{ epoch: 1, values: { a: 0.1 } }, { epoch: 2, values: { a: 0.2, c: 0.3 } }] },
    },
    {
      name: 'rows with a non-integer epoch are skipped; a re-run epoch stays in file order',
      given: 'epoch,a\n1,0.1\nx,0.5\n1.5,0.6\n2,0.2\n2,0.25\n',
      want: { columns: ['a'], rows: [{ epoch: 1, values: { a: 0.1 } }, { epoch: 2, values: { a: 0.2 } }, { epoch: 2, values: { a: 0.25 } }] },
    },
    {
      name: '0-based files are shifted as a whole, 1-based ones are kept',
      given: 'epoch,a\n0,0.1\n1,0.2\n',
      want: { columns: ['a'], rows: [{ epoch: 1, values: { a: 0.1 } }, { epoch: 2, values: { a: 0.2 } }] },
    },
  ])('$name', ({ given, want }) => {
    expect(parseResultsCsv(given)).toEqual(want);
  });

  test('throws ValidationError when data comes before an epoch header', () => {
    expect(() => parseResultsCsv('1,2,3\n')).toThrow(ValidationError);
  });
});
