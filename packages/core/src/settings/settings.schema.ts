import { z } from 'zod';

const percent = (text: string) => z.number().int().min(0).max(100).describe(text);

const thresholds = {
  warning_utilization: percent('Utilization warning level, %.'),
  critical_utilization: percent('Utilization critical level, %.'),
  warning_memory: percent('Memory-use warning level, %.'),
  critical_memory: percent('Memory-use critical level, %.'),
};

/** A warning level never exceeds its critical level. */
function checkOrder(t: Record<keyof typeof thresholds, number>, ctx: z.RefinementCtx): void {
  for (const kind of ['utilization', 'memory'] as const) {
    const warning = t[`warning_${kind}`];
    const critical = t[`critical_${kind}`];
    if (warning > critical) ctx.addIssue({ code: 'custom', path: [`warning_${kind}`], message: `warning_${kind} (${warning}) must not exceed critical_${kind} (${critical})` });
  }
}

/** GPU alert thresholds (%), the origin's names; a warning never exceeds its critical level. */
export const GpuThresholdsSchema = z.object(thresholds).superRefine(checkOrder).meta({ id: 'GpuThresholds' });
export type GpuThresholds = z.output<typeof GpuThresholdsSchema>;

/** Body of `POST /settings/gpu-thresholds`: as the origin's model, a field left out takes its default (80/95/80/95). */
export const GpuThresholdsUpdateSchema = z
  .object({
    warning_utilization: thresholds.warning_utilization.default(80),
    critical_utilization: thresholds.critical_utilization.default(95),
    warning_memory: thresholds.warning_memory.default(80),
    critical_memory: thresholds.critical_memory.default(95),
  })
  .superRefine(checkOrder)
  .meta({ id: 'GpuThresholdsUpdate' });
export const DEFAULT_GPU_THRESHOLDS: GpuThresholds = GpuThresholdsUpdateSchema.parse({});

const fields = {
  theme: z.enum(['light', 'dark', 'auto']),
  language: z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, 'language must be a language tag such as zh-CN or en-US'),
  notifications: z.boolean(),
  default_project: z.number().int().min(1).nullable().describe('Numeric id of the project the UI opens first.'),
  gpu_alerts: z.boolean(),
  task_completion_alerts: z.boolean(),
};

/** A user's UI preferences (the origin's `/settings/user` fields), stored per user. */
export const UserPreferencesSchema = z.object(fields).meta({ id: 'UserPreferences' });
export type UserPreferences = z.infer<typeof UserPreferencesSchema>;
export const DEFAULT_USER_PREFERENCES: UserPreferences = {
  theme: 'light', language: 'zh-CN', notifications: true, default_project: null, gpu_alerts: true, task_completion_alerts: true,
};

/** Body of `PUT /settings/user`: the fields to change (others keep their value); unknown fields are refused. */
export const UserPreferencesPatchSchema = z.strictObject(fields).partial().meta({ id: 'UserPreferencesPatch' });
export type UserPreferencesPatch = z.infer<typeof UserPreferencesPatchSchema>;
