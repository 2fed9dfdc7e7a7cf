import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { AppConfig } from '../config.js';
import type { Db } from '../db/database.js';

/** The Fastify instance type every route module registers on (TypeBox-typed schemas). */
export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What route modules need from the outside world; built once in `buildApp`. */
export interface RouteDeps {
  config: AppConfig;
  database: Db;
}
