/**
 * Runs, the application above the library: a recipe (plain JSON) turned into data, a zoo model, an optimizer and a
 * schedule, trained into a run folder that can be listed, resumed and opened again. The CLI and the server call this.
 */
export * from './data-setup.ts';
export * from './errors.ts';
export * from './open-model.ts';
export * from './preprocess.ts';
export * from './process.ts';
export * from './recipe.ts';
export * from './recipe-fields.ts';
export * from './run.ts';
export * from './run-store.ts';
