/** The model zoo. */
export * from './classifiers.ts';
