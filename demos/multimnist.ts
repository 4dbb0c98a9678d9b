/**
 * The MultiMNIST benchmark: two MNIST digits overlaid on a 36 × 36 canvas (Sabour et al. 2017);
 * task 1 classifies the top-left digit, task 2 the bottom-right one, with a shared LeNet-like trunk
 * and one head per task. Trains with one or several methods and compares them.
 *
 *   npx tsx demos/multimnist.ts                                  # UPGrad, default sizes
 *   npx tsx demos/multimnist.ts --methods upgrad,mean,mgda       # the README comparison
 *   npx tsx demos/multimnist.ts --method pcgrad --epochs 3 --seed 1
 *   npx tsx demos/multimnist.ts --quick                          # a smoke run in well under a minute
 *
 * Options: --method NAME | --methods A,B,C, --epochs N, --seed N, --train-pairs N,
 * --test-pairs N, --batch-size N, --lr X, --out FOLDER, --quick, --list.
 * Writes FOLDER/multimnist.md (comparison table) and FOLDER/multimnist.svg (curves); FOLDER
 * defaults to demos/out.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '../lib';
import { writeChartSvg } from './common/chart_files';
import { multiMnistFigure } from './common/figures';
import { markdownTable } from './common/table';
import { buildMultiMnist } from './multimnist/data';
import { METHODS, methodListing } from './multimnist/methods';
import { RunResult, trainMethod } from './multimnist/train';

interface Config {
  methods: string[];
  epochs: number;
  seed: number;
  trainPairs: number;
  testPairs: number;
  batchSize: number;
  learningRate: number;
  outDir: string;
  quick: boolean;
}

const DEFAULTS: Config = {
  methods: ['upgrad'],
  epochs: 4,
  seed: 0,
  trainPairs: 10000,
  testPairs: 2000,
  batchSize: 64,
  learningRate: 0.002,
  outDir: 'demos/out',
  quick: false,
};

const QUICK: Partial<Config> = { epochs: 1, trainPairs: 1280, testPairs: 500 };

function parseArgs(argv: string[]): Config {
  const given: Partial<Config> = {};
  const number = (flag: string, text: string | undefined): number => {
    const value = Number(text);
    if (text === undefined || !Number.isFinite(value)) {
      throw new Error(`${flag} expects a number, got '${text}'.`);
    }
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => argv[++i];
    switch (flag) {
      case '--method':
      case '--methods':
        given.methods = (next() ?? '').split(',').filter((m) => m !== '');
        break;
      case '--epochs':
        given.epochs = number(flag, next());
        break;
      case '--seed':
        given.seed = number(flag, next());
        break;
      case '--train-pairs':
        given.trainPairs = number(flag, next());
        break;
      case '--test-pairs':
        given.testPairs = number(flag, next());
        break;
      case '--batch-size':
        given.batchSize = number(flag, next());
        break;
      case '--lr':
        given.learningRate = number(flag, next());
        break;
      case '--out':
        given.outDir = next();
        break;
      case '--quick':
        given.quick = true;
        break;
      case '--list':
        console.log(methodListing());
        process.exit(0);
        break;
      default:
        throw new Error(`Unknown option '${flag}'. See the header of demos/multimnist.ts.`);
    }
  }
  // Explicit options win over --quick's smaller sizes.
  const config = { ...DEFAULTS, ...(given.quick ? QUICK : {}), ...given };
  for (const name of config.methods) {
    if (!(name.toLowerCase() in METHODS)) {
      throw new Error(`Unknown method '${name}'. Known: ${Object.keys(METHODS).join(', ')}.`);
    }
  }
  if (config.methods.length === 0) throw new Error('--methods needs at least one name.');
  return config;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

function comparisonTable(runs: RunResult[], config: Config, backend: string): string {
  const rows = runs.map((run) => {
    const last = run.epochs[run.epochs.length - 1];
    const best = Math.max(...run.epochs.map((e) => Math.min(...e.testAccuracy)));
    return [
      run.label,
      percent(last.testAccuracy[0]),
      percent(last.testAccuracy[1]),
      percent(best),
      `${last.trainLoss[0].toFixed(3)} / ${last.trainLoss[1].toFixed(3)}`,
      run.seconds.toFixed(0),
    ];
  });
  const table = markdownTable(
    [
      'method',
      'left digit acc.',
      'right digit acc.',
      'best worst-task acc.',
      'final train loss (L / R)',
      'train time (s)',
    ],
    rows,
    { align: ['left', 'right', 'right', 'right', 'right', 'right'] },
  );
  return [
    '# MultiMNIST',
    '',
    `${config.trainPairs} train pairs, ${config.testPairs} test pairs (from disjoint digits), ` +
      `${config.epochs} epoch${config.epochs === 1 ? '' : 's'}, batch ${config.batchSize}, Adam lr ${config.learningRate}, ` +
      `seed ${config.seed}, backend ${backend}. Accuracies on the test pairs after the last epoch.`,
    '',
    table,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const config = parseArgs(process.argv.slice(2));
  tf.env().set('PROD', true);
  const backend = await useFastestBackend();
  console.log(`MultiMNIST — backend: ${backend}`);
  const data = buildMultiMnist({
    trainPairs: config.trainPairs,
    testPairs: config.testPairs,
    seed: config.seed,
  });
  console.log(
    `${data.train.pairs.length} train pairs from ${data.trainDigits.length} digits, ` +
      `${data.test.pairs.length} test pairs from ${data.testDigits.length} other digits, ` +
      `${data.layout.canvasSize}×${data.layout.canvasSize} canvas.`,
  );
  const runs: RunResult[] = [];
  for (const name of config.methods) {
    const run = trainMethod(name, data, config, (result, label) => {
      const [left, right] = result.testAccuracy.map(percent);
      const loss =
        result.epoch === 0
          ? 'untrained'
          : `train loss ${result.trainLoss.map((l) => l.toFixed(3)).join(' / ')}, ${result.seconds.toFixed(0)} s`;
      console.log(
        `${label} epoch ${result.epoch}: test acc. left ${left}, right ${right} (${loss})`,
      );
    });
    runs.push(run);
  }
  const markdown = comparisonTable(runs, config, backend);
  const mdFile = path.join(config.outDir, 'multimnist.md');
  fs.mkdirSync(config.outDir, { recursive: true });
  fs.writeFileSync(mdFile, markdown);
  const svgFile = await writeChartSvg(
    path.join(config.outDir, 'multimnist.svg'),
    multiMnistFigure(runs, config, backend),
  );
  console.log(`\n${markdown}`);
  console.log(`Table: ${mdFile}\nCurves: ${svgFile}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
