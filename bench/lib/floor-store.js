// The raw-SDK floor: the least DynamoDB work an express-session store can do.
// One consistent GetItem per read, one PutItem per write, one DeleteItem per
// destroy, and no write on touch. No validation, no throttling bookkeeping,
// no error hooks: only what every real store has to do anyway.

const { DynamoDBClient, GetItemCommand, PutItemCommand, DeleteItemCommand } = require('@aws-sdk/client-dynamodb');

function createFloorStore(session, { endpoint, region, table }) {
  const client = new DynamoDBClient({ endpoint, region });

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
      const read = client.send(new GetItemCommand({ TableName: table, Key: { id: { S: sid } }, ConsistentRead: true })).then(({ Item }) => {
        if (!Item || Number(Item.expires.N) * 1000 <= Date.now()) return null;
        return JSON.parse(Item.sess.S);
      });
      settle(read, callback);
    }

    set(sid, sess, callback) {
      const expiresAt = sess.cookie?.expires ? new Date(sess.cookie.expires).getTime() : Date.now() + 86400000;
      const item = { id: { S: sid }, expires: { N: String(Math.floor(expiresAt / 1000)) }, sess: { S: JSON.stringify(sess) } };
      settle(client.send(new PutItemCommand({ TableName: table, Item: item })), (error) => callback(error));
    }

    destroy(sid, callback) {
      settle(client.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: sid } } })), (error) => callback(error));
    }

    touch(_sid, _sess, callback) {
      callback(null);
    }
  }

  return new FloorStore();
}

module.exports = { createFloorStore };
