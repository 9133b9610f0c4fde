export { createClient, type ClientOptions, type UploadOptions, type InferOptions, type VideoStreamEvent, type YoloopsClient, type Schemas, type ResponseOf, type RequestInit } from './client.js';
export { YoloopsApiError, toApiError } from './errors.js';
export type { UploadSource, UploadProgress } from './multipart.js';
export type { paths, components, operations } from './generated/openapi.js';
