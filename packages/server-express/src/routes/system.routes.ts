import { findFfmpeg } from '@yoloops/core/node';
import { z } from 'zod';
import { defineRoute, type Route } from '../http/route.js';

const Source = z.enum(['env', 'system', 'npm']).describe('env: YOLOOPS_FFMPEG / YOLOOPS_FFPROBE; system: found on PATH; npm: the optional @ffmpeg-installer / @ffprobe-installer binaries.');
const VideoToolsSchema = z
  .object({
    ffmpeg: z.object({ path: z.string(), source: Source, version: z.string(), h264: z.boolean().describe('Has libx264 (annotated videos are written with it).') }).nullable(),
    ffprobe: z.object({ path: z.string(), source: Source }).nullable(),
  })
  .describe('The programs video inference runs, as found when the server first answered /health; both null when either is missing (video routes then answer 503).')
  .meta({ id: 'VideoTools' });
type VideoTools = z.infer<typeof VideoToolsSchema>;

/** Looked up once per process: /health (and /api/v1/health/detailed) never runs ffmpeg after its first answer. */
let videoTools: Promise<VideoTools> | undefined;
export function lookUpVideoTools(): Promise<VideoTools> {
  videoTools ??= findFfmpeg().then(
    (tools) => (tools
      ? { ffmpeg: { path: tools.ffmpeg, source: tools.source, version: tools.version, h264: tools.h264 }, ffprobe: { path: tools.ffprobe, source: tools.ffprobeSource } }
      : { ffmpeg: null, ffprobe: null }),
    (error: unknown) => {
      videoTools = undefined;
      throw error;
    },
  );
  return videoTools;
}

export const systemRoutes: Route[] = [
  defineRoute({
    method: 'get', path: '/', operationId: 'getRoot', summary: 'Service name and version', tags: ['system'], auth: 'public',
    responses: { 200: { description: 'Service info', schema: z.object({ message: z.string(), version: z.string() }).meta({ id: 'RootInfo' }) } },
    handler: async () => ({ message: 'YOLO Training Platform API', version: '1.0.0' }),
  }),
  defineRoute({
    method: 'get', path: '/health', operationId: 'getHealth', summary: 'Liveness check, and the video programs in use', tags: ['system'], auth: 'public',
    responses: { 200: { description: 'Healthy', schema: z.object({ status: z.literal('ok'), video: VideoToolsSchema }).meta({ id: 'Health' }) } },
    handler: async () => ({ status: 'ok' as const, video: await lookUpVideoTools() }),
  }),
];
