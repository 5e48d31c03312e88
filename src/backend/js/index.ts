/** The reference backend: every kernel of the contract in plain TypeScript. The oracle for every faster backend. */
import type { Backend } from '../backend.ts';
import * as attention from './attention.ts';
import * as conv from './conv.ts';
import * as elementwise from './elementwise.ts';
import * as cluster from './cluster.ts';
import * as tsne from './tsne.ts';
import * as embedding from './embedding.ts';
import * as loss from './loss.ts';
import * as matmul from './matmul.ts';
import * as norm from './norm.ts';
import * as optim from './optim.ts';
import * as pool from './pool.ts';
import * as reduce from './reduce.ts';
import * as shape from './shape.ts';

export const jsBackend: Backend = {
  name: 'js',
  unary: elementwise.unary,
  unaryBackward: elementwise.unaryBackward,
  binary: elementwise.binary,
  compare: elementwise.compare,
  affine: elementwise.affine,
  clamp: elementwise.clamp,
  clampBackward: elementwise.clampBackward,
  where: elementwise.where,
  reduce: reduce.reduce,
  softmax: reduce.softmax,
  softmaxBackward: reduce.softmaxBackward,
  argReduce: reduce.argReduce,
  softmaxAxis: reduce.softmaxAxis,
  softmaxAxisBackward: reduce.softmaxAxisBackward,
  stridedCopy: shape.stridedCopy,
  indexSelect: shape.indexSelect,
  indexAdd: shape.indexAdd,
  gather: shape.gather,
  scatterAdd: shape.scatterAdd,
  matmul: matmul.matmul,
  conv2dForward: conv.conv2dForward,
  conv2dBackwardInput: conv.conv2dBackwardInput,
  conv2dBackwardWeight: conv.conv2dBackwardWeight,
  conv2dForwardAct: conv.conv2dForwardAct,
  conv2dReluMaxPool2: conv.conv2dReluMaxPool2,
  conv2dReluMaxPool2Argmax: conv.conv2dReluMaxPool2Argmax,
  maxPool2dForward: pool.maxPool2dForward,
  maxPool2dBackward: pool.maxPool2dBackward,
  avgPool2dForward: pool.avgPool2dForward,
  avgPool2dBackward: pool.avgPool2dBackward,
  adaptiveAvgPool2dForward: pool.adaptiveAvgPool2dForward,
  adaptiveAvgPool2dBackward: pool.adaptiveAvgPool2dBackward,
  upsample2dForward: pool.upsample2dForward,
  upsample2dBackward: pool.upsample2dBackward,
  batchNormForward: norm.batchNormForward,
  batchNormBackward: norm.batchNormBackward,
  rowNormForward: norm.rowNormForward,
  rowNormBackward: norm.rowNormBackward,
  batchNormUpdateStats: norm.batchNormUpdateStats,
  sgdStep: optim.sgdStep,
  adamStep: optim.adamStep,
  rmspropStep: optim.rmspropStep,
  sumOfSquares: optim.sumOfSquares,
  attentionForward: attention.attentionForward,
  attentionBackward: attention.attentionBackward,
  crossEntropyForward: loss.crossEntropyForward,
  crossEntropyBackward: loss.crossEntropyBackward,
  embeddingForward: embedding.embeddingForward,
  embeddingBackward: embedding.embeddingBackward,
  kmeansAssign: cluster.kmeansAssign,
  tsneAffinities: tsne.tsneAffinities,
  tsneGradient: tsne.tsneGradient,
};
