/**
 * `simmer-ml/transfer` (package.json "exports"): fine-tuning a pretrained network the way fastai's `fine_tune` does —
 * the shipped backbones, another run's model or an ONNX file as the source (openTransferSource), a new head,
 * freezing, discriminative learning rates and the one-cycle schedule (fineTune).
 * Imports the root first, so Tensor methods (ops) and tensor.backward() are installed whichever entry a user opens.
 * @example
 *   const source = await openTransferSource('pretrained:fmnist-0-4');
 *   const { model, report } = await fineTune({ source, train, val, epochs: 12, freezeEpochs: 1 });
 */
import '../index.ts';

export { InputAdapter } from '../transfer/adapter.ts';
export { type SimmerCnnConfig, simmerCnn, simmerCnnFeatures, TransferNet } from '../transfer/backbone.ts';
export { ClassView, type ClassViewOptions } from '../transfer/data.ts';
export {
  bodyOfClassifier,
  discriminativeGroups,
  FineTuneSchedule,
  fineTune,
  type FineTuneOptions,
  type FineTuneResult,
  groupedOptimizer,
  type LayerGroup,
} from '../transfer/fine-tune.ts';
export { loadPretrained, type PretrainedEntry, pretrainedDir, readManifest } from '../transfer/pretrained.ts';
export { openTransferSource, type TransferSource } from '../runs/transfer.ts';
export { compareWithScratch, formatScratchComparison, type ScratchComparison } from '../runs/compare-scratch.ts';
