import { appendFileSync, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initCompute, type BackendChoice } from '../compute';
import { checkpointModelConfig, modelConfig, type Paradigm } from '../models';
import { DEFAULT_PRETRAIN, pretrain } from '../train';
import { UsageError, type Command } from './command';
import { intOption, numberOption, requireOption } from './args';

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'pretrain a unified base on procedural shapes-world data (resumable)',
  help: `unirl pretrain --out FILE.safetensors [--paradigm masked|autoregressive] [--steps N] [options]

Trains a base from scratch (or from --init's weights), or resumes FILE when it exists (with its
optimizer state beside it, at FILE's own model size: no size options needed).
  --init C           start from checkpoint C's weights and model size, with a fresh optimizer and
                     warm-up (ignored when FILE exists: then FILE is resumed)
A checkpoint is written every --checkpoint-every steps and when interrupted (Ctrl-C).
  --steps N          total steps (default ${DEFAULT_PRETRAIN.steps})
  --batch N          generation examples per step (default ${DEFAULT_PRETRAIN.batchSize})
  --und-batch N      understanding examples per step (default: --batch)
  --count-share X    share of them that are count questions over scenes with broken objects,
                     which teach the answer "zero" (the self_count judge; default ${DEFAULT_PRETRAIN.countShare})
  --varied-count-share X  share of them that are UniRL's counting question about one to five
                     objects of a class (the prompts show two to four; default ${DEFAULT_PRETRAIN.variedCountShare})
  --varied-count-broken P  probability that each object of those is broken (a scramble or a
                     scrawl), the answer counting the whole ones: a scrawl is no item (default ${DEFAULT_PRETRAIN.variedCountBroken})
  --color-relation-share X  share of the generation examples that are relations between two
                     objects of one class told apart by colour ("a red circle left of a blue
                     circle"), so that the words, not the pair, say which goes where (default ${DEFAULT_PRETRAIN.colorRelationShare})
  --color-relation-und-share X  share of the understanding examples that are such relations,
                     asked the position question, so that the answer comes from where the objects
                     are, not from which pair it is (default ${DEFAULT_PRETRAIN.colorRelationUnderstandingShare})
  --answer-dropout X probability of hiding each answer word the model reads back in understanding,
                     so that it names a pair's second object from the image (default ${DEFAULT_PRETRAIN.answerDropout})
  --dim, --layers, --heads   model size (defaults 192, 6, 6)
  --bidirectional-image      autoregressive: the image block of understanding sequences attends
                     both ways (a vision encoder's view); allowed with --init (same weights)
  --grid-positions   autoregressive: the pixel encoder adds row and column embeddings to its
                     patches; with --init they start at zero (the same function at step 0)
  --lr X             peak learning rate (default ${DEFAULT_PRETRAIN.lr})
  --min-lr X         final learning rate of the cosine decay (default ${DEFAULT_PRETRAIN.minLr})
  --warmup N         warm-up steps (default ${DEFAULT_PRETRAIN.warmup})
  --seed N           data and initialisation seed (default ${DEFAULT_PRETRAIN.seed})
  --checkpoint-every N (default ${DEFAULT_PRETRAIN.checkpointEvery})
  --keep-every N     also keep the weights of every N steps beside FILE (FILE.step-N.safetensors,
                     no optimizer state), to score them against compute with unirl eval (default: none)
  --log-every N      steps per logged line, averaged (default ${DEFAULT_PRETRAIN.logEvery})
  --data-workers N   threads drawing batches ahead (default: 0 on wasm/cpu, else cores - 2, at most 8)
  --metrics FILE     also append metrics as JSON lines
  --backend B        auto | tensorflow | webgpu | wasm | cpu (default auto)`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        out: { type: 'string' },
        paradigm: { type: 'string' },
        steps: { type: 'string' },
        batch: { type: 'string' },
        'und-batch': { type: 'string' },
        'count-share': { type: 'string' },
        'varied-count-share': { type: 'string' },
        'varied-count-broken': { type: 'string' },
        'answer-dropout': { type: 'string' },
        'color-relation-share': { type: 'string' },
        'color-relation-und-share': { type: 'string' },
        dim: { type: 'string' },
        layers: { type: 'string' },
        heads: { type: 'string' },
        'bidirectional-image': { type: 'boolean' },
        'grid-positions': { type: 'boolean' },
        lr: { type: 'string' },
        'min-lr': { type: 'string' },
        warmup: { type: 'string' },
        init: { type: 'string' },
        seed: { type: 'string' },
        'checkpoint-every': { type: 'string' },
        'keep-every': { type: 'string' },
        'log-every': { type: 'string' },
        metrics: { type: 'string' },
        'data-workers': { type: 'string' },
        backend: { type: 'string' },
      },
      strict: true,
    });
    const out = requireOption(values.out, 'out');
    // A FILE that exists is resumed, so its own size wins over --init's (which is then ignored).
    const resumed = existsSync(out) ? checkpointModelConfig(out) : undefined;
    const init = resumed ?? (values.init === undefined ? undefined : checkpointModelConfig(values.init));
    const paradigm = (values.paradigm ?? init?.paradigm ?? 'masked') as Paradigm;
    if (init && init.paradigm !== paradigm) throw new UsageError(`${resumed ? out : '--init'} is ${init.paradigm === 'autoregressive' ? 'an' : 'a'} ${init.paradigm} checkpoint, not ${paradigm}`);
    const sizes = (['dim', 'layers', 'heads'] as const).filter((k) => values[k] !== undefined);
    if (init && !resumed && sizes.length > 0) throw new UsageError('--init sets the model size; leave out --dim, --layers and --heads');
    // Resuming with the command that started the file (its size options included) is fine; another size is not.
    const differing = resumed ? sizes.filter((k) => Number(values[k]) !== resumed[k]) : [];
    if (differing.length > 0) throw new UsageError(`${out} exists and is resumed at its own model size (${differing.map((k) => `${k} ${resumed![k]}`).join(', ')}); leave out ${differing.map((k) => `--${k}`).join(', ')} or choose another --out`);
    if (paradigm !== 'masked' && paradigm !== 'autoregressive') throw new UsageError(`--paradigm must be masked or autoregressive`);
    const lr = values.lr === undefined ? DEFAULT_PRETRAIN.lr : Number(values.lr);
    if (!(lr > 0 && lr < 1)) throw new UsageError(`--lr must be a number in (0, 1)`);
    const minLr = values['min-lr'] === undefined ? Math.min(DEFAULT_PRETRAIN.minLr, lr) : Number(values['min-lr']);
    if (!(minLr >= 0 && minLr <= lr)) throw new UsageError(`--min-lr must be a number from 0 to --lr`);
    const info = await initCompute({ backend: (values.backend ?? 'auto') as BackendChoice });
    process.stderr.write(`backend: ${info.backend} (${info.reason})\n`);
    const seed = intOption(values.seed, 'seed', DEFAULT_PRETRAIN.seed, 0, 2 ** 31);
    // Architecture switches that keep the weights' meaning, so a base continued with --init may turn them on.
    const switches = { ...(values['bidirectional-image'] ? { bidirectionalImage: true } : {}), ...(values['grid-positions'] ? { gridPositions: true } : {}) };
    const config = {
      ...DEFAULT_PRETRAIN,
      model: init ? modelConfig(paradigm, { ...init, ...switches }) : modelConfig(paradigm, {
        ...switches,
        ...(values.dim ? { dim: intOption(values.dim, 'dim', 192, 8, 4096) } : {}),
        ...(values.layers ? { layers: intOption(values.layers, 'layers', 6, 1, 64) } : {}),
        ...(values.heads ? { heads: intOption(values.heads, 'heads', 6, 1, 64) } : {}),
        seed,
      }),
      steps: intOption(values.steps, 'steps', DEFAULT_PRETRAIN.steps, 1, 10_000_000),
      batchSize: intOption(values.batch, 'batch', DEFAULT_PRETRAIN.batchSize, 1, 4096),
      understandingBatchSize: intOption(values['und-batch'] ?? values.batch, 'und-batch', DEFAULT_PRETRAIN.understandingBatchSize, 1, 4096),
      countShare: numberOption(values['count-share'], 'count-share', DEFAULT_PRETRAIN.countShare, 0, 1),
      variedCountShare: numberOption(values['varied-count-share'], 'varied-count-share', DEFAULT_PRETRAIN.variedCountShare, 0, 1),
      variedCountBroken: numberOption(values['varied-count-broken'], 'varied-count-broken', DEFAULT_PRETRAIN.variedCountBroken, 0, 1),
      colorRelationShare: numberOption(values['color-relation-share'], 'color-relation-share', DEFAULT_PRETRAIN.colorRelationShare, 0, 1),
      colorRelationUnderstandingShare: numberOption(values['color-relation-und-share'], 'color-relation-und-share', DEFAULT_PRETRAIN.colorRelationUnderstandingShare, 0, 1),
      answerDropout: numberOption(values['answer-dropout'], 'answer-dropout', DEFAULT_PRETRAIN.answerDropout, 0, 0.9),
      lr,
      minLr,
      warmup: intOption(values.warmup, 'warmup', DEFAULT_PRETRAIN.warmup, 0, 1_000_000),
      seed,
      ...(values.init ? { init: values.init } : {}),
      ...(values['data-workers'] ? { dataWorkers: intOption(values['data-workers'], 'data-workers', 0, 0, 64) } : {}),
      checkpointEvery: intOption(values['checkpoint-every'], 'checkpoint-every', DEFAULT_PRETRAIN.checkpointEvery, 1, 1_000_000),
      keepEvery: intOption(values['keep-every'], 'keep-every', 0, 0, 1_000_000),
      logEvery: intOption(values['log-every'], 'log-every', DEFAULT_PRETRAIN.logEvery, 1, 1_000_000),
    };
    if (config.countShare + config.variedCountShare + config.colorRelationUnderstandingShare > 1) {
      throw new UsageError('--count-share, --varied-count-share and --color-relation-und-share are shares of one understanding batch: together at most 1');
    }
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    process.once('SIGTERM', () => controller.abort());
    const last = await pretrain(config, out, {
      signal: controller.signal,
      onMetrics: (m) => {
        process.stdout.write(
          `step ${m.step}  loss ${m['train/loss'].toFixed(4)}  gen ${m['train/loss_generation'].toFixed(4)}  und ${m['train/loss_understanding'].toFixed(4)}  ` +
            `lr ${m['train/lr'].toExponential(2)}  ${m['train/step_time'].toFixed(2)} s/step  ${m['train/tokens_per_sec'].toFixed(0)} tok/s\n`,
        );
        if (values.metrics) appendFileSync(values.metrics, `${JSON.stringify({ ...m, time: Date.now() / 1000 })}\n`);
      },
      onCheckpoint: (file, step) => void process.stderr.write(`checkpoint ${file} at step ${step}\n`),
    });
    process.stderr.write(`stopped at step ${last}\n`);
    return 0;
  },
};
