// Shared by the Koa tests: a small app over koa-session, and a DynamoDB client
// for the test server that counts the requests it sends.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import Koa from 'koa';
import session from 'koa-session';
import { testClient } from '../../../test-support/dynamodb';
import type { KoaStore } from '../src';

/** `ctx.session` as koa-session defines it (it ships no type for it). */
interface SessionContext {
  session: (Record<string, unknown> & { maxAge: number | 'session'; regenerate(): Promise<void> }) | null;
}

type KoaSessionOptions = NonNullable<Parameters<typeof session>[0]>;

/**
 * GET /views (changes the session), GET /read (does not), POST /remember
 * (logs in and sets a 30-day maxAge), POST /regenerate (new key, same data),
 * POST /logout (`ctx.session = null`).
 */
export function koaApp(store: KoaStore, options: Partial<KoaSessionOptions> = {}): Koa {
  const app = new Koa();
  app.keys = ['test signing key'];
  app.use(session({ store, maxAge: 60 * 60 * 1000, ...options }, app));
  app.use(async (koaCtx) => {
    const ctx = koaCtx as unknown as Koa.Context & SessionContext;
    const s = ctx.session as NonNullable<SessionContext['session']>;
    switch (`${ctx.method} ${ctx.path}`) {
      case 'GET /views':
        s.views = Number(s.views ?? 0) + 1;
        ctx.body = { views: s.views };
        return;
      case 'GET /read':
        ctx.body = { views: s.views ?? null, user: s.user ?? null };
        return;
      case 'POST /remember':
        s.user = 'ada';
        s.maxAge = 30 * 24 * 60 * 60 * 1000;
        ctx.body = { user: s.user };
        return;
      case 'POST /regenerate':
        await s.regenerate();
        ctx.body = { views: s.views ?? null };
        return;
      case 'POST /logout':
        ctx.session = null;
        ctx.body = { loggedOut: true };
        return;
      default:
        ctx.status = 404;
    }
  });
  return app;
}

/** The value of koa-session's cookie (the session key) in a response's Set-Cookie, or undefined. */
export function sessionKeyOf(setCookie: string | string[] | undefined, name = 'koa.sess'): string | undefined {
  const header = [setCookie ?? []].flat().find((c) => c.startsWith(`${name}=`));
  return header?.slice(name.length + 1).split(';')[0] || undefined;
}

/** A client for the test server that counts the requests it sends, by command name. */
export function countingClient(): { client: DynamoDBClient; requests: Record<string, number>; reset(): void } {
  const client = testClient();
  const requests: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => (args) => {
      const command = String(context.commandName ?? '').replace(/Command$/, '');
      requests[command] = (requests[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const reset = (): void => {
    for (const key of Object.keys(requests)) delete requests[key];
  };
  return { client, requests, reset };
}
