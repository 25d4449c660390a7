/** Import direction (DESIGN.md §3, docs/ARCHITECTURE.md), checked by `npm test`. */

/**
 * Rows of the layer table in docs/ARCHITECTURE.md for the core folders whose production code may
 * import only the folders named: [rule, folder, allowed (a regex alternation under core/), why].
 * Tests and testing/ folders may reach further down (fixtures, harnesses).
 */
const layerRows = [
  ['contract-low', 'contract', 'contract/|shared/|model/', 'core/contract: the schemas of every message crossing a process boundary; may import shared and model only.'],
  ['store-low', 'store', 'store/|model/|shared/', 'core/store: the interface and its backends; may import model and shared.'],
  ['images-low', 'images', 'images/|shared/|model/', 'core/images: the offline image cache; may import shared and model.'],
  ['auth-low', 'auth', 'auth/|shared/', 'core/auth: operators, sessions, tokens, machine tokens; may import shared.'],
  ['inventory-row', 'inventory', 'inventory/|model/|contract/|shared/|store/(store|mutate)\\.ts$', 'core/inventory: registration, machine identity, liveness; may import model, contract, shared and the store interface.'],
  ['workflow-row', 'workflow', 'workflow/|model/|contract/|shared/|store/(store|mutate)\\.ts$|power/(service|driver)\\.ts$', 'core/workflow: workflows on assignment, agent events, timeouts; may import model, contract, shared, the store interface and the power interface.'],
  ['swarm-row', 'swarm', 'swarm/|dhcp/|shared/|store/(store|mutate)\\.ts$', 'core/swarm: several instances on one backend; may import dhcp, shared and the store interface.'],
  ['fleet-row', 'fleet', 'fleet/|model/|contract/|shared/|power/|inventory/|store/(store|mutate)\\.ts$', 'core/fleet: operations on stored machines (power control per machine and in bulk, Proxmox import); may import model, contract, shared, power, inventory and the store interface.'],
  ['report-row', 'report', 'report/|model/|contract/|shared/|store/(store|mutate)\\.ts$', 'core/report: the signed site report (builder, canonical JSON, signing, HTML); may import model, contract, shared and the store interface.'],
  ['fanout-row', 'fanout', 'fanout/|contract/|shared/', 'core/fanout: the rack fan-out tracker (which agent holds which chunk, whom to ask next); may import contract and shared.'],
  ['privhelper-row', 'privhelper', 'privhelper/|shared/|dhcp/|tftp/', 'core/privhelper: the privileged port helper and its client; may import shared, dhcp and tftp (socket factories).'],
];

const layerRule = ([name, folder, allowed, comment]) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^core/${folder}/`, pathNot: '(\\.test\\.ts$|/testing/)' },
  to: { path: `^core/(?!${allowed})` },
});

module.exports = {
  forbidden: [
    {
      name: 'renderer-no-node-or-core-runtime',
      comment: 'The renderer runs in a sandboxed browser window: no Node, no Electron, no core runtime code (types from core/model only).',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^(core/(?!model/|shared/ipv4\\.ts$)|electron/|agent/)|^node:|^(fs|path|os|child_process|net|dgram|http|https|crypto)$|^electron$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'renderer-core-types-only',
      severity: 'error',
      comment: 'Shapes come from core/model and core/contract as types; the runtime exceptions are pure functions whose answer the UI and the server must share: the IPv4 check (forms) and the rule order (the Rules page).',
      from: { path: '^renderer/' },
      to: { path: '^core/', pathNot: '^core/(shared/ipv4|model/rule-order)\\.ts$', dependencyTypesNot: ['type-only'] },
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
      comment: 'The agent is bundled on its own into the boot image: core/model and core/shared, and the contract (core/contract) for its message types.',
      severity: 'error',
      from: { path: '^agent/' },
      to: { path: '^(core/(?!model/|shared/|contract/|testing/)|electron/|renderer/)' },
    },
    {
      name: 'agent-contract-types-only',
      comment: 'The contract is TypeBox schemas; the agent bundle carries no schema library, so it takes the types only.',
      severity: 'error',
      from: { path: '^agent/' },
      to: { path: '^core/contract/', dependencyTypesNot: ['type-only'] },
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
      comment: 'Codecs and their servers depend on shared primitives only: no boot knowledge (core/boot), no app or api; their tests included.',
      severity: 'error',
      from: { path: '^core/dhcp/' },
      to: { path: '^core/(?!shared/|dhcp/|testing/)' },
    },
    {
      name: 'tftp-stays-low',
      comment: 'Like DHCP: a protocol library on shared primitives only (the two do not import each other).',
      severity: 'error',
      from: { path: '^core/tftp/' },
      to: { path: '^core/(?!shared/|tftp/|testing/)' },
    },
    {
      name: 'boot-below-services',
      comment: 'core/boot (DESIGN.md §3) may import dhcp, tftp, model, contract, shared and the store interface: never api, app, inventory, workflow, swarm or a store backend. Wiring to those is passed in by core/app.',
      severity: 'error',
      from: { path: '^core/boot/', pathNot: '(\\.test\\.ts$|/testing/)' },
      to: { path: '^core/(?!boot/|dhcp/|tftp/|model/|contract/|shared/|store/store\\.ts$)' },
    },
    {
      name: 'power-low',
      severity: 'error',
      from: { path: '^core/power/', pathNot: '(\\.test\\.ts$|/testing/)' },
      to: { path: '^core/(api|app|cli|workflow|store)/' },
    },
    ...layerRows.map(layerRule),
    {
      name: 'api-never-app',
      comment: 'core/api gets its services passed in; it never imports the wiring (core/app) or the CLI.',
      severity: 'error',
      from: { path: '^core/api/' },
      to: { path: '^core/(app|cli)/' },
    },
    {
      name: 'app-only-wires',
      comment: 'Nothing below core/app imports it; core/app itself never imports the CLI.',
      severity: 'error',
      from: { path: '^core/(?!app/|cli/)', pathNot: '(\\.test\\.ts$|/testing/)' },
      to: { path: '^core/(app|cli)/' },
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
      comment: 'Test support (core/testing and every testing/ folder: peer detection, fixtures, harnesses, test servers) serves tests of every layer, never production code; so the layer rules above let tests reach it.',
      severity: 'error',
      from: { path: '^(core|agent|electron|renderer|build)/', pathNot: '(\\.test\\.tsx?$|\\.spec\\.ts$|\\.e2e\\.ts$|/testing/)' },
      to: { path: '/testing/' },
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
