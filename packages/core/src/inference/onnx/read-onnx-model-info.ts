import type { OnnxModelInfo, OnnxTensorInfo } from '../inference.types.js';
import { invalidOnnx, ProtobufReader } from './protobuf-reader.js';

/** TensorProto.DataLocation.EXTERNAL */
const EXTERNAL = 1;

interface GraphParts {
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  initializers: Set<string>;
  params: number;
}

interface TensorHeader {
  name: string;
  elements: number;
}

/** Where the reader collects what it finds in nested messages. */
interface Sink {
  locations: string[];
}

/**
 * Reads an ONNX model's header, metadata, graph inputs/outputs and external-data locations from its
 * protobuf bytes, without a runtime; tensor data is skipped, never decoded, so a 100 MB model takes ms.
 * Throws `ValidationError` (reason `invalid_onnx`) on anything that is not a well-formed ONNX model.
 * @example
 * const info = readOnnxModelInfo(await readFile('yolov8n.onnx'));
 * info.inputs[0]; // { name: 'images', elemType: 1, dims: [1, 3, 640, 640] }
 * @see https://github.com/onnx/onnx/blob/main/onnx/onnx.proto
 */
export function readOnnxModelInfo(bytes: Uint8Array): OnnxModelInfo {
  const r = new ProtobufReader(bytes);
  const sink: Sink = { locations: [] };
  const metadata: [string, string][] = [];
  const info = { irVersion: 0, producerName: '', producerVersion: '', opsetVersion: 0 };
  let graph: GraphParts | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: info.irVersion = r.int(); break;
      case 2: info.producerName = r.string(); break;
      case 3: info.producerVersion = r.string(); break;
      case 7: graph = readGraph(r.message(), sink); break;
      case 8: info.opsetVersion = Math.max(info.opsetVersion, defaultOpset(r.message())); break;
      case 14: metadata.push(readEntry(r.message())); break;
      case 20: readTrainingInfo(r.message(), sink); break;
      case 25: readNodesOf(r.message(), 7, sink); break;
      default: r.skip();
    }
  }
  if (info.irVersion <= 0) throw invalidOnnx('not an ONNX model (no ir_version)');
  if (graph === undefined) throw invalidOnnx('not an ONNX model (no graph)');
  const { inputs, outputs, initializers } = graph;
  return {
    ...info,
    metadata: Object.fromEntries(metadata),
    inputs: inputs.filter((i) => !initializers.has(i.name)),
    outputs,
    externalDataLocations: [...new Set(sink.locations)],
    totalParams: graph.params,
  };
}

/** OperatorSetIdProto: version of the default domain (`''` or `ai.onnx`), else 0. */
function defaultOpset(r: ProtobufReader): number {
  let domain = '';
  let version = 0;
  while (r.next()) {
    if (r.field === 1) domain = r.string();
    else if (r.field === 2) version = r.int();
    else r.skip();
  }
  return domain === '' || domain === 'ai.onnx' ? version : 0;
}

/** StringStringEntryProto as `[key, value]`. */
function readEntry(r: ProtobufReader): [string, string] {
  let key = '';
  let value = '';
  while (r.next()) {
    if (r.field === 1) key = r.string();
    else if (r.field === 2) value = r.string();
    else r.skip();
  }
  return [key, value];
}

/** GraphProto: inputs, outputs, initializer names; external data of every tensor into `sink`. */
function readGraph(r: ProtobufReader, sink: Sink): GraphParts {
  const parts: GraphParts = { inputs: [], outputs: [], initializers: new Set(), params: 0 };
  const addInitializer = ({ name, elements }: TensorHeader): void => {
    parts.initializers.add(name);
    parts.params += elements;
  };
  while (r.next()) {
    switch (r.field) {
      case 1: readNode(r.message(), sink); break;
      case 5: addInitializer(readTensor(r.message(), sink)); break;
      case 11: parts.inputs.push(readValueInfo(r.message())); break;
      case 12: parts.outputs.push(readValueInfo(r.message())); break;
      case 15: addInitializer(readSparseTensor(r.message(), sink)); break;
      default: r.skip();
    }
  }
  return parts;
}

