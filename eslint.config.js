// ESLint (flat config) with typescript-eslint; formatting is Prettier's job (`npm run format`).
// It also enforces the layer table of DESIGN.md: a folder of src/ imports only from the floors below it (see LAYERS).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// ── the layer table ──────────────────────────────────────────────────────────────────────────────────────────────
// Floors of src/, bottom up. A folder may import from folders on lower floors, never from its own floor or above
// (the models floor is the exception: the zoo, explainability and RL may use one another). `src/exports/` (the package's
// public entry points, package.json "exports") is the top floor; `src/index.ts` (the root entry) is in no folder.
const LAYERS = [
  ['profile'],
  ['backend', 'tensor'],
  ['io'],
  ['autograd', 'data'],
  ['ops', 'optim'],
  ['nn'],
  ['train'],
  ['distributed', 'transfer'],
  ['models', 'explain', 'rl', 'unsupervised', 'quality'],
  ['onnx'],
  ['runs'],
  ['server'],
  ['cli'],
  ['exports'],
];
const SHARED_FLOORS = new Set([LAYERS.findIndex((f) => f.includes('models'))]);
/** Lower-floor imports that are still wrong, with the reason. */
const EXTRA_FORBIDDEN = {
  optim: { autograd: 'an optimizer updates tensors; it never builds or walks the graph (the LR finder lives in train/)' },
};
/** Lower- or same-floor files that are still allowed: pure helpers with no Tensor in them (the backend sees raw buffers). */
const ALLOWED_FILES = {
  backend: { tensor: ['shape.ts', 'dtype.ts'] },
};
/** Folders that may reach into backend/js, backend/native and backend/spec (applications asking the loader for info). */
const MAY_USE_BACKEND_INTERNALS = new Set(['backend', 'runs', 'server', 'cli']);
/** Zones that the code has not caught up with yet, reported as warnings until it has: `${from}->${to}`. */
const PENDING = new Set([]);
// Files are at most this deep below src/<folder>/ (src/rl/agents/x.ts is depth 2).
const MAX_DEPTH = 3;

const floorOf = new Map(LAYERS.flatMap((folders, floor) => folders.map((f) => [f, floor])));
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** For each folder and file depth, the no-restricted-imports patterns (one regex per forbidden target folder). */
function layerZones() {
  const configs = [];
  for (const [from, floor] of floorOf) {
    const forbidden = [];
    for (const [to, toFloor] of floorOf) {
      if (to === from) continue;
      const sameShared = toFloor === floor && SHARED_FLOORS.has(floor);
      const extra = EXTRA_FORBIDDEN[from]?.[to];
      if ((toFloor >= floor && !sameShared) || extra) {
        const why = extra ?? `src/${to} is on floor ${toFloor}, src/${from} on floor ${floor}; a folder imports only from the floors below it`;
        const allowed = ALLOWED_FILES[from]?.[to] ?? [];
        const but = allowed.length > 0 ? `; only ${allowed.map((f) => `${to}/${f}`).join(' and ')}, which hold no tensors` : '';
        forbidden.push({ to, allowed, message: `DESIGN.md's layer table: src/${from} must not import src/${to} (${why}${but}).` });
      }
    }
    for (let depth = 1; depth <= MAX_DEPTH; depth++) {
      const up = escape('../'.repeat(depth));
      const files = [`src/${from}/${'*/'.repeat(depth - 1)}*.ts`];
      const errors = [];
      const warnings = [];
      for (const f of forbidden) {
        const except = f.allowed.length > 0 ? `(?!${f.allowed.map((a) => `${escape(a)}$`).join('|')})` : '';
        (PENDING.has(`${from}->${f.to}`) ? warnings : errors).push({ regex: `^${up}${escape(f.to)}(/${except}|\\.ts$)`, message: f.message });
      }
      if (!MAY_USE_BACKEND_INTERNALS.has(from)) {
        const pattern = {
          regex: `^${up}backend/(?!index\\.ts$|backend\\.ts$)`,
          message: `DESIGN.md's layer table: src/${from} reaches the backend only through backend/index.ts (or the contract's types in backend/backend.ts), never backend/js, backend/native or backend/spec.`,
        };
        (PENDING.has(`${from}->backend-internals`) ? warnings : errors).push(pattern);
      }
      errors.push({ regex: `^${escape('../'.repeat(depth + 1))}web/`, message: 'src/ never imports web/ (the page talks to the server over HTTP).' });
      // ESLint keeps one setting per rule and file, so errors and warnings use two rules that check the same thing.
      const rules = { 'no-restricted-imports': ['error', { patterns: errors }] };
      if (warnings.length > 0) rules['@typescript-eslint/no-restricted-imports'] = ['warn', { patterns: warnings }];
      configs.push({ files, rules });
    }
  }
  return configs;
}

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'runs/', 'web/dist/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // Typed-array index loops and small numeric helpers read better without these.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerZones(),
);
