/** `simmer models`: the zoo — classifiers, generative models and the pretrained backbones shipped in the package. */
import type { Command } from 'commander';
import { CLASSIFIERS } from '../../models/classifiers.ts';
import { describeGenerativeModels, GENERATIVE_MODELS } from '../../models/registry.ts';
import { pretrainedDir, readManifest } from '../../transfer/pretrained.ts';

/** Architectures of the classifier zoo, with the README's measured Fashion-MNIST figure where there is one. */
const CLASSIFIER_NOTES: Record<string, string> = {
  mlp: 'flatten → 256 → 128 → classes (W2)',
  'cnn-small': 'two conv + pool layers, dense 128 (W3); Fashion-MNIST test 90.07% after 2 epochs, 92.74% after 10',
  lenet5: "LeCun's LeNet-5 (tanh, average pooling)",
  'resnet-mini': 'stem + three residual stages (32, 64, 128), global average pool; Fashion-MNIST test 93.88% after 12 epochs',
};

export function register(program: Command): void {
  program
    .command('models')
    .description('list the model zoo: classifiers (trained by simmer train), generative models, and the pretrained backbones --from can start from')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const manifest = readManifest();
      if (o.json) {
        const out = {
          classifiers: CLASSIFIERS.map((name) => ({ name, note: CLASSIFIER_NOTES[name] ?? '' })),
          generative: describeGenerativeModels().map((line, i) => ({ name: GENERATIVE_MODELS[i], note: line.slice(GENERATIVE_MODELS[i].length + 2) })),
          pretrained: manifest.backbones,
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const w = process.stdout;
      w.write('Classifiers (simmer train <data> --model <name>; untrained architectures):\n');
      for (const name of CLASSIFIERS) w.write(`  ${name.padEnd(14)} ${CLASSIFIER_NOTES[name] ?? ''}\n`);
      w.write('\nGenerative (simmer train <data> --model <name>, then simmer generate):\n');
      for (const line of describeGenerativeModels()) w.write(`  ${line}\n`);
      w.write(`\nPretrained backbones (simmer train <data> --from pretrained:<name>; weights in ${pretrainedDir()}, sha256-checked):\n`);
      if (manifest.backbones.length === 0) w.write('  none shipped in this build\n');
      for (const b of manifest.backbones) {
        const [c, h, wd] = b.config.inputShape;
        w.write(`  ${b.name}\n`);
        w.write(`    trained on: ${b.trainedOn}\n`);
        w.write(`    accuracy:   ${(b.accuracy.value * 100).toFixed(2)}% on ${b.accuracy.on}\n`);
        w.write(
          `    network:    simmer-cnn, widths ${b.config.widths.join('/')}, input ${h}×${wd}×${c}, ${(b.bytes / 1024).toFixed(0)} KB, ${b.epochs} epochs\n`,
        );
        w.write(`    note:       ${b.card}\n`);
        w.write(`    reproduce:  ${b.command}\n`);
      }
    });
}
