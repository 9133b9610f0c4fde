import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { toApiError } from './errors.js';
import type { components, paths } from './generated/openapi.js';
import { multipartBody, multipartParts, type FilePart, type UploadProgress, type UploadSource } from './multipart.js';
import { parseSseData } from './sse.js';

export type Schemas = components['schemas'];
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Json<T> = T extends { content: { 'application/json': infer J } } ? J : never;
/** The JSON body of an operation's 200 (else 201) response; `undefined` for a 204. */
export type ResponseOf<P extends keyof paths, M extends Method> = paths[P][M] extends { responses: { 200: infer R } }
  ? Json<R>
  : paths[P][M] extends { responses: { 201: infer R } }
    ? Json<R>
    : paths[P][M] extends { responses: { 204: unknown } }
      ? undefined
      : never;
type BodyOf<O> = O extends { requestBody: { content: { 'application/json': infer B } } } ? B : undefined;
type PathOf<O> = O extends { parameters: { path: infer P } } ? P : undefined;
type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? Q : undefined;

type BodyFor<P extends keyof paths, M extends Method & keyof paths[P]> = NonNullable<BodyOf<paths[P][M]>>;
type QueryFor<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;

export interface RequestInit<O> {
  params?: PathOf<O>;
  query?: QueryOf<O>;
  body?: BodyOf<O>;
}

export interface ClientOptions {
  /** e.g. `http://localhost:8000` */
  baseUrl: string;
  /** undici dispatcher (pooling, proxies, mocks); default: a keep-alive Agent. */
  dispatcher?: Dispatcher;
  headers?: Record<string, string>;
  /**
   * Bearer token sent as `Authorization: Bearer <token>` on every request (a login token, or an API
   * token); `auth.login()` sets it too. Change it later with `setToken`.
   */
  token?: string;
}

export interface InferOptions {
  /** Confidence threshold 0–1 (server default 0.25). */
  conf?: number;
}

/** An event of `inference.videoStream` (the origin's SSE payloads). */
export type VideoStreamEvent =
  | { type: 'info'; fps: number; width: number; height: number; total_frames: number }
  | { type: 'frame'; frame_number: number; frame_data: string; detections: { class_id: number; class_name: string; conf: number; bbox: [number, number, number, number] }[] }
  | { type: 'complete'; processed_frames: number };

export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
}

function buildUrl(baseUrl: string, template: string, params: object | undefined, query: object | undefined): string {
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = (params as Record<string, unknown> | undefined)?.[name];
    if (value === undefined) throw new TypeError(`missing path parameter ${name} for ${template}`);
    return encodeURIComponent(String(value));
  });
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
  return url.toString();
}

/**
 * Typed client of the yoloops API: one generic `request` over every route of openapi/openapi.yaml,
 * plus named methods, multipart uploads with progress, and ZIP downloads to memory or disk.
 * @example
 * const api = createClient({ baseUrl: 'http://localhost:8000' });
 * const ds = await api.datasets.upload('coco8.zip', { onProgress: (p) => console.log(p.sentBytes) });
 * const prepared = await api.datasets.prepare(ds.dataset_id, { split_ratio: { train: 0.8, val: 0.2 } });
 */
