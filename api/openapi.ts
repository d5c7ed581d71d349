import { extendZodWithOpenApi, OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { RequestHandler, Router } from 'express';
import { z } from 'zod';
import { validated, type Input, type NoSchema, type TypedHandler } from './validate';

extendZodWithOpenApi(z);

/** RFC 9457 problem details, as every error response carries them. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** An operation's params or query: an object schema, or none (validate.ts NoSchema). */
type ObjectSchema = z.ZodObject | NoSchema;

export interface Operation<
  P extends ObjectSchema = ObjectSchema,
  Q extends ObjectSchema = ObjectSchema,
  B extends z.ZodType = z.ZodType,
  Raw extends boolean = boolean,
> {
  method: Method;
  /** OpenAPI style, under the app root: `/v1/tenants/{tenantId}`. */
  path: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The handler validates the body itself (to report shape and meaning problems together); the schema only documents it. */
  bodyValidatedByHandler?: Raw;
  /** Success responses by status; errors are documented for every operation. */
  responses: Record<number, { description: string; schema?: z.ZodType; alternatives?: Record<string, z.ZodType> }>;
  /** Run before validation: authorisation, so a caller without access learns nothing from validation errors. */
  guards?: RequestHandler[];
  /** For operations outside /v1 that need no credential. */
  public?: boolean;
}

const ERROR_RESPONSES: Record<number, string> = {
  400: 'Invalid request: every offending field is named in `errors`',
  401: 'No valid bearer credential',
  403: 'The caller’s role does not allow this',
  404: 'No such resource (or not visible to the caller)',
  409: 'Conflicts with the current state',
  429: 'Rate limit reached; see Retry-After',
  503: 'Temporal or MongoDB unavailable; see Retry-After',
};

function contentOf(types: Record<string, z.ZodType>) {
  return Object.fromEntries(Object.entries(types).map(([type, schema]) => [type, { schema }]));
}

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`irb_...`) or an OIDC access token from the configured issuer',
  });
  return registry;
}

/**
 * What an operation's handler receives: params, query and body parsed by the
 * operation's schemas (undefined where it has none). A body the handler
 * validates itself (bodyValidatedByHandler) is the request's, unknown.
 */
export type OperationInput<
  P extends ObjectSchema,
  Q extends ObjectSchema,
  B extends z.ZodType,
  Raw extends boolean,
> = Input<z.output<P>, z.output<Q>, Raw extends true ? unknown : z.output<B>>;

/**
 * Declares one operation once: it is added to the Express router (guards, then
 * zod validation, then the handler with the parsed input) and to the OpenAPI
 * document, so the contract and the code cannot drift.
 */
export function operation<
  P extends ObjectSchema = NoSchema,
  Q extends ObjectSchema = NoSchema,
  B extends z.ZodType = NoSchema,
  Raw extends boolean = false,
>(
  router: Router,
  registry: OpenAPIRegistry,
  op: Operation<P, Q, B, Raw>,
  handler: TypedHandler<OperationInput<P, Q, B, Raw>>,
): void {
  const errorContent = { 'application/problem+json': { schema: ProblemSchema } };
  registry.registerPath({
    method: op.method,
    path: op.path,
    summary: op.summary,
    tags: [op.tag],
    security: op.public ? [] : [{ bearer: [] }],
    request: {
      // Object schemas only: NoSchema is a type, never a value.
      params: op.params as z.ZodObject | undefined,
      query: op.query as z.ZodObject | undefined,
      body: op.body ? { required: true, content: { 'application/json': { schema: op.body } } } : undefined,
    },
    responses: {
      ...Object.fromEntries(
        Object.entries(op.responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            content: r.schema ? contentOf({ 'application/json': r.schema, ...r.alternatives }) : undefined,
          },
        ]),
      ),
      ...Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([status, description]) => [
          status,
          { description, content: errorContent },
        ]),
      ),
    },
  });
  const expressPath = op.path.replace(/^\/v1/, '').replace(/\{(\w+)\}/g, ':$1');
  router[op.method](expressPath, ...(op.guards ?? []), validatedHandler(op, handler));
}

/** The handler behind zod validation; a body the handler validates itself is handed on as it came. */
function validatedHandler<P extends ObjectSchema, Q extends ObjectSchema, B extends z.ZodType, Raw extends boolean>(
  op: Operation<P, Q, B, Raw>,
  handler: TypedHandler<OperationInput<P, Q, B, Raw>>,
): RequestHandler {
  if (op.bodyValidatedByHandler) {
    return validated({ params: op.params, query: op.query }, (req, res, input) =>
      handler(req, res, { ...input, body: req.body as unknown } as OperationInput<P, Q, B, Raw>),
    );
  }
  return validated({ params: op.params, query: op.query, body: op.body }, (req, res, input) =>
    handler(req, res, input as OperationInput<P, Q, B, Raw>),
  );
}

export function openApiDocument(registry: OpenAPIRegistry): object {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'identity-runbooks API',
      version: '1.0.0',
      description:
        'Start, signal, query and schedule identity runbooks (offboarding, onboarding, credential rotation, access reviews, privileged access) per tenant.',
    },
    security: [{ bearer: [] }],
  });
}
