// The shipped types. The compile-time half is checked by `tsc --noEmit` (npm
// run lint) and by ts-jest when this file runs: a line marked @ts-expect-error
// that compiles is itself an error. The run-time half reads the option types
// with the TypeScript compiler to check that every numeric option states its unit.
import path from 'node:path';
import { MemoryBackend } from '@connect-dynamodb-session/core';
import type { SessionStore as FastifySessionStore } from '@fastify/session';
import connectDynamoDBSession from 'connect-dynamodb-session';
import session from 'express-session';
import ts from 'typescript';

const DynamoStore = connectDynamoDBSession(session);

/** Compile-time only: never called. */
function typeAssertions(): void {
  // A store is an express-session Store, accepted by the middleware and by @fastify/session.
  const store: session.Store = new DynamoStore({ backend: new MemoryBackend() });
  session({ secret: 'x', store: new DynamoStore({ tableName: 'sessions', region: 'eu-west-1' }) });
  const named: session.Store = new connectDynamoDBSession.DynamoDBStore({ tableName: 'sessions', region: 'eu-west-1' });
  const forFastify: FastifySessionStore = new connectDynamoDBSession.DynamoDBStore({ tableName: 'sessions', region: 'eu-west-1' });
  const made: connectDynamoDBSession.DynamoDBStore = new (connectDynamoDBSession.createStoreClass(session))();
  // The factory takes any { Store }, as the 1.x tests did.
  connectDynamoDBSession({ Store: null });

  // Every 1.x option, with its 1.x type.
  const options: connectDynamoDBSession.Options = {
    tableName: 'sessions',
    region: 'us-west-2',
    endpoint: 'http://localhost:8000',
    autoCreate: true,
    readCapacity: 5,
    writeCapacity: 5,
    consistentRead: true,
    ttl: 1_209_600_000,
    cleanupInterval: 300_000,
    touchAfter: 10_000,
    err: (message: string, error: unknown) => void [message, error],
    log: (message: string) => void message,
  };
  new DynamoStore(options);
  // ttl may be a function of the session.
  new DynamoStore({ tableName: 'sessions', region: 'us-west-2', ttl: (sess) => (sess.cookie ? 1000 : 2000) });

  // @ts-expect-error touchAfter is a number of milliseconds, not a string
  new DynamoStore({ tableName: 'sessions', region: 'us-west-2', touchAfter: '10s' });
  // @ts-expect-error a misspelt option is caught
  new DynamoStore({ tabelName: 'sessions', region: 'us-west-2' });
  // @ts-expect-error consistentRead is a boolean
  new DynamoStore({ tableName: 'sessions', region: 'us-west-2', consistentRead: 'yes' });

  // Without a callback a method returns a promise; with one, nothing.
  const typedFound: Promise<session.SessionData | null> = made.get('id');
  // @ts-expect-error with a callback, get returns nothing, not a promise
  const notAPromise: Promise<unknown> = made.get('id', (error: unknown, data?: session.SessionData | null) => void [error, data]);
  const all: Promise<Record<string, session.SessionData>> = made.all();
  const count: Promise<number> = made.length();
  const ids: Promise<string[]> = made.ids();
  const closed: Promise<void> = made.close();
  // @ts-expect-error get needs an id
  made.get();
  // @ts-expect-error touch needs the session
  made.touch('id');

  // Errors are exported as classes with a code.
  const error = new connectDynamoDBSession.BackendError('get', new Error('x'));
  const code: string = error.code;
  void [store, named, forFastify, typedFound, notAPromise, all, count, ids, closed, code];
}
void typeAssertions;

describe('option types', () => {
  // One program over the package's entry point, as a user's editor sees it.
  const entry = path.resolve(__dirname, '../src/index.ts');
  const config = ts.getParsedCommandLineOfConfigFile(
    path.resolve(__dirname, '../../../tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const program = ts.createProgram([entry], { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const namespace = checker.getExportsOfModule(moduleSymbol);
  const optionsSymbol = namespace.find((s) => s.name === 'Options')!;
  const optionsType = checker.getDeclaredTypeOfSymbol(optionsSymbol);
  const properties = checker.getPropertiesOfType(optionsType).filter((p) => !p.getJsDocTags(checker).some((t) => t.name === 'internal'));
  const doc = (p: ts.Symbol) => ts.displayPartsToString(p.getDocumentationComment(checker));

  it('lists every 1.x option', () => {
    const names = properties.map((p) => p.name);
    for (const name of [
      'tableName',
      'region',
      'endpoint',
      'awsClient',
      'autoCreate',
      'readCapacity',
      'writeCapacity',
      'consistentRead',
      'client',
      'ttl',
      'cleanupInterval',
      'touchAfter',
      'err',
      'log',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('documents every option, and the unit of every number', () => {
    for (const property of properties) {
      const text = doc(property);
      expect({ option: property.name, documented: text.length > 10 }).toEqual({ option: property.name, documented: true });
      const type = checker.getNonNullableType(checker.getTypeOfSymbol(property));
      const isNumber = type.flags & ts.TypeFlags.Number || (type.isUnion() && type.types.some((t) => t.flags & ts.TypeFlags.Number));
      if (isNumber) {
        expect({ option: property.name, unit: /\b(ms|milliseconds|bytes|units|entries|attempts|seconds|ids)\b/i.test(text) }).toEqual({
          option: property.name,
          unit: true,
        });
      }
    }
  });
});
