// Child process: dynalite (in memory) behind a counting front end, in one
// process of its own so that neither the app server nor the load generator
// shares its event loop.
//
// The front end sits between the HTTP socket and dynalite's own request
// handler (no second socket hop, so it adds no latency of its own). For every
// DynamoDB call it:
//   - reads the operation from the X-Amz-Target header (aws-sdk v2 and v3 both send it);
//   - asks dynalite for ReturnConsumedCapacity TOTAL, which makes dynalite bill
//     the call by DynamoDB's rules from the item sizes it holds (writes: the
//     larger of the old and new item, ceil(KB); reads: ceil(size / 4 KB), half
//     for eventually consistent reads; a missing item still costs the minimum);
//   - reads CapacityUnits back from the response. The response is passed on
//     byte for byte (its CRC32 header stays valid); SDKs ignore the extra field.
// A ConditionalCheckFailedException carries no capacity from dynalite; DynamoDB
// still bills it, so it is counted as 1 WCU (the minimum: our conditional
// writes fail on missing items).
//
// Control over IPC: {cmd: 'reset'} zeroes the counters, {cmd: 'stats'} returns
// them per table.

const { EventEmitter } = require('node:events');
const dynalite = require('dynalite');
const { itemSize } = require('dynalite/db');

const WRITE_OPS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const READ_OPS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const CAPACITY = /"ConsumedCapacity":\{"CapacityUnits":([0-9.]+)/;

// Counters per table: every store has a table of its own, so background work
// of an idle app server (a cleanup scan, say) is never counted against the
// store under test.
let tables = {};
let since = Date.now();
// The hash key attribute of each table (seen in CreateTable), and when each
// item was last written (PutItem or UpdateItem) since the last reset: the
// intervals between two writes of one item are what a touch throttle shapes,
// free of the phase effects of counting writes in a short window.
const hashKeys = {};
let lastWrite = new Map();
const MAX_INTERVALS = 50000;

function tableStats(table) {
  if (!tables[table]) tables[table] = { ops: {}, rcu: 0, wcu: 0, putItemBytes: 0, putItems: 0, writeIntervals: [] };
  return tables[table];
}

function recordWrite(table, stats, op, request) {
  const hashKey = hashKeys[table];
  const source = op === 'PutItem' ? request.Item : request.Key;
  if (!hashKey || !source?.[hashKey]) return;
  const item = `${table}\u0000${JSON.stringify(source[hashKey])}`;
  const now = Date.now();
  const previous = lastWrite.get(item);
  if (previous !== undefined && stats.writeIntervals.length < MAX_INTERVALS) stats.writeIntervals.push(now - previous);
  lastWrite.set(item, now);
}

function tableOf(request) {
  if (!request) return '(unknown)';
  if (typeof request.TableName === 'string') return request.TableName;
  const batch = request.RequestItems && Object.keys(request.RequestItems);
  return batch && batch.length > 0 ? batch.join('+') : '(none)';
}

function account(op, request, status, responseBody) {
  const table = tableOf(request);
  if (op === 'CreateTable' && request && Array.isArray(request.KeySchema)) {
    const hash = request.KeySchema.find((key) => key.KeyType === 'HASH');
    if (hash) hashKeys[table] = hash.AttributeName;
  }
  const stats = tableStats(table);
  if (!stats.ops[op]) stats.ops[op] = { calls: 0, rcu: 0, wcu: 0, errors: 0, conditionFailed: 0 };
  const entry = stats.ops[op];
  entry.calls += 1;
  const text = typeof responseBody === 'string' ? responseBody : responseBody ? responseBody.toString() : '';
  if (status >= 400) {
    if (text.includes('ConditionalCheckFailedException')) {
      entry.conditionFailed += 1;
      if (WRITE_OPS.has(op)) {
        entry.wcu += 1;
        stats.wcu += 1;
      }
    } else {
      entry.errors += 1;
    }
    return;
  }
  const match = CAPACITY.exec(text);
  const units = match ? Number(match[1]) : 0;
  if (WRITE_OPS.has(op)) {
    entry.wcu += units;
    stats.wcu += units;
  } else if (READ_OPS.has(op)) {
    entry.rcu += units;
    stats.rcu += units;
  }
  if (op === 'PutItem' && request && request.Item) {
    stats.putItems += 1;
    stats.putItemBytes += itemSize(request.Item);
  }
  if ((op === 'PutItem' || op === 'UpdateItem') && request) recordWrite(table, stats, op, request);
}

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
const dynaliteHandler = server.listeners('request')[0];
server.removeAllListeners('request');

server.on('request', (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const op = String(req.headers['x-amz-target'] || '').split('.')[1];
    let body = Buffer.concat(chunks).toString();
    let request;
    if (op && body) {
      try {
        request = JSON.parse(body);
        request.ReturnConsumedCapacity = 'TOTAL';
        body = JSON.stringify(request);
      } catch {
        // Leave a malformed body alone: dynalite answers it with its own error.
      }
    }
    if (op) {
      const end = res.end;
      res.end = function countedEnd(chunk, ...rest) {
        account(op, request, res.statusCode, chunk);
        return end.call(this, chunk, ...rest);
      };
    }
    // dynalite reads the request as a stream of 'data' then 'end': replay the (amended) body.
    const replay = new EventEmitter();
    replay.headers = { ...req.headers, 'content-length': String(Buffer.byteLength(body)) };
    replay.method = req.method;
    replay.url = req.url;
    dynaliteHandler(replay, res);
    if (body) replay.emit('data', Buffer.from(body));
    replay.emit('end');
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port });
});

process.on('message', (message) => {
  if (message.cmd === 'reset') {
    tables = {};
    lastWrite = new Map();
    since = Date.now();
    process.send({ type: 'reply', id: message.id, cpu: process.cpuUsage() });
  } else if (message.cmd === 'stats') {
    process.send({ type: 'reply', id: message.id, since, until: Date.now(), tables, cpu: process.cpuUsage() });
  }
});

// The parent owns this process: if it goes away, so do we.
process.on('disconnect', () => process.exit(0));
