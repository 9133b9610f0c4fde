import type { Route } from '../http/route.js';

export const seed000Routes: Route[] = [];
