/**
 * `simmer rl <env>`: train a reinforcement-learning agent (PPO, DQN or REINFORCE) on CartPole-v1 or a gridworld,
 * with progress, a run folder, checkpoints and resume; `simmer rl play <checkpoint>`: the greedy policy's mean return
 * over N episodes and a PNG strip of one episode.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { ALGOS, type Algo, loadAgent } from '../../rl/checkpoint.ts';
import { mean } from '../../rl/evaluate.ts';
import { ENV_NAMES, type EnvName } from '../../rl/registry.ts';
import { runRl } from '../../rl/run.ts';
import { createRun, type RunPaths, runPaths } from '../../runs/run-store.ts';
import { framesToPng, recordEpisode } from '../../rl/strip.ts';
import { agentEnv, evaluateAgent } from '../../rl/train.ts';
import { number } from '../options.ts';

function algo(v: string): Algo {
  if (!(ALGOS as readonly string[]).includes(v)) throw new InvalidArgumentError(`--algo must be one of ${ALGOS.join(', ')}, got '${v}'`);
  return v as Algo;
}

function json(v: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(v);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed;
  } catch {
    throw new InvalidArgumentError(`--config must be a JSON object of hyper-parameters, e.g. '{"learningRate":0.001}', got '${v}'`);
  }
}

/** A run id under root, or a run folder → the run's paths. */
function resolveRun(root: string, ref: string): RunPaths {
  if (existsSync(join(root, ref, 'config.json'))) return runPaths(root, ref);
  if (existsSync(join(ref, 'config.json'))) return runPaths(dirname(ref), basename(ref));
  throw new Error(`no run '${ref}' in ${root}/ (and no folder ${ref} with a config.json); list runs with \`simmer runs\``);
}

/** The run to resume, refused when it trained on another environment than the verb names. */
function resumable(root: string, ref: string, env: string): RunPaths {
  const run = resolveRun(root, ref);
  const trainedOn = (JSON.parse(readFileSync(run.config, 'utf8')).rl as { env?: string } | undefined)?.env;
  if (trainedOn === undefined) throw new Error(`run ${run.id} is not an RL run (its config.json has no rl section); resume it with \`simmer train --resume\``);
  if (trainedOn !== env) throw new Error(`run ${run.id} trained on ${trainedOn}, not ${env}; resume it with \`simmer rl ${trainedOn} --resume ${run.id}\``);
  return run;
}

/** A checkpoint file, or a run (id or folder) whose best (else last) checkpoint is meant. */
function checkpointPath(ref: string, root: string): string {
  if (existsSync(ref) && ref.endsWith('.safetensors')) return ref;
  const run = resolveRun(root, ref);
  const best = join(run.checkpoints, 'best.safetensors');
  return existsSync(best) ? best : join(run.checkpoints, 'last.safetensors');
}

