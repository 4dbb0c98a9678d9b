/**
 * Runs every ```ts example of README.md and docs/*.md, so documented code cannot rot. An example
 * imports from 'tfjs-jd' as a user would; here that name resolves to lib/. A block preceded by
 * `<!-- not-run -->` is shown but not executed (e.g. shell-only or long-running code).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import * as tf from '@tensorflow/tfjs';

const ROOT = path.join(__dirname, '..', '..');

interface Example {
  file: string;
  line: number;
  code: string;
}

function examplesOf(file: string): Example[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const examples: Example[] = [];
  const fence = /(<!-- not-run -->\s*\n)?```ts\n([\s\S]*?)```/g;
  for (let match = fence.exec(text); match !== null; match = fence.exec(text)) {
    if (match[1] !== undefined) continue;
    const line = text.slice(0, match.index).split('\n').length;
    examples.push({ file, line, code: match[2] });
  }
  return examples;
}

const docFiles = [
  'README.md',
  ...(fs.existsSync(path.join(ROOT, 'docs'))
    ? fs
        .readdirSync(path.join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`)
    : []),
];
const examples = docFiles.flatMap(examplesOf);

function requireForExamples(id: string): unknown {
  if (id === 'tfjs-jd') return require('../../lib');
  if (id === '@tensorflow/tfjs') return tf;
  return require(id);
}

async function run(example: Example): Promise<void> {
  // Imports stay at the top; the rest becomes an async function, so examples may use await.
  const lines = example.code.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
  const source = `${imports.join('\n')}\nexport const run = async () => {\n${body.join('\n')}\n};\n`;
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2020,
      esModuleInterop: true,
    },
  });
  const exports: { run?: () => Promise<void> } = {};
  const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
  new Function('require', 'exports', 'console', outputText)(requireForExamples, exports, quiet);
  await exports.run!();
}

describe('documented examples', () => {
  it('finds examples to run in the README', () => {
    expect(examples.filter((e) => e.file === 'README.md').length).toBeGreaterThan(0);
  });

  for (const example of examples) {
    it(`${example.file}:${example.line} runs without error`, async () => {
      await expect(run(example)).resolves.toBeUndefined();
    });
  }
});
