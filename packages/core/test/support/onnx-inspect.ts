/**
 * Test-only: reads back ONNX models (header, graph inputs/outputs, initializers without data, nodes) and
 * splices them at the byte level — untouched fields, megabytes of weights among them, are copied verbatim.
 */
import { ProtoWriter, fieldInts, fieldText, readFields, type ProtoField } from './onnx-proto.js';
import { MODEL, OPSET_ID, ENTRY, GRAPH, NODE, TENSOR, VALUE_INFO, TYPE, TYPE_TENSOR, SHAPE, DIM, ANNOTATION } from './onnx-fields.js';
import { encodeEntry, encodeTensor, encodeNode, encodeValueInfo, type TensorSpec, type NodeSpec, type ValueInfoSpec } from './onnx-builder.js';

export interface InspectedTensorInfo {
  name: string;
  elemType: number;
  dims: (number | string | null)[] | null;
}

export interface InspectedInitializer {
  name: string;
  dataType: number;
  dims: number[];
  dataLocation: number;
  externalData: Record<string, string>;
  rawDataLength: number;
}

export interface InspectedNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
}

export interface InspectedModel {
  irVersion: number;
  producerName: string;
  opsetImports: { domain: string; version: number }[];
  /** Default-domain (`''` / `ai.onnx`) opset version, 0 when absent. */
  opset: number;
  metadata: Record<string, string>;
  inputs: InspectedTensorInfo[];
  outputs: InspectedTensorInfo[];
  initializers: InspectedInitializer[];
  nodes: InspectedNode[];
}

function readValueInfo(bytes: Uint8Array): InspectedTensorInfo {
  let name = '';
  let elemType = 0;
  let dims: (number | string | null)[] | null = null;
  for (const f of readFields(bytes)) {
    if (f.field === VALUE_INFO.name) name = fieldText(f);
    else if (f.field === VALUE_INFO.type) {
      for (const t of readFields(f.data)) {
        if (t.field !== TYPE.tensorType) continue;
        for (const tt of readFields(t.data)) {
          if (tt.field === TYPE_TENSOR.elemType) elemType = Number(tt.int);
          else if (tt.field === TYPE_TENSOR.shape) {
            dims = [];
            for (const d of readFields(tt.data)) {
              if (d.field !== SHAPE.dim) continue;
              let dim: number | string | null = null;
              for (const x of readFields(d.data)) {
                if (x.field === DIM.dimValue) dim = Number(BigInt.asIntN(64, x.int));
                else if (x.field === DIM.dimParam) dim = fieldText(x);
              }
              dims.push(dim);
            }
          }
        }
      }
    }
  }
  return { name, elemType, dims };
}

function readEntry(bytes: Uint8Array): [string, string] {
  let k = '';
  let v = '';
  for (const f of readFields(bytes)) {
    if (f.field === ENTRY.key) k = fieldText(f);
    else if (f.field === ENTRY.value) v = fieldText(f);
  }
  return [k, v];
}

function readInitializer(bytes: Uint8Array): InspectedInitializer {
  const fields = readFields(bytes);
  const out: InspectedInitializer = { name: '', dataType: 0, dims: fieldInts(fields, TENSOR.dims), dataLocation: 0, externalData: {}, rawDataLength: 0 };
  for (const f of fields) {
    if (f.field === TENSOR.name) out.name = fieldText(f);
    else if (f.field === TENSOR.dataType) out.dataType = Number(f.int);
    else if (f.field === TENSOR.dataLocation) out.dataLocation = Number(f.int);
    else if (f.field === TENSOR.rawData) out.rawDataLength = f.data.length;
    else if (f.field === TENSOR.externalData) {
      const [k, v] = readEntry(f.data);
      out.externalData[k] = v;
    }
  }
  return out;
}

function readNode(bytes: Uint8Array): InspectedNode {
  const n: InspectedNode = { opType: '', domain: '', name: '', inputs: [], outputs: [] };
  for (const f of readFields(bytes)) {
    if (f.field === NODE.input) n.inputs.push(fieldText(f));
    else if (f.field === NODE.output) n.outputs.push(fieldText(f));
    else if (f.field === NODE.opType) n.opType = fieldText(f);
    else if (f.field === NODE.domain) n.domain = fieldText(f);
    else if (f.field === NODE.name) n.name = fieldText(f);
  }
  return n;
}

/** The model's single `graph` field (throws when absent or repeated, which we do not merge). */
function graphField(modelFields: readonly ProtoField[]): ProtoField {
  const graphs = modelFields.filter((f) => f.field === MODEL.graph && f.wire === 2);
  if (graphs.length !== 1) throw new Error(`ModelProto: expected one graph field, found ${graphs.length}`);
  return graphs[0]!;
}