export function register(program: Command): void {
  const rl = program.command('rl').description('reinforcement learning: train an agent on CartPole-v1 or a gridworld, or play a trained one');
  for (const env of ENV_NAMES) {
    rl.command(env)
      .description(`train an agent on ${env === 'cartpole' ? 'CartPole-v1 (solved: greedy mean return >= 475 over 100 episodes)' : `the ${env}`}`)
      .option('--algo <algo>', `${ALGOS.join(' | ')}`, algo, 'ppo')
      .option('--seed <n>', 'seed of the networks, the exploration and the environments', number('--seed', { integer: true, min: 0 }), 1)
      .option('--steps <n>', 'budget in environment steps (default: ppo 100000, dqn 50000)', number('--steps', { integer: true, min: 1 }))
      .option('--episodes <n>', 'budget in episodes (default: reinforce 1000)', number('--episodes', { integer: true, min: 1 }))
      .option('--config <json>', 'hyper-parameter overrides as JSON, e.g. \'{"learningRate":0.001,"numEnvs":8}\'', json)
      .option('--slip <p>', 'gridworlds: the probability of slipping sideways', number('--slip', { min: 0 }))
      .option('--no-stop', 'keep training after the policy is solved')
      .option('--resume <run>', 'continue a run (its id under runs/, or its folder) from its last checkpoint')
      .option('--runs <dir>', 'folder holding runs', process.env.SIMMER_RUNS ?? 'runs')
      .option('--json', 'print the result as JSON on stdout (progress still goes to stderr)')
      .option('-q, --quiet', 'no progress output')
      .action(
        async (o: {
          algo: Algo;
          seed: number;
          steps?: number;
          episodes?: number;
          config?: Record<string, unknown>;
          slip?: number;
          stop: boolean;
          resume?: string;
          runs: string;
          json?: boolean;
          quiet?: boolean;
        }) => {
          let interrupted = false;
          const onSigint = () => {
            interrupted = true;
          };
          process.once('SIGINT', onSigint);
          try {
            const r = await runRl(
              o.resume
                ? null
                : {
                    env: env as EnvName,
                    algo: o.algo,
                    seed: o.seed,
                    steps: o.steps,
                    episodes: o.episodes,
                    config: o.config,
                    envOptions: o.slip !== undefined ? { slip: o.slip } : undefined,
                    stopWhenSolved: o.stop,
                  },
              {
                createRun: (config) => createRun(o.runs, config),
                resume: o.resume ? resumable(o.runs, o.resume, env) : undefined,
                log: o.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
                shouldStop: () => interrupted,
              },
            );
            const res = r.result;
            const summary = {
              run: r.run.id,
              dir: r.run.dir,
              algo: r.agent.algo,
              solved: res.solved,
              solvedAtSteps: res.solvedAtSteps,
              solvedAtEpisodes: res.solvedAtEpisodes,
              envSteps: res.envSteps,
              episodes: res.episodes,
              seconds: res.wallMs / 1000,
              evaluations: res.evaluations,
              interrupted,
            };
            if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
            else if (!o.quiet) {
              const last = res.evaluations[res.evaluations.length - 1];
              process.stdout.write(
                `\nrun ${r.run.id} (${r.run.dir}) in ${summary.seconds.toFixed(1)}s: ${res.envSteps} steps, ${res.episodes} episodes` +
                  `${res.solved ? `; solved at ${res.solvedAtSteps} steps / ${res.solvedAtEpisodes} episodes` : ''}` +
                  `${last ? `; last greedy mean return ${last.meanReturn.toFixed(1)}` : ''}${interrupted ? ' (interrupted: resume with --resume ' + r.run.id + ')' : ''}\n` +
                  `checkpoints: ${r.run.checkpoints}/last.safetensors, best.safetensors\n`,
              );
            }
          } finally {
            process.removeListener('SIGINT', onSigint);
          }
        },
      );
  }

  rl.command('play')
    .description('play a trained agent greedily: mean return over N episodes, and a PNG strip of one episode')
    .argument('<checkpoint>', 'a .safetensors checkpoint of `simmer rl`, or a run id / folder (its best checkpoint)')
    .option('--episodes <n>', 'episodes to average over', number('--episodes', { integer: true, min: 1 }), 100)
    .option('--seed <n>', 'seed of the first episode (episode k uses seed + k)', number('--seed', { integer: true, min: 0 }), 1_000_000)
    .option('--out <png>', 'where to write the strip of the first episode', 'episode.png')
    .option('--frames <n>', 'frames in the strip', number('--frames', { integer: true, min: 1 }), 20)
    .option('--runs <dir>', 'folder holding runs', process.env.SIMMER_RUNS ?? 'runs')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { episodes: number; seed: number; out: string; frames: number; runs: string; json?: boolean }) => {
      const path = checkpointPath(ref, o.runs);
      const { agent } = loadAgent(path);
      const returns = evaluateAgent(agent, o.episodes, o.seed);
      const episode = recordEpisode((x) => agent.greedyActions(x), agentEnv(agent)(), o.seed);
      writeFileSync(o.out, await framesToPng(episode.frames, { maxFrames: o.frames }));
      const result = {
        checkpoint: path,
        algo: agent.algo,
        episodes: o.episodes,
        meanReturn: mean(returns),
        minReturn: Math.min(...returns),
        maxReturn: Math.max(...returns),
        strip: o.out,
        stripEpisode: { return: episode.return, length: episode.length, frames: Math.min(o.frames, episode.frames.length) },
      };
      if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else
        process.stdout.write(
          `${agent.algo} (${path}): mean return ${result.meanReturn.toFixed(1)} over ${o.episodes} episodes (min ${result.minReturn.toFixed(1)}, max ${result.maxReturn.toFixed(1)})\n` +
            `strip of one episode (return ${episode.return.toFixed(1)}, ${episode.length} steps): ${o.out}\n`,
        );
    });
}