/** TrainingInfoProto: `initialization` (1) and `algorithm` (2) are graphs that may hold external tensors. */
function readTrainingInfo(r: ProtobufReader, sink: Sink): void {
  while (r.next()) {
    if (r.field === 1 || r.field === 2) readGraph(r.message(), sink);
    else r.skip();
  }
}

/** Reads the NodeProtos in field `nodeField` of a message (FunctionProto keeps them in 7). */
function readNodesOf(r: ProtobufReader, nodeField: number, sink: Sink): void {
  while (r.next()) {
    if (r.field === nodeField) readNode(r.message(), sink);
    else r.skip();
  }
}

/** NodeProto: any attribute may carry a tensor or a subgraph (If/Loop/Scan, Constant). */
function readNode(r: ProtobufReader, sink: Sink): void {
  while (r.next()) {
    if (r.field === 5) readAttribute(r.message(), sink);
    else r.skip();
  }
}

/** AttributeProto: t (5), g (6), tensors (10), graphs (11), sparse_tensor (22), sparse_tensors (23). */
function readAttribute(r: ProtobufReader, sink: Sink): void {
  while (r.next()) {
    switch (r.field) {
      case 5: case 10: readTensor(r.message(), sink); break;
      case 6: case 11: readGraph(r.message(), sink); break;
      case 22: case 23: readSparseTensor(r.message(), sink); break;
      default: r.skip();
    }
  }
}

/** SparseTensorProto: values (1) and indices (2) are tensors; name of the values, elements of the dense dims (3). */
function readSparseTensor(r: ProtobufReader, sink: Sink): TensorHeader {
  let name = '';
  const dims: number[] = [];
  while (r.next()) {
    if (r.field === 1) name = readTensor(r.message(), sink).name;
    else if (r.field === 2) readTensor(r.message(), sink);
    else if (r.field === 3) for (const d of r.ints()) dims.push(d);
    else r.skip();
  }
  return { name, elements: elementCount(dims) };
}

const elementCount = (dims: readonly number[]): number => dims.reduce((n, d) => n * Math.max(d, 0), 1);

/**
 * TensorProto: returns its name and element count and records its external-data `location`. A tensor marked EXTERNAL
 * without a location records `''` so the containment check rejects it; raw data is skipped.
 */
function readTensor(r: ProtobufReader, sink: Sink): TensorHeader {
  let name = '';
  const dims: number[] = [];
  let external = false;
  let location: string | undefined;
  while (r.next()) {
    if (r.field === 8) name = r.string();
    else if (r.field === 1) for (const d of r.ints()) dims.push(d);
    else if (r.field === 14) external = r.int() === EXTERNAL;
    else if (r.field === 13) {
      const [key, value] = readEntry(r.message());
      if (key === 'location') location = value;
    } else r.skip();
  }
  if (location !== undefined) sink.locations.push(location);
  else if (external) sink.locations.push('');
  return { name, elements: elementCount(dims) };
}

/** ValueInfoProto → name, element type and dims (`[]` when the type has no shape). */
function readValueInfo(r: ProtobufReader): OnnxTensorInfo {
  const info: OnnxTensorInfo = { name: '', elemType: 0, dims: [] };
  while (r.next()) {
    if (r.field === 1) info.name = r.string();
    else if (r.field === 2) readTensorType(r.message(), info);
    else r.skip();
  }
  return info;
}

/** TypeProto → tensor_type (1) → elem_type (1), shape (2) → dim (1) → dim_value (1) | dim_param (2). */
function readTensorType(r: ProtobufReader, info: OnnxTensorInfo): void {
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    const tensor = r.message();
    while (tensor.next()) {
      if (tensor.field === 1) info.elemType = tensor.int();
      else if (tensor.field === 2) info.dims = readShape(tensor.message());
      else tensor.skip();
    }
  }
}

function readShape(r: ProtobufReader): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    const dim = r.message();
    let value: number | string | null = null;
    while (dim.next()) {
      if (dim.field === 1) value = dim.int();
      else if (dim.field === 2) value = dim.string() || null;
      else dim.skip();
    }
    dims.push(value);
  }
  return dims;
}
