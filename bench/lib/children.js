// Child processes started by the benchmark: each is forked with an IPC
// channel, answers {type: 'ready'} when it listens, and replies to commands by
// id. Every child is remembered so that it is stopped (by its pid) when the
// benchmark ends, fails or is interrupted.

const { fork } = require('node:child_process');

const running = new Set();

function start(script, { env = {}, args = [], execArgv = process.execArgv, label = script, readyTimeoutMs = 30000 } = {}) {
  const child = fork(script, args, {
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  running.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const pending = new Map();
  let nextId = 1;
  child.on('message', (message) => {
    if (message && message.type === 'reply' && pending.has(message.id)) {
      const { resolve } = pending.get(message.id);
      pending.delete(message.id);
      resolve(message);
    }
  });
  child.on('exit', (code, signal) => {
    running.delete(child);
    for (const { reject } of pending.values()) reject(new Error(`${label} exited (${signal || code}) before replying`));
    pending.clear();
  });

  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} not ready after ${readyTimeoutMs} ms\n${stderr}`)), readyTimeoutMs);
    const onMessage = (message) => {
      if (message && message.type === 'ready') {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(message);
      }
    };
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${signal || code}) while starting:\n${stderr}`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });

  return {
    pid: child.pid,
    ready,
    stderr: () => stderr,
    request(cmd, payload = {}) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ cmd, id, ...payload });
      });
    },
    stop() {
      return stopChild(child);
    },
  };
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      clearTimeout(force);
      resolve();
    }
  });
}

async function stopAll() {
  await Promise.all([...running].map(stopChild));
}

/** Synchronous last resort (process 'exit' handlers cannot wait). */
function killAllNow() {
  for (const child of running) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

module.exports = { start, stopAll, killAllNow };
