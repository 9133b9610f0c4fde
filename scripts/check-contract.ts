import { existsSync, readFileSync } from 'node:fs';
import { CLIENT_TYPES_PATH, OPENAPI_PATH, renderClientTypes, renderOpenApiYaml } from './openapi-document.js';

/** Fails when openapi/openapi.yaml or the client's generated types differ from what the route table gives. */
const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const yaml = renderOpenApiYaml();
const problems: string[] = [];
if (read(OPENAPI_PATH) !== yaml) problems.push(`${OPENAPI_PATH} is stale`);
if (read(CLIENT_TYPES_PATH) !== (await renderClientTypes(yaml))) problems.push(`${CLIENT_TYPES_PATH} is stale`);
if (problems.length > 0) {
  console.error(`contract drift: ${problems.join('; ')}.\nRun \`npm run contract:emit\` and commit the result.`);
  process.exit(1);
}
console.log('contract: openapi/openapi.yaml and the client types match the route table');
