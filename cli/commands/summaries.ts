/**
 * What each top-level command does, in one line: the listing `liquidkan --help` prints without
 * loading any command (commands/index.ts), and the `summary` of the command itself.
 */
export const COMMAND_SUMMARIES = {
  init: 'create an untrained liquid hybrid model directory',
  export: 'export a model to ONNX (step and sequence graphs) for a firmware profile',
  predict: 'run a model over a CSV, read as one sequence',
  device: 'run a model on this board: stream inputs, adapt τ, select, watch drift',
  devices: 'provision fleet devices, list the registry, export accounts for Mosquitto',
  cloud: 'run the fleet cloud: MQTT broker, telemetry store, releases, HTTP API and dashboard',
  worker: 'run queued discovery jobs from the shared PostgreSQL store (any machine, any number)',
  train: 'train a liquid hybrid (CSV forecast or voice keywords), selecting activations from a library',
  compare: 'train MLP, liquid-tanh and hybrid flavours on one parameter budget and compare them',
  discover: 'train KANs on a task family, data or a hunger job and grow the activation library',
  library: 'inspect, merge, compact, plot and evaluate activation libraries',
  keys: 'manage release signing keys',
  release: 'build signed releases and roll them out to the fleet',
  demo: 'the whole loop: cloud, dashboard, device processes, drift, hunger, discovery, rollout',
  parity: 'export one model for every profile and precision and check both engines against the reference',
} as const;

export type CommandName = keyof typeof COMMAND_SUMMARIES;
