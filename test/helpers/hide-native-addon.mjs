// Preload (`node --import ./test/helpers/hide-native-addon.mjs`) that makes loading Simmer's native addon fail, as if
// the build had broken, without touching build/ (other processes may be using it). Other .node files (sharp) load.
// Used by test/helpers/requirements.test.ts to prove that SIMMER_REQUIRE_NATIVE=1 fails the suite.
import Module from 'node:module';

const loadNodeFile = Module._extensions['.node'];
Module._extensions['.node'] = function (module, filename) {
  if (filename.includes('simmer_native')) throw new Error('hidden by test/helpers/hide-native-addon.mjs');
  return loadNodeFile.call(this, module, filename);
};
