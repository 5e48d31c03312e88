/**
 * Flag parsing helpers shared by the verbs: numbers that say what was wrong, and the training flags, built from the
 * one table of recipe fields (src/runs/recipe-fields.ts) so the CLI, the API and the library agree.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { fieldProblem, flagName, RECIPE_FIELDS, type RecipeField } from '../runs/recipe-fields.ts';
import type { Recipe } from '../runs/recipe.ts';

export function number(name: string, { integer = false, min = Number.NEGATIVE_INFINITY } = {}): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'}${min > Number.NEGATIVE_INFINITY ? ` >= ${min}` : ''}, got '${v}'`);
    }
    return n;
  };
}

/** The commander option of one recipe field: its flag, help, choices, default and a parser that checks the range. */
function fieldOption(f: RecipeField, defaultValue: string | number | undefined): Option {
  const flag = `--${flagName(f.name)}`;
  const range = f.min !== undefined && f.max !== undefined && f.type !== 'string' ? ` [${f.min}–${f.max}]` : '';
  const choices = f.choices ? ` (${f.choices.join(' | ')})` : '';
  const opt = new Option(`${f.short ? `-${f.short}, ` : ''}${flag} <${f.valueName}>`, `${f.help}${range}${choices}`);
  if (f.choices || f.check)
    // The library's wording ("unknown model 'vgg'; choose one of: ...") rather than commander's.
    opt.argParser((v: string) => {
      const problem = fieldProblem(f, v);
      if (problem) throw new InvalidArgumentError(problem);
      return v;
    });
  else if (f.type !== 'string')
    opt.argParser((v: string) => {
      const n = v.trim() === '' ? Number.NaN : Number(v);
      const problem = fieldProblem(f, n, flag);
      if (problem) throw new InvalidArgumentError(problem.replace(`got ${n}`, `got '${v}'`).replace('got NaN', `got '${v}'`));
      return n;
    });
  if (defaultValue !== undefined && defaultValue !== '') opt.default(defaultValue);
  return opt;
}

/** Adds every recipe flag to a command (train and the dashboard's form share these names). */
export function addRecipeOptions(cmd: Command, defaults: Partial<Recipe> = {}): Command {
  for (const f of RECIPE_FIELDS) cmd.addOption(fieldOption(f, (defaults as Record<string, string | number | undefined>)[f.name] ?? f.default));
  return cmd;
}

/** The recipe named by parsed flags (commander stores `--batch-size` as `batchSize`, the recipe's own name). */
export function recipeFromOptions(dataset: string, o: Record<string, unknown>): Partial<Recipe> {
  const recipe: Record<string, unknown> = { dataset };
  for (const f of RECIPE_FIELDS) if (o[f.name] !== undefined) recipe[f.name] = o[f.name];
  return recipe as Partial<Recipe>;
}
