/**
 * Runs every ```ts example of README.md and docs/*.md, so documented code cannot rot. An example
 * imports from 'tfjs-jd' as a user would; here that name resolves to lib/. A block preceded by
 * `<!-- not-run -->` is shown but not executed (e.g. shell-only or long-running code). Every
 * README example must print what it computed; `useFastestBackend()` in an example picks `cpu` here
 * (through `TFJS_JD_BACKEND`), the backend the specs run on.
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

/** Runs the example and returns what it printed with console.log. */
async function run(example: Example): Promise<string[]> {
  // Imports stay at the top; the rest becomes an async function, so examples may use await.
  // An import statement may span lines (prettier wraps long ones): it ends at its semicolon.
  const imports: string[] = [];
  const body: string[] = [];
  let inImport = false;
  for (const line of example.code.split('\n')) {
    if (line.startsWith('import ')) inImport = true;
    (inImport ? imports : body).push(line);
    if (inImport && line.trimEnd().endsWith(';')) inImport = false;
  }
  const source = `${imports.join('\n')}\nexport const run = async () => {\n${body.join('\n')}\n};\n`;
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2020,
      esModuleInterop: true,
    },
  });
  const exports: { run?: () => Promise<void> } = {};
  const printed: string[] = [];
  const capture = {
    log: (...args: unknown[]) => printed.push(args.map(String).join(' ')),
    warn: () => undefined,
    error: () => undefined,
  };
  new Function('require', 'exports', 'console', outputText)(requireForExamples, exports, capture);
  await exports.run!();
  return printed;
}

const saved = process.env.TFJS_JD_BACKEND;
beforeAll(() => {
  process.env.TFJS_JD_BACKEND = 'cpu';
});
afterAll(async () => {
  if (saved === undefined) delete process.env.TFJS_JD_BACKEND;
  else process.env.TFJS_JD_BACKEND = saved;
  await tf.setBackend('cpu');
});

describe('documented examples', () => {
  it('finds examples to run in the README', () => {
    expect(examples.filter((e) => e.file === 'README.md').length).toBeGreaterThan(0);
  });

  it("states the first example's length truthfully", () => {
    const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const claim = /## A first example\n\n[^\n]*\((\d+) lines\):\n\n```ts\n([\s\S]*?)```/.exec(text);
    expect(claim).not.toBeNull();
    expect(claim![2].replace(/\n$/, '').split('\n')).toHaveLength(Number(claim![1]));
  });

  for (const example of examples) {
    it(`${example.file}:${example.line} runs without error`, async () => {
      const printed = await run(example);
      // A README example shows what it computed, not only that it ran.
      if (example.file === 'README.md') {
        expect(printed.length).toBeGreaterThan(0);
        expect(printed.join('\n')).not.toMatch(/NaN|undefined/);
      }
    });
  }
});
