// Prints the API's OpenAPI document (the one GET /openapi.json serves) to stdout, for the web
// app's generated client, with a fixed public URL so it does not depend on who generates it.
import { openApiDocument } from './openapi-document.ts';

process.stdout.write(
  `${JSON.stringify(await openApiDocument('http://localhost:8080'), null, 2)}\n`,
);
