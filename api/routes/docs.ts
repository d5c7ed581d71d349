import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { dirname } from 'node:path';
import express, { Router } from 'express';
import { openApiDocument } from '../openapi';

const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

/** Swagger UI page; assets are served from the installed swagger-ui-dist (no CDN), and the script is a file so the CSP can stay strict. */
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>identity-runbooks API</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;
const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });\n`;

/** GET /openapi.json (generated from the routers' zod schemas, once: routes are fixed at start) and GET /docs. */
export function docsRouter(registry: OpenAPIRegistry): Router {
  const router = Router();
  let document: object | undefined;
  router.get('/openapi.json', (_req, res) => {
    res.json((document ??= openApiDocument(registry)));
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_HTML);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(DOCS_INIT);
  });
  router.use('/docs/assets', express.static(SWAGGER_UI_DIR, { index: false, maxAge: '1d' }));
  return router;
}
