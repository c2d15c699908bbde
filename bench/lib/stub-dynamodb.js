// Child process: a stand-in for DynamoDB on loopback that answers at once from
// a Map (GetItem, PutItem with every condition passing, DescribeTable,
// DescribeTimeToLive), so that a client's own CPU per call can be measured
// without a real server's work in the way. Sends {type: 'ready', port}.

const http = require('node:http');

const items = new Map();
const keyOf = (key) => JSON.stringify(key);
const TABLE = (name) => ({
  TableName: name,
  TableStatus: 'ACTIVE',
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
});

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const operation = String(req.headers['x-amz-target']).split('.')[1];
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    let output = {};
    if (operation === 'GetItem') {
      const item = items.get(keyOf(input.Key));
      output = item ? { Item: item } : {};
    } else if (operation === 'PutItem') {
      items.set(keyOf({ id: input.Item.id }), input.Item);
    } else if (operation === 'DescribeTable') {
      output = { Table: TABLE(input.TableName) };
    } else if (operation === 'DescribeTimeToLive') {
      output = { TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expires' } };
    }
    const body = JSON.stringify(output);
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
process.on('disconnect', () => process.exit(0));
