import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A small HTTP proxy between the AWS SDK and a real DynamoDB-compatible
 * server, injecting faults on demand. The SDK's own timeouts and retries run
 * against it unchanged, which is the point: nothing is mocked.
 */
export type Fault =
  | 'none'
  /** Stop listening: connections are refused. */
  | 'refuse'
  /** Accept the request and never answer. */
  | 'hang'
  /** 400 ProvisionedThroughputExceededException. */
  | 'provisioned-throughput'
  /** 400 ThrottlingException. */
  | 'throttling'
  /** 500 InternalServerError. */
  | 'server-error'
  /** 200 with a body that is not JSON. */
  | 'malformed'
  /** Forward, then cut the connection halfway through the response body. */
  | 'cut'
  /** Forward after a pause of `delayMs` (a slow control plane, when limited to Describe* operations). */
  | 'delay';

export interface FaultProxy {
  endpoint: string;
  /** Applies `fault` to every request from now on (or to the next `count` requests only). Only requests whose operation matches `operations` when given. */
  inject(fault: Fault, options?: { count?: number; operations?: string[]; delayMs?: number }): Promise<void>;
  /** Operations in the order they arrived. */
  readonly order: string[];
  /** Back to forwarding everything. */
  clear(): Promise<void>;
  /** Requests received per DynamoDB operation (X-Amz-Target), faulted or not. */
  readonly seen: Record<string, number>;
  /** Requests that got a fault, per fault. */
  readonly faulted: Record<string, number>;
  /** Requests held by 'hang' whose client has not hung up. */
  readonly held: number;
  close(): Promise<void>;
}

const awsError = (type: string, message: string) => JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const hanging = new Set<http.ServerResponse>();
  const seen: Record<string, number> = {};
  const faulted: Record<string, number> = {};
  let fault: Fault = 'none';
  let remaining = Number.POSITIVE_INFINITY;
  let operations: string[] | undefined;
  let delayMs = 0;
  const order: string[] = [];
  const delayed = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
    seen[operation] = (seen[operation] ?? 0) + 1;
    order.push(operation);
    const applies = fault !== 'none' && remaining > 0 && (!operations || operations.includes(operation));
    const active: Fault = applies ? fault : 'none';
    if (applies) {
      remaining--;
      faulted[active] = (faulted[active] ?? 0) + 1;
    }
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      switch (active) {
        case 'hang':
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        case 'provisioned-throughput':
          return reply(
            res,
            400,
            awsError(
              'ProvisionedThroughputExceededException',
              'The level of configured provisioned throughput for the table was exceeded.',
            ),
          );
        case 'throttling':
          return reply(res, 400, awsError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.'));
        case 'server-error':
          return reply(res, 500, awsError('InternalServerError', 'Internal server error'));
        case 'malformed':
          return reply(res, 200, '<html>this is not json');
        case 'delay': {
          const timer = setTimeout(() => {
            delayed.delete(timer);
            forward(req, Buffer.concat(body), res, false);
          }, delayMs);
          delayed.add(timer);
          return;
        }
        default:
          return forward(req, Buffer.concat(body), res, active === 'cut');
      }
    });
  });

  function reply(res: http.ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function forward(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, cut: boolean): void {
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const data = Buffer.concat(chunks);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          if (!cut) return void res.end(data);
          // Send half of the body, then drop the connection.
          res.write(data.subarray(0, Math.floor(data.length / 2)));
          setImmediate(() => res.socket?.destroy());
        });
      },
    );
    out.on('error', () => res.socket?.destroy());
    out.end(body);
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let listening = true;

  const stopListening = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  const startListening = async (): Promise<void> => {
    if (listening) return;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    listening = true;
  };
  const releaseHanging = (): void => {
    for (const res of hanging) res.socket?.destroy();
    hanging.clear();
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    order,
    faulted,
    get held() {
      return hanging.size;
    },
    async inject(next, options = {}) {
      fault = next;
      remaining = options.count ?? Number.POSITIVE_INFINITY;
      operations = options.operations;
      delayMs = options.delayMs ?? 0;
      if (next === 'refuse') await stopListening();
      else await startListening();
    },
    async clear() {
      fault = 'none';
      operations = undefined;
      releaseHanging();
      await startListening();
    },
    async close() {
      for (const timer of delayed) clearTimeout(timer);
      delayed.clear();
      releaseHanging();
      await stopListening();
    },
  };
}
