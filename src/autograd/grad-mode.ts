/** Whether ops record the graph. Off inside noGrad() and while backward rules run. */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Runs fn without recording a graph (inference, evaluation, optimizer updates); restores the mode after, even on error.
 * @example const logits = noGrad(() => model.forward(x));
 */
export function noGrad<T>(fn: () => T): T {
  const previous = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** Runs fn with recording switched on or off explicitly. */
export function setGradEnabled<T>(on: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = on;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
