/** Explainability: what a trained image model looks at and what it computes on the way. */
export * from './hooks.ts';
export * from './maps.ts';
export * from './predictions.ts';
export * from './render.ts';
