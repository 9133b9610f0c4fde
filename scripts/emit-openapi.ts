import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLIENT_TYPES_PATH, OPENAPI_PATH, renderClientTypes, renderOpenApiYaml } from './openapi-document.js';

const yaml = renderOpenApiYaml();
writeFileSync(OPENAPI_PATH, yaml);
mkdirSync(path.dirname(CLIENT_TYPES_PATH), { recursive: true });
writeFileSync(CLIENT_TYPES_PATH, await renderClientTypes(yaml));
console.log(`wrote ${OPENAPI_PATH} and ${CLIENT_TYPES_PATH}`);
