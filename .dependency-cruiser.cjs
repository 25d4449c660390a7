/** Import direction (DESIGN.md §3), checked by `npm test`. */
module.exports = {
  forbidden: [
    {
      name: 'renderer-no-node-or-core-runtime',
      comment: 'The renderer runs in a sandboxed browser window: no Node, no Electron, no core runtime code (types from core/model only).',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^(core/(?!model/)|electron/|agent/)|^node:|^(fs|path|os|child_process|net|dgram|http|https|crypto)$|^electron$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'renderer-core-types-only',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^core/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-no-electron-or-ui',
      comment: 'core/ is pure Node: it runs headless.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(electron|renderer|agent)/|^electron$|^react', pathNot: '^core/' },
    },
    {
      name: 'agent-only-model-and-shared',
      comment: 'The agent is bundled on its own into the boot image.',
      severity: 'error',
      from: { path: '^agent/' },
      to: { path: '^(core/(?!model/|shared/|testing/)|electron/|renderer/)' },
    },
    {
      name: 'shared-imports-nothing',
      severity: 'error',
      from: { path: '^core/shared/' },
      to: { path: '^core/(?!shared/)' },
    },
    {
      name: 'model-imports-shared-only',
      severity: 'error',
      from: { path: '^core/model/' },
      to: { path: '^core/(?!model/|shared/)' },
    },
    {
      name: 'protocols-stay-low',
      comment: 'Codecs and their servers depend on shared primitives only.',
      severity: 'error',
      from: { path: '^core/(dhcp|tftp)/' },
      to: { path: '^core/(?!shared/|dhcp/|tftp/|testing/)' },
    },
    {
      name: 'power-low',
      severity: 'error',
      from: { path: '^core/power/' },
      to: { path: '^core/(api|app|cli|workflow|store)/' },
    },
    {
      name: 'services-use-store-interface',
      comment: 'Only core/app (and the store folder itself, and tests) pick a backend.',
      severity: 'error',
      from: { path: '^core/(?!app/|cli/|store/|testing/)', pathNot: '(\\.test\\.ts$|/testing/)' },
      to: { path: '^core/store/(lowdb|etcd|kubernetes)/|^core/store/backend\\.ts$' },
    },
    {
      name: 'testing-is-for-tests',
      comment: 'core/testing (peer detection, fixtures, harnesses) serves tests of every layer, never production code; so the layer rules above let tests reach it.',
      severity: 'error',
      from: { path: '^(core|agent|electron|renderer|build)/', pathNot: '(\\.test\\.tsx?$|\\.spec\\.ts$|/testing/|/test-[^/]+\\.ts$|-harness\\.ts$)' },
      to: { path: '^core/testing/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
};