/** Reads a ModelProto's header, graph inputs/outputs, initializers (without data) and nodes. */
export function inspectModel(model: Uint8Array): InspectedModel {
  const fields = readFields(model);
  const out: InspectedModel = {
    irVersion: 0, producerName: '', opsetImports: [], opset: 0, metadata: {}, inputs: [], outputs: [], initializers: [], nodes: [],
  };
  for (const f of fields) {
    if (f.field === MODEL.irVersion) out.irVersion = Number(f.int);
    else if (f.field === MODEL.producerName) out.producerName = fieldText(f);
    else if (f.field === MODEL.metadataProps) {
      const [k, v] = readEntry(f.data);
      out.metadata[k] = v;
    } else if (f.field === MODEL.opsetImport) {
      let domain = '';
      let version = 0;
      for (const o of readFields(f.data)) {
        if (o.field === OPSET_ID.domain) domain = fieldText(o);
        else if (o.field === OPSET_ID.version) version = Number(o.int);
      }
      out.opsetImports.push({ domain, version });
      if (domain === '' || domain === 'ai.onnx') out.opset = Math.max(out.opset, version);
    }
  }
  const initNames = new Set<string>();
  const inputs: InspectedTensorInfo[] = [];
  for (const f of readFields(graphField(fields).data)) {
    if (f.field === GRAPH.node) out.nodes.push(readNode(f.data));
    else if (f.field === GRAPH.initializer) {
      const t = readInitializer(f.data);
      out.initializers.push(t);
      initNames.add(t.name);
    } else if (f.field === GRAPH.input) inputs.push(readValueInfo(f.data));
    else if (f.field === GRAPH.output) out.outputs.push(readValueInfo(f.data));
  }
  out.inputs = inputs.filter((i) => !initNames.has(i.name));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Splicing

export interface GraphEdit {
  /** Tensor renames, applied to existing node inputs/outputs, graph inputs/outputs, value_info, initializers and quantization annotations. */
  rename?: Readonly<Record<string, string>>;
  /** Drop the graph's existing outputs (then `outputs` are the only ones). Default false (append). */
  replaceOutputs?: boolean;
  /** Nodes appended after the existing ones (so they may consume any existing tensor). */
  nodes?: readonly NodeSpec[];
  initializers?: readonly TensorSpec[];
  outputs?: readonly ValueInfoSpec[];
  /** metadata_props to set (an existing entry with the same key is replaced). */
  metadata?: Readonly<Record<string, string>>;
  /** Replaces the producer name. */
  producerName?: string;
}

/** Rewrites the string fields `stringFields` of a message through `rename`; null when nothing matched. */
function renameIn(message: Uint8Array, stringFields: readonly number[], rename: ReadonlyMap<string, string>): Uint8Array | null {
  const fields = readFields(message);
  let changed = false;
  const w = new ProtoWriter();
  for (const f of fields) {
    if (f.wire === 2 && stringFields.includes(f.field)) {
      const to = rename.get(fieldText(f));
      if (to !== undefined) {
        w.string(f.field, to);
        changed = true;
        continue;
      }
    }
    w.raw(f.raw);
  }
  return changed ? w.finish() : null;
}

/** Returns a copy of `model` with `edit` applied (untouched fields are copied byte for byte). */
export function editModel(model: Uint8Array, edit: GraphEdit): Uint8Array {
  const modelFields = readFields(model);
  const rename = new Map(Object.entries(edit.rename ?? {}));
  const renamable: Partial<Record<number, readonly number[]>> = {
    [GRAPH.node]: [NODE.input, NODE.output],
    [GRAPH.input]: [VALUE_INFO.name],
    [GRAPH.output]: [VALUE_INFO.name],
    [GRAPH.valueInfo]: [VALUE_INFO.name],
    [GRAPH.initializer]: [TENSOR.name],
    [GRAPH.quantizationAnnotation]: [ANNOTATION.tensorName],
  };

  const g = new ProtoWriter();
  for (const f of readFields(graphField(modelFields).data)) {
    if (f.field === GRAPH.output && edit.replaceOutputs) continue;
    const inner = renamable[f.field];
    const renamed = rename.size > 0 && inner && f.wire === 2 ? renameIn(f.data, inner, rename) : null;
    if (renamed) g.message(f.field, renamed);
    else g.raw(f.raw);
  }
  for (const n of edit.nodes ?? []) g.message(GRAPH.node, encodeNode(n));
  for (const t of edit.initializers ?? []) g.message(GRAPH.initializer, encodeTensor(t));
  for (const o of edit.outputs ?? []) g.message(GRAPH.output, encodeValueInfo(o));
  const graph = g.finish();

  const meta = edit.metadata ?? {};
  const m = new ProtoWriter();
  for (const f of modelFields) {
    if (f.field === MODEL.graph) m.message(MODEL.graph, graph);
    else if (f.field === MODEL.metadataProps && readEntry(f.data)[0] in meta) continue;
    else if (f.field === MODEL.producerName && edit.producerName !== undefined) continue;
    else m.raw(f.raw);
  }
  if (edit.producerName !== undefined) m.string(MODEL.producerName, edit.producerName);
  for (const [k, v] of Object.entries(meta)) m.message(MODEL.metadataProps, encodeEntry(k, v));
  return m.finish();
}

/** Sets metadata_props on an existing model (e.g. `names` on the fixture, whose quantizer dropped them). */
export function withMetadata(model: Uint8Array, metadata: Readonly<Record<string, string>>): Uint8Array {
  return editModel(model, { metadata });
}

/**
 * Rewrites graph outputs' declared shapes, keeping their order and element types: `dims` of a name
 * replaces its shape, `undefined` drops the shape (no `type.tensor_type.shape`, as graph surgery leaves it).
 * @example withOutputShapes(fixture, { output0: ['batch', 'anchors', 'boxes'] })
 */
export function withOutputShapes(model: Uint8Array, shapes: Readonly<Record<string, readonly (number | string | null)[] | undefined>>): Uint8Array {
  const { outputs } = inspectModel(model);
  for (const name of Object.keys(shapes)) if (!outputs.some((o) => o.name === name)) throw new Error(`no graph output ${name}`);
  return editModel(model, {
    replaceOutputs: true,
    outputs: outputs.map((o) => {
      const dims = o.name in shapes ? shapes[o.name] : (o.dims ?? undefined);
      return { name: o.name, elemType: o.elemType, ...(dims === undefined ? {} : { dims }) };
    }),
  });
}
