/**
 * The library and the run application speak no command-line flags; this maps their errors to what a `simmer` user
 * types to fix them (--resume, --epochs, --clip-grad, --image-size, `simmer runs`).
 */
import { RunError } from '../runs/errors.ts';
import { DivergenceError, NonFiniteLossError } from '../train/trainer.ts';

export function cliMessage(e: unknown): string {
  const err = e as Error;
  if (err instanceof RunError) {
    const f = err.facts;
    switch (err.code) {
      case 'unknown-run':
        return `--resume ${f.run}: no run folder ${f.dir} (list runs with \`simmer runs\`)`;
      case 'no-checkpoint':
        return `--resume: ${f.run} has no checkpoint yet (${f.path}); start it again instead`;
      case 'already-finished':
        return `--resume: ${f.run} already finished ${f.epochs} epochs; pass --epochs N with N > ${f.epochs} to train further`;
      default:
        return err.message;
    }
  }
  if (err instanceof NonFiniteLossError || err instanceof DivergenceError)
    return err.message.replace('gradient clipping', 'gradient clipping (--clip-grad)').replace('a lower learning rate', 'a lower learning rate (--lr)');
  if (err instanceof RangeError && err.message.includes('; resize the images'))
    return err.message.replace('; resize the images', '; resize the images with --image-size');
  return err?.message ?? String(e);
}
