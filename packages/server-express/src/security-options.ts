/** One rate limit: at most `limit` requests per `windowMs`, or `false` for none. */
export type RateLimit = { limit: number; windowMs: number } | false;

/**
 * Who may use the server and how hard (the `YOLOOPS_AUTH`, `YOLOOPS_CORS_ORIGINS`, `YOLOOPS_RATE_LIMIT_*`,
 * `YOLOOPS_TRUST_PROXY` and `YOLOOPS_NVIDIA_SMI` settings), shared by `startServer` and `createApp`.
 */
export interface SecurityOptions {
  auth?: {
    /** `required`: every route but the public ones needs a token; `off`: no token needed. Default: `off` on loopback, else `required`. */
    mode?: 'required' | 'off';
    /** HS256 secret (≥ 32 bytes); default a random one kept in `<dataDir>/secrets/jwt-secret` (mode 0600). */
    jwtSecret?: string;
    /** Password of the first admin (`admin`) created when there is no user yet. */
    adminPassword?: string;
    /** Lifetime of user tokens in seconds (default 86400). */
    tokenTtlS?: number;
    /** `admin` (default): only admins register users; `open`: anyone may register a member account. */
    registration?: 'admin' | 'open';
  };
  /** Extra browser origins allowed to call the API with credentials (default: none beyond same-origin and loopback dev ports). */
  corsOrigins?: readonly string[];
  /** Per-class limits; `false` turns every limit off. Defaults: train 10/hour, infer 60/min, api 120/min, login 10/min. */
  rateLimits?: Partial<Record<'train' | 'infer' | 'api' | 'login', RateLimit>> | false;
  /** Reverse proxies in front of the server whose `X-Forwarded-For` is trusted (default 0: none). */
  trustProxy?: number;
  /** GPU monitoring: the `nvidia-smi` program (default looked up on PATH) and the history sampler. */
  gpu?: { nvidiaSmi?: string; sampleIntervalMs?: number; historyMinutes?: number };
}
