import { z } from 'zod';

const percent = (text: string) => z.number().int().min(0).max(100).describe(text);

/** GPU alert thresholds (%), the origin's names and defaults 80/95/80/95; a warning never exceeds its critical level. */
export const GpuThresholdsSchema = z
  .object({
    warning_utilization: percent('Utilization warning level, %.').default(80),
    critical_utilization: percent('Utilization critical level, %.').default(95),
    warning_memory: percent('Memory-use warning level, %.').default(80),
    critical_memory: percent('Memory-use critical level, %.').default(95),
  })
  .superRefine((t, ctx) => {
    if (t.warning_utilization > t.critical_utilization) {
      ctx.addIssue({ code: 'custom', path: ['warning_utilization'], message: `warning_utilization (${t.warning_utilization}) must not exceed critical_utilization (${t.critical_utilization})` });
    }
    if (t.warning_memory > t.critical_memory) {
      ctx.addIssue({ code: 'custom', path: ['warning_memory'], message: `warning_memory (${t.warning_memory}) must not exceed critical_memory (${t.critical_memory})` });
    }
  })
  .meta({ id: 'GpuThresholds' });
export type GpuThresholds = z.output<typeof GpuThresholdsSchema>;
export const DEFAULT_GPU_THRESHOLDS: GpuThresholds = GpuThresholdsSchema.parse({});

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