export function createClient(options: ClientOptions) {
  const dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000 });
  let token = options.token;

  async function send(method: string, url: string, body?: { contentType: string; contentLength?: number; body: unknown }) {
    const headers: Record<string, string> = { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers };
    if (body) headers['content-type'] = body.contentType;
    if (body?.contentLength !== undefined) headers['content-length'] = String(body.contentLength);
    const res = await undiciRequest(url, { method: method.toUpperCase() as Dispatcher.HttpMethod, headers, body: body?.body as never, dispatcher });
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* plain-text error body */
      }
      throw toApiError(res.statusCode, parsed);
    }
    return res;
  }

  async function request<P extends keyof paths, M extends Method & keyof paths[P]>(
    method: M, path: P, init: RequestInit<paths[P][M]> = {},
  ): Promise<ResponseOf<P, M & Method>> {
    const url = buildUrl(options.baseUrl, path as string, init.params as object, init.query as object);
    const json = init.body === undefined ? undefined : { contentType: 'application/json', body: JSON.stringify(init.body) };
    const res = await send(method, url, json);
    if (res.statusCode === 204) {
      await res.body.dump();
      return undefined as ResponseOf<P, M & Method>;
    }
    return (await res.body.json()) as ResponseOf<P, M & Method>;
  }

  async function upload<P extends keyof paths>(path: P, field: string, source: UploadSource, opts: UploadOptions & { fields?: Record<string, string> } = {}) {
    const body = await multipartBody(field, source, opts.fields, opts.onProgress);
    const res = await send('post', buildUrl(options.baseUrl, path as string, undefined, undefined), body);
    return (await res.body.json()) as ResponseOf<P, 'post'>;
  }

  /** POSTs files (+ form fields) to a multipart route and returns its JSON. */
  async function postFiles<P extends keyof paths>(path: P, params: object | undefined, files: readonly FilePart[], fields: Record<string, string> = {}, onProgress?: UploadOptions['onProgress']) {
    const body = await multipartParts(files, fields, onProgress);
    const res = await send('post', buildUrl(options.baseUrl, path as string, params, undefined), body);
    return (await res.body.json()) as ResponseOf<P, 'post'>;
  }

  /** POSTs a video and yields the SSE events; an `{error}` event throws `YoloopsApiError`. */
  async function* videoEvents(modelId: string, video: UploadSource, fields: Record<string, string>): AsyncGenerator<VideoStreamEvent> {
    const body = await multipartParts([{ field: 'file', source: video }], fields);
    const res = await send('post', buildUrl(options.baseUrl, '/infer/video/{model_id}/stream', { model_id: modelId }, undefined), body);
    for await (const data of parseSseData(res.body)) {
      const event = JSON.parse(data) as VideoStreamEvent | { error: string };
      if ('error' in event) throw toApiError(res.statusCode, event);
      yield event;
    }
  }

  const confFields = (opts: InferOptions = {}): Record<string, string> => (opts.conf === undefined ? {} : { conf: String(opts.conf) });

  /** GETs a binary route: its bytes in memory, or streamed to the file `saveTo` (then it resolves to an empty array). */
  async function download(url: string, saveTo?: string): Promise<Uint8Array> {
    const res = await send('get', url);
    if (!saveTo) return new Uint8Array(await res.body.arrayBuffer());
    await pipeline(res.body, createWriteStream(saveTo));
    return new Uint8Array();
  }

  async function* streamLines(url: string): AsyncGenerator<string> {
    const res = await send('get', url);
    yield* parseSseData(res.body);
  }

  const exportUrl = (id: string, kind: 'annotated' | 'original', version = 'v1') =>
    buildUrl(options.baseUrl, `/datasets/{dataset_id}/export/${kind}`, { dataset_id: id }, { version });

  return {
    request,
    /** Replaces the bearer token of later requests (`undefined`: send none). */
    setToken: (value: string | undefined) => {
      token = value;
    },
    /** The bearer token requests carry now. */
    getToken: () => token,
    /** Accounts: log in (the token is then sent on every request), who am I, log out, passwords, registration. */
    auth: {
      /** OAuth2 password form (POST /api/v1/auth/token); keeps the token for later requests and returns the answer. */
      login: async (username: string, password: string) => {
        const form = { contentType: 'application/x-www-form-urlencoded', body: new URLSearchParams({ username, password }).toString() };
        const res = await send('post', buildUrl(options.baseUrl, '/api/v1/auth/token', undefined, undefined), form);
        const answer = (await res.body.json()) as ResponseOf<'/api/v1/auth/token', 'post'>;
        token = answer.access_token;
        return answer;
      },
      /** Seed 003's JSON login (POST /api/v1/login) on the same accounts; keeps the token too. */
      loginJson: async (username: string, password: string) => {
        const answer = await request('post', '/api/v1/login', { body: { username, password } });
        token = answer.token;
        return answer;
      },
      me: () => request('get', '/api/v1/auth/me'),
      /** Revokes the current token and forgets it. */
      logout: async () => {
        const answer = await request('post', '/api/v1/auth/logout');
        token = undefined;
        return answer;
      },
      register: (body: BodyFor<'/api/v1/auth/register', 'post'>) => request('post', '/api/v1/auth/register', { body }),
      /** Ends every older token of the account; keeps the new one it answers. */
      changePassword: async (currentPassword: string, newPassword: string) => {
        const answer = await request('put', '/api/v1/auth/password', { body: { current_password: currentPassword, new_password: newPassword } });
        token = answer.access_token;
        return answer;
      },
    },
    /** Account administration (admins). */
    users: {
      list: () => request('get', '/api/v1/users'),
      update: (userId: number, body: BodyFor<'/api/v1/users/{user_id}', 'patch'>) => request('patch', '/api/v1/users/{user_id}', { params: { user_id: userId }, body }),
    },
    system: {
      root: () => request('get', '/'),
      health: () => request('get', '/health'),
    },
    datasets: {
      upload: (source: UploadSource, opts?: UploadOptions) => upload('/datasets/upload', 'file', source, opts),
      prepare: (datasetId: string, body: Schemas['PrepareRequest'] = {}) =>
        request('post', '/datasets/{dataset_id}/prepare', { params: { dataset_id: datasetId }, body }),
      list: () => request('get', '/datasets'),
      get: (datasetId: string) => request('get', '/datasets/{dataset_id}', { params: { dataset_id: datasetId } }),
      update: (datasetId: string, body: Schemas['DatasetUpdate']) => request('put', '/datasets/{dataset_id}', { params: { dataset_id: datasetId }, body }),
      delete: (datasetId: string) => request('delete', '/datasets/{dataset_id}', { params: { dataset_id: datasetId } }),
      exportAnnotated: (datasetId: string, opts: { version?: string; saveTo?: string } = {}) => download(exportUrl(datasetId, 'annotated', opts.version), opts.saveTo),
      exportOriginal: (datasetId: string, opts: { version?: string; saveTo?: string } = {}) => download(exportUrl(datasetId, 'original', opts.version), opts.saveTo),
    },
    annotations: {
      createTask: (body: Schemas['CreateTaskRequest']) => request('post', '/annotations/tasks', { body }),
      listItems: (taskId: string) => request('get', '/annotations/tasks/{task_id}/items', { params: { task_id: taskId } }),
      getItem: (taskId: string, imageId: string) =>
        request('get', '/annotations/tasks/{task_id}/items/{image_id}', { params: { task_id: taskId, image_id: imageId } }),
      saveItem: (taskId: string, imageId: string, boxes: Schemas['PixelBox'][]) =>
        request('post', '/annotations/tasks/{task_id}/items/{image_id}', { params: { task_id: taskId, image_id: imageId }, body: { boxes } }),
      exportYolo: (taskId: string, format = 'yolo') =>
        request('get', '/annotations/tasks/{task_id}/export', { params: { task_id: taskId }, query: { format } }),
    },
    training: {
      create: (body: BodyFor<'/train/jobs', 'post'>) => request('post', '/train/jobs', { body }),
      list: () => request('get', '/train/jobs'),
      get: (jobId: string) => request('get', '/train/jobs/{job_id}', { params: { job_id: jobId } }),
      /** Registers a seed 004 caller's own task id (32 hex) as an external job; answers it with its `notify_url`. */
      registerExternal: (taskId: string) => request('post', '/train/jobs/external', { body: { task_id: taskId } }),
      /** Stored epochs of the job, ascending (also an external job's, reported by its caller). */
      metrics: (jobId: string) => request('get', '/train/jobs/{job_id}/metrics', { params: { job_id: jobId } }),
      stop: (jobId: string) => request('post', '/train/jobs/{job_id}/stop', { params: { job_id: jobId } }),
      resume: (jobId: string) => request('post', '/train/jobs/{job_id}/resume', { params: { job_id: jobId } }),
      delete: (jobId: string) => request('delete', '/train/jobs/{job_id}', { params: { job_id: jobId } }),
      extend: (jobId: string, body: BodyFor<'/train/jobs/{job_id}/extend', 'post'>) =>
        request('post', '/train/jobs/{job_id}/extend', { params: { job_id: jobId }, body }),
    },
    logs: {
      /** Follows a job's log: the last lines first, then new ones, until the job ends (`for await … of`). */
      stream: (jobId: string) => streamLines(buildUrl(options.baseUrl, '/train/jobs/{job_id}/logs/stream', { job_id: jobId }, undefined)),
      tail: (jobId: string, offset = 0) => request('get', '/train/jobs/{job_id}/logs/tail', { params: { job_id: jobId }, query: { offset } as never }),
      lines: (jobId: string, n = 100) => request('get', '/train/jobs/{job_id}/logs/lines', { params: { job_id: jobId }, query: { n } as never }),
    },
    models: {
      list: () => request('get', '/models'),
      get: (modelId: string) => request('get', '/models/{model_id}', { params: { model_id: modelId } }),
      update: (modelId: string, body: BodyFor<'/models/{model_id}', 'put'>) => request('put', '/models/{model_id}', { params: { model_id: modelId }, body }),
      delete: (modelId: string) => request('delete', '/models/{model_id}', { params: { model_id: modelId } }),
      /** Registers a model ZIP (`<id>/model.json + <id>/weights/*` or `model.json + weights/*`). */
      upload: (source: UploadSource, opts?: UploadOptions) => upload('/models/upload', 'file', source, opts),
      /** The model as ZIP bytes, or streamed to `saveTo`. */
      export: (modelId: string, opts: { saveTo?: string } = {}) => download(buildUrl(options.baseUrl, '/models/{model_id}/export', { model_id: modelId }, undefined), opts.saveTo),
      /** Training charts as PNG bytes. */
      charts: (modelId: string, chartType: 'loss' | 'metrics' | 'all' = 'all') =>
        download(buildUrl(options.baseUrl, '/models/{model_id}/charts', { model_id: modelId }, { chart_type: chartType })),
    },
    inference: {
      /** Detections in one image (`POST /infer/{model_id}`). */
      detect: (modelId: string, image: UploadSource, opts?: InferOptions) =>
        postFiles('/infer/{model_id}', { model_id: modelId }, [{ field: 'file', source: image }], confFields(opts)),
      /** Several models on several images (`POST /infer/batch/run`). */
      batch: (modelIds: readonly string[], images: readonly UploadSource[], opts?: InferOptions) =>
        postFiles('/infer/batch/run', undefined, images.map((source) => ({ field: 'files', source })), { model_ids: modelIds.join(','), ...confFields(opts) }),
      /** Detects and saves a session (annotated JPEGs, results.csv, metadata.json). */
      exportSession: (modelId: string, images: readonly UploadSource[], opts?: InferOptions) =>
        postFiles('/infer/{model_id}/export', { model_id: modelId }, images.map((source) => ({ field: 'files', source })), confFields(opts)),
      /** A saved session as ZIP bytes, or streamed to `saveTo`. */
      downloadSession: (sessionId: string, opts: { saveTo?: string } = {}) =>
        download(buildUrl(options.baseUrl, '/infer/results/{session_id}/export', { session_id: sessionId }, undefined), opts.saveTo),
      /** A whole video annotated (base64 H.264 MP4 in `video_data`) with statistics. */
      video: (modelId: string, video: UploadSource, opts?: InferOptions) =>
        postFiles('/infer/video/{model_id}', { model_id: modelId }, [{ field: 'file', source: video }], confFields(opts)),
      /** A video frame by frame: `for await (const event of client.inference.videoStream(id, 'clip.mp4'))`. */
      videoStream: (modelId: string, video: UploadSource, opts?: InferOptions) => videoEvents(modelId, video, confFields(opts)),
    },
    /** Seed 002's projects (a member sees and changes its own). */
    projects: {
      list: (query: QueryFor<'/api/v1/projects'> = {}) => request('get', '/api/v1/projects', { query: query as never }),
      get: (id: number) => request('get', '/api/v1/projects/{project_id}', { params: { project_id: String(id) } }),
      create: (body: BodyFor<'/api/v1/projects', 'post'>) => request('post', '/api/v1/projects', { body }),
      update: (id: number, body: BodyFor<'/api/v1/projects/{project_id}', 'put'>) => request('put', '/api/v1/projects/{project_id}', { params: { project_id: String(id) }, body }),
      delete: (id: number) => request('delete', '/api/v1/projects/{project_id}', { params: { project_id: String(id) } }),
    },
    /** Seed 002's tasks: training jobs, dataset preparations and processing runs, by number or by the job's/dataset's/run's id. */
    tasks: {
      list: (query: QueryFor<'/api/v1/tasks'> = {}) => request('get', '/api/v1/tasks', { query: query as never }),
      get: (ref: number | string) => request('get', '/api/v1/tasks/{task_id}', { params: { task_id: String(ref) } }),
    },
    /** Seed 003's fine-tuning: a LoRA job on a processed instruction dataset (queued, 202), its status, its cancel (SIGINT first). */
    finetune: {
      /** `dataset_path`: the `output_path` or `task_id` of `catalog.datasets.process`, or `<dataset id>/<output_name>`. */
      start: (body: BodyFor<'/api/v1/train', 'post'>) => request('post', '/api/v1/train', { body }) as Promise<Schemas['Seed003TrainStarted']>,
      status: (taskId: string) => request('get', '/api/v1/train/status/{task_id}', { params: { task_id: taskId } }),
      cancel: (taskId: string) => request('post', '/api/v1/train/cancel/{task_id}', { params: { task_id: taskId } }),
    },
    /** Seed 002's datasets and models (`/api/v1/…`): records by number or id, uploaded later. */
    catalog: {
      datasets: {
        list: (query: QueryFor<'/api/v1/datasets'> = {}) => request('get', '/api/v1/datasets', { query: query as never }),
        get: (ref: number | string) => request('get', '/api/v1/datasets/{dataset_id}', { params: { dataset_id: String(ref) } }),
        create: (body: BodyFor<'/api/v1/datasets', 'post'>) => request('post', '/api/v1/datasets', { body }),
        /** Uploads the record's dataset ZIP; the server prepares it before answering. */
        upload: (ref: number | string, zip: UploadSource, opts: UploadOptions = {}) =>
          postFiles('/api/v1/datasets/{dataset_id}/upload', { dataset_id: String(ref) }, [{ field: 'file', source: zip }], {}, opts.onProgress),
        delete: (ref: number | string) => request('delete', '/api/v1/datasets/{dataset_id}', { params: { dataset_id: String(ref) } }),
        /** Seed 003's `POST /api/v1/datasets/upload`: an instruction dataset (.json, .jsonl, .csv), checked record by record. */
        uploadInstructions: (file: UploadSource, fields: { name: string; description?: string; format?: 'json' | 'jsonl' | 'csv' }, opts: UploadOptions = {}) =>
          postFiles('/api/v1/datasets/upload', undefined, [{ field: 'file', source: file }], Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)), opts.onProgress),
        /**
         * Seed 003's `POST /api/v1/datasets/process`: the finished run (status `completed`), or — when it outlasts
         * `wait_s` (server default 25) — status `running` with the `task_id` to poll at `tasks.get`.
         */
        process: (body: BodyFor<'/api/v1/datasets/process', 'post'>, query: { wait_s?: number } = {}) =>
          request('post', '/api/v1/datasets/process', { body, query: query as never }) as Promise<Schemas['InstructionProcessResult'] | Schemas['Seed003ProcessRunning']>,
        /** An instruction dataset's validation report, by number or `ids_…` id. */
        report: (ref: number | string) => request('get', '/api/v1/datasets/{dataset_id}/report', { params: { dataset_id: String(ref) } }),
      },
      models: {
        list: (query: QueryFor<'/api/v1/models'> = {}) => request('get', '/api/v1/models', { query: query as never }),
        get: (ref: number | string) => request('get', '/api/v1/models/{model_id}', { params: { model_id: String(ref) } }),
        create: (body: BodyFor<'/api/v1/models', 'post'>) => request('post', '/api/v1/models', { body }),
        /** Registers the record's model ZIP (the `POST /models/upload` layouts). */
        upload: (ref: number | string, zip: UploadSource, opts: UploadOptions = {}) =>
          postFiles('/api/v1/models/{model_id}/upload', { model_id: String(ref) }, [{ field: 'file', source: zip }], {}, opts.onProgress),
        delete: (ref: number | string) => request('delete', '/api/v1/models/{model_id}', { params: { model_id: String(ref) } }),
      },
    },
    /** The server's GPUs now (nvidia-smi) and their sampled history (seed 002). */
    gpu: {
      status: () => request('get', '/api/v1/gpu'),
      /** The last `minutes` (1–1440, server default 10). */
      history: (minutes?: number) => request('get', '/api/v1/gpu/history', { query: (minutes === undefined ? {} : { minutes: String(minutes) }) as never }),
    },
    /** Seed 002's settings: system and storage facts, GPU thresholds (set by admins), training defaults, the signed-in user's preferences. */
    settings: {
      system: () => request('get', '/api/v1/settings/system'),
      storage: () => request('get', '/api/v1/settings/storage'),
      gpuThresholds: () => request('get', '/api/v1/settings/gpu-thresholds'),
      setGpuThresholds: (body: BodyFor<'/api/v1/settings/gpu-thresholds', 'post'>) => request('post', '/api/v1/settings/gpu-thresholds', { body }),
      training: () => request('get', '/api/v1/settings/training'),
      user: () => request('get', '/api/v1/settings/user'),
      updateUser: (body: BodyFor<'/api/v1/settings/user', 'put'>) => request('put', '/api/v1/settings/user', { body }),
    },
    /** `/api/v1` itself: its endpoints, service info and health checks. */
    api: {
      index: () => request('get', '/api/v1'),
      info: () => request('get', '/api/v1/info'),
      health: () => request('get', '/api/v1/health'),
      healthDetailed: () => request('get', '/api/v1/health/detailed'),
    },
    seed000: {
      trainingMetrics: (modelId: string, query: QueryFor<'/api/models/{model_id}/training-metrics'> = {}) =>
        request('get', '/api/models/{model_id}/training-metrics', { params: { model_id: modelId }, query: query as never }),
      trainingChart: (modelId: string, query: QueryFor<'/api/models/{model_id}/training-metrics/chart'> = {}) =>
        request('get', '/api/models/{model_id}/training-metrics/chart', { params: { model_id: modelId }, query: query as never }),
    },
    /** Seed 002's training (catalog, submit, jobs) and loss curves, over the real job service. */
    seed002: {
      training: {
        models: () => request('get', '/api/v1/training/models'),
        templates: () => request('get', '/api/v1/training/templates'),
        datasets: () => request('get', '/api/v1/training/datasets'),
        /** Queues a real job; `dataset_id` is a number or a `ds_…` id. */
        submit: (body: BodyFor<'/api/v1/training/submit', 'post'>) => request('post', '/api/v1/training/submit', { body }),
        jobs: (query: QueryFor<'/api/v1/training/jobs'> = {}) => request('get', '/api/v1/training/jobs', { query: query as never }),
        /** A job by number or job id, with its last log lines. */
        job: (ref: number | string) => request('get', '/api/v1/training/jobs/{job_id}', { params: { job_id: String(ref) } }),
      },
      metrics: {
        /** A job's (number or id) or a named experiment's loss per epoch; no id: the newest job with epochs. `steps`: the point budget. */
        loss: (query: { experiment_id?: string | number; steps?: number } = {}) =>
          request('get', '/api/v1/metrics/loss', {
            query: Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])) as never,
          }),
        summary: () => request('get', '/api/v1/metrics/metrics/summary'),
      },
    },
    /** Fetches an image the way the origin frontend does: `/static/<image_path>`. */
    staticFile: (imagePath: string) => download(`${options.baseUrl.replace(/\/+$/, '')}/static/${imagePath.split('/').map(encodeURIComponent).join('/')}`),
    close: () => (options.dispatcher ? Promise.resolve() : dispatcher.close()),
  };
}

export type YoloopsClient = ReturnType<typeof createClient>;
