import { declares, extractBlocks, isModule, shellCommands } from './snippets';

describe('extractBlocks', () => {
  const md = [
    '# Title',
    '<!-- snippet: express-app -->',
    '',
    '```js',
    'app.use(x);',
    '```',
    '',
    '- a list item:',
    '',
    '  ```sh',
    '  npm test',
    '  ```',
    '',
    '````md',
    '```js',
    'inner',
    '```',
    '````',
    '```',
    'no language',
    '```',
  ].join('\n');
  const blocks = extractBlocks('X.md', md);
  it('finds each block with its line, language and annotation', () => {
    expect(blocks.map(({ line, lang, context }) => ({ line, lang, context }))).toEqual([
      { line: 4, lang: 'js', context: 'express-app' },
      { line: 10, lang: 'sh', context: undefined },
      { line: 14, lang: 'md', context: undefined },
      { line: 19, lang: '', context: undefined },
    ]);
  });
  it('removes the indentation of blocks inside list items', () => expect(blocks[1]?.code).toBe('npm test\n'));
  it('keeps a longer fence open past shorter ones', () => expect(blocks[2]?.code).toBe('```js\ninner\n```\n'));
  it('reads the annotation arguments', () => {
    expect(extractBlocks('Y.md', '<!-- snippet: skip (needs AWS) -->\n```sh\naws s3 ls\n```\n')[0]).toMatchObject({
      context: 'skip',
      args: '(needs AWS)',
    });
  });
});

describe('declares', () => {
  it.each([
    ['const app = express();', 'app', true],
    ["const { DynamoDBStore } = require('x');", 'DynamoDBStore', true],
    ["import session from 'express-session';", 'session', true],
    ["import connect, { DynamoDBStore } from 'connect-dynamodb-session';", 'DynamoDBStore', true],
    ['app.use(session({}));', 'session', false],
    ['const sessionStore = 1;', 'session', false],
  ])('%s declares %s: %s', (code, name, expected) => expect(declares(code, name)).toBe(expected));
});

describe('isModule', () => {
  it.each([
    ["import x from 'y';", true],
    ['await store.get(id);', true],
    ["const x = require('y');", false],
    ['(async () => { await x; })();', false],
  ])('%s: %s', (code, expected) => expect(isModule(code)).toBe(expected));
});

describe('shellCommands', () => {
  it('joins continuations, drops comments and environment assignments, splits chains', () => {
    expect(
      shellCommands(
        'npm install   # also builds\nFOO=1 BAR=2 node x.js && curl -c jar a | cat\naws dynamodb create-table \\\n  --table-name t\n',
      ),
    ).toEqual(['npm install', 'node x.js', 'curl -c jar a', 'cat', 'aws dynamodb create-table --table-name t']);
  });
});
