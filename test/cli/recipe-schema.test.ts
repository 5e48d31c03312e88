/**
 * One recipe table (src/runs/recipe-fields.ts) builds the CLI flags, the API's JSON schema and the library's
 * validation: each of the three is checked against the table here, field by field, so a copy cannot drift again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { addRecipeOptions, recipeFromOptions } from '../../src/cli/options.ts';
import { CLASSIFIERS } from '../../src/models/classifiers.ts';
import { DEFAULT_LR, flagName, MAX_IMAGE_SIZE, MAX_LIMIT, RECIPE_FIELDS, recipeJsonSchemaProperties } from '../../src/runs/recipe-fields.ts';
import { DEFAULT_RECIPE, resolveRecipe } from '../../src/runs/recipe.ts';

function parse(args: string[]): Record<string, unknown> {
  const cmd = addRecipeOptions(new Command().exitOverride().configureOutput({ writeErr: () => {} }));
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

describe('the recipe table', () => {
  test('every field is a CLI flag with the table default, and parsed flags give back the recipe defaults', () => {
    const o = parse([]);
    // Optional paths (--data, --from) default to '' in the table and are simply absent when not given.
    for (const f of RECIPE_FIELDS)
      if (f.name !== 'data') assert.equal(o[f.name] ?? (f.default === '' ? '' : undefined), f.default, `--${flagName(f.name)} default`);
    assert.deepEqual(resolveRecipe(recipeFromOptions('shapes', o)), resolveRecipe({}));
  });

  test('CLI, API schema and resolveRecipe refuse exactly the values outside each range', () => {
    const schema = recipeJsonSchemaProperties();
    for (const f of RECIPE_FIELDS) {
      if (f.type === 'string') continue;
      const flag = `--${flagName(f.name)}`;
      // Fields kept out of the HTTP API (api: false, e.g. bucketKb) are not in its schema at all.
      assert.equal(schema[f.name]?.maximum, f.api ? f.max : undefined, `${f.name} schema maximum`);
      assert.equal(schema[f.name]?.minimum, f.api ? f.min : undefined, `${f.name} schema minimum`);
      assert.equal(parse([flag, String(f.max)])[f.name], f.max);
      assert.throws(() => parse([flag, String((f.max as number) + 1)]), new RegExp(`${flag} must be <= ${f.max}`));
      assert.throws(() => parse([flag, String((f.min as number) - 1)]), new RegExp(`${flag} must be >= ${f.min}`));
      assert.throws(() => resolveRecipe({ [f.name]: (f.max as number) + 1 }), new RegExp(`^RangeError: ${f.name} must be <= ${f.max}`));
      assert.doesNotThrow(() => resolveRecipe({ [f.name]: f.max }));
    }
  });

  test('the enums are the library lists, in one place', () => {
    const byName = Object.fromEntries(RECIPE_FIELDS.map((f) => [f.name, f]));
    for (const m of CLASSIFIERS) assert.ok(byName.model.choices?.includes(m), `model choices include ${m}`);
    assert.deepEqual(byName.optimizer.choices, Object.keys(DEFAULT_LR));
    assert.deepEqual(recipeJsonSchemaProperties().optimizer.enum, Object.keys(DEFAULT_LR));
    assert.throws(() => parse(['--optimizer', 'lion']), /unknown optimizer 'lion'; choose one of: sgd, adam, adamw, rmsprop/);
    assert.throws(() => resolveRecipe({ optimizer: 'lion' as never }), /unknown optimizer 'lion'; choose one of: sgd, adam, adamw, rmsprop/);
    assert.throws(() => resolveRecipe({ schedule: 'warp' as never }), /unknown schedule 'warp'; choose one of: none, step/);
  });

  test('lr 0 means the optimizer default, stated once (DEFAULT_LR) and shown in the help', () => {
    assert.equal(DEFAULT_RECIPE.lr, 0);
    for (const [opt, lr] of Object.entries(DEFAULT_LR)) assert.equal(resolveRecipe({ optimizer: opt as never }).lr, lr);
    const help = addRecipeOptions(new Command()).helpInformation();
    assert.match(help.replace(/\s+/g, ' '), /0\.05 for sgd, 0\.002 for adam, 0\.002 for adamw, 0\.001 for rmsprop/);
  });

  test('image size and limit have upper bounds that say why (issue 12 item 5)', () => {
    assert.throws(
      () => parse(['--image-size', '100000']),
      new RegExp(`--image-size must be <= ${MAX_IMAGE_SIZE}, got '100000' \\(larger images do not fit in memory`),
    );
    assert.throws(() => parse(['--limit', '1e12']), new RegExp(`--limit must be <= ${MAX_LIMIT}`));
    assert.throws(() => resolveRecipe({ imageSize: 5000 }), /imageSize must be <= 1024, got 5000/);
    assert.throws(() => resolveRecipe({ valSplit: 0.999 }), /valSplit must be <= 0\.9, got 0\.999 \(a larger share leaves too little to train on\)/);
  });

  test('resolveRecipe refuses an unknown field and a wrong type, naming the field', () => {
    assert.throws(() => resolveRecipe({ epochz: 3 } as never), /unknown recipe field 'epochz'/);
    assert.throws(() => resolveRecipe({ epochs: '3' as never }), /epochs must be an integer >= 1, got '3'/);
    assert.throws(() => resolveRecipe({ epochs: 2.5 }), /epochs must be an integer >= 1, got 2\.5/);
  });
});

describe('augment and channels in the table (issue 12, items 11 and 12)', () => {
  test('the API pattern for augment accepts exactly what resolveRecipe accepts', () => {
    const pattern = new RegExp(recipeJsonSchemaProperties().augment.pattern as string);
    for (const value of ['none', 'digits', 'standard-noflip', 'translate,rotate,jitter', ' translate , rotate ', 'flip', 'translate,', '', 'standard,hflip']) {
      let accepted = true;
      try {
        resolveRecipe({ augment: value });
      } catch (e) {
        assert.match((e as Error).message, /give a preset .* or a comma list of transforms/);
        accepted = false;
      }
      assert.equal(pattern.test(value), accepted, JSON.stringify(value));
    }
  });
  test('channels is auto by default and only 1, 3 or auto', () => {
    assert.equal(DEFAULT_RECIPE.channels, 'auto');
    assert.deepEqual(recipeJsonSchemaProperties().channels.enum, ['auto', '1', '3']);
    assert.throws(() => resolveRecipe({ channels: '2' as never }), /unknown channels '2'; choose one of: auto, 1, 3/);
  });
});
