// The raw-SDK floor: the least DynamoDB work an express-session store can do.
// One consistent GetItem per read, one PutItem per write, one DeleteItem per
// destroy, and no write on touch. No validation, no throttling bookkeeping,
// no error hooks: only what every real store has to do anyway.
//
// Two builds of the same store: on AWS SDK v3 (what ours and connect-dynamodb
// use) and on aws-sdk v2 with its default HTTP agent (what dynamodb-store and
// the original 1.1.0 use), so that the report can tell the cost of the SDK
// from the cost of the store.

/** The three calls, on AWS SDK v3. */
function sdkV3Calls({ endpoint, region }) {
  const { DynamoDBClient, GetItemCommand, PutItemCommand, DeleteItemCommand } = require('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({ endpoint, region });
  return {
    getItem: (input) => client.send(new GetItemCommand(input)),
    putItem: (input) => client.send(new PutItemCommand(input)),
    deleteItem: (input) => client.send(new DeleteItemCommand(input)),
  };
}

/** The three calls, on aws-sdk v2 (its defaults: a new connection per call). */
function sdkV2Calls({ endpoint, region }) {
  const AWS = require('aws-sdk');
  const client = new AWS.DynamoDB({ endpoint, region });
  return {
    getItem: (input) => client.getItem(input).promise(),
    putItem: (input) => client.putItem(input).promise(),
    deleteItem: (input) => client.deleteItem(input).promise(),
  };
}

function createFloorStore(session, { endpoint, region, table, sdk = 'v3' }) {
  const client = sdk === 'v2' ? sdkV2Calls({ endpoint, region }) : sdkV3Calls({ endpoint, region });

  // Calls back outside the promise chain, so a throwing callback surfaces as
  // an uncaught exception (as it would from a synchronous store) and is never
  // called twice.
  function settle(promise, callback) {
    promise.then(
      (value) => queueMicrotask(() => callback(null, value)),
      (error) => queueMicrotask(() => callback(error)),
    );
  }

  class FloorStore extends session.Store {
    get(sid, callback) {
      const read = client.getItem({ TableName: table, Key: { id: { S: sid } }, ConsistentRead: true }).then(({ Item }) => {
        if (!Item || Number(Item.expires.N) * 1000 <= Date.now()) return null;
        return JSON.parse(Item.sess.S);
      });
      settle(read, callback);
    }

    set(sid, sess, callback) {
      const expiresAt = sess.cookie?.expires ? new Date(sess.cookie.expires).getTime() : Date.now() + 86400000;
      const item = { id: { S: sid }, expires: { N: String(Math.floor(expiresAt / 1000)) }, sess: { S: JSON.stringify(sess) } };
      settle(client.putItem({ TableName: table, Item: item }), (error) => callback(error));
    }

    destroy(sid, callback) {
      settle(client.deleteItem({ TableName: table, Key: { id: { S: sid } } }), (error) => callback(error));
    }

    touch(_sid, _sess, callback) {
      callback(null);
    }
  }

  return new FloorStore();
}

module.exports = { createFloorStore };
